"""`SecretStore` operations of `MemoryStore`: ciphertext in a dict (see secrets.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from xene.store.secrets import Rekeyed, SecretInfo, StoredSecret


class MemorySecretOps:
    """Mixed into `MemoryStore`, whose `__init__` makes `_secrets`."""

    _secrets: dict[str, StoredSecret]

    async def set_secret(self, secret: StoredSecret) -> bool:
        new = secret.name not in self._secrets
        self._secrets[secret.name] = secret
        return new

    async def list_secrets(self) -> list[SecretInfo]:
        return [
            SecretInfo(s.name, s.key_id, s.set_by, s.set_at)
            for s in (self._secrets[name] for name in sorted(self._secrets))
        ]

    async def get_secrets(self, names: Collection[str]) -> dict[str, StoredSecret]:
        return {name: self._secrets[name] for name in sorted(set(names)) if name in self._secrets}

    async def all_secrets(self) -> list[StoredSecret]:
        return [self._secrets[name] for name in sorted(self._secrets)]

    async def delete_secret(self, name: str) -> bool:
        return self._secrets.pop(name, None) is not None

    async def rekey_secrets(self, changes: Sequence[Rekeyed]) -> bool:
        for change in changes:
            held = self._secrets.get(change.name)
            if held is None or held.ciphertext != change.old_ciphertext:
                return False
        for change in changes:
            held = self._secrets[change.name]
            self._secrets[change.name] = StoredSecret(
                held.name, change.ciphertext, change.key_id, held.set_by, held.set_at
            )
        return True
