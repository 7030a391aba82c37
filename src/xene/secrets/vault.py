"""Secrets over a store: set, list, delete, rotate the key, and resolve names to values.

The vault encrypts before anything reaches the store and decrypts only in `resolve`,
which an execution calls once, at its start, for the names its pipeline needs (see
inject.py). The key is read for each operation, so a long-running server sees a key file
that `rotate-key` replaced.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Callable, Collection, Mapping

from xene.errors import XeneError
from xene.frozen import frozen
from xene.secrets import keys
from xene.secrets.keys import Keyring, SecretKeyError
from xene.spec.secret_refs import name_problem
from xene.store.secrets import Rekeyed, SecretInfo, SecretStore, StoredSecret

MAX_VALUE = 64 * 1024
"""Bytes of UTF-8 a secret's value may hold."""
REKEY_ATTEMPTS = 3


class SecretError(XeneError):
    """A secret cannot be set, found or read."""


class UnknownSecret(SecretError):
    """No secret of that name in the store."""

    def __init__(self, names: Collection[str], where: str = "the store", hint: str = "") -> None:
        self.names = tuple(sorted(names))
        listed = ", ".join(f'"{n}"' for n in self.names)
        first = self.names[0] if self.names else "NAME"
        plural = "s" if len(self.names) != 1 else ""
        hint = hint or f"set it with `xene secret set {first}`"
        super().__init__(f"unknown secret{plural} {listed} in {where}: {hint}")


@frozen
class Rotated:
    count: int
    """Secrets re-encrypted."""
    key_id: str
    source: str
    """Where the new key is: the key file's path, or `XENE_SECRET_KEY`."""


def check_name(name: str) -> None:
    problem = name_problem(name)
    if problem is not None:
        raise SecretError(problem)


def check_value(name: str, value: str) -> None:
    if not value:
        raise SecretError(f"the value of {name} is empty: nothing was set")
    if len(value.encode("utf-8")) > MAX_VALUE:
        raise SecretError(f"the value of {name} is over {MAX_VALUE // 1024} KiB: nothing was set")


def local_user() -> str:
    """Who sets a secret from this machine: `user@host`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


class Vault:
    """The secrets of one store, encrypted with this process's key."""

    def __init__(self, store: SecretStore, where: str = "the store") -> None:
        self.store = store
        self.where = where
        """How messages name the store (`the store sqlite:///...`)."""

    async def set(self, name: str, value: str, set_by: str, at: float) -> bool:
        """Encrypt and keep `value` under `name` (the key file is made on first use);
        True when the name was new."""
        check_name(name)
        check_value(name, value)
        ring = keys.load_keyring(create=True)
        assert ring is not None
        ciphertext, key_id = ring.encrypt(value)
        return await self.store.set_secret(StoredSecret(name, ciphertext, key_id, set_by, at))

    async def list(self) -> list[SecretInfo]:
        return await self.store.list_secrets()

    async def delete(self, name: str) -> None:
        check_name(name)
        if not await self.store.delete_secret(name):
            raise UnknownSecret([name], self.where, "`xene secret list` lists the secrets")

    async def resolve(self, names: Collection[str]) -> Mapping[str, str]:
        """The values of `names`: UnknownSecret naming every missing one, or
        SecretKeyError when the key cannot decrypt them."""
        if not names:
            return {}
        stored = await self.store.get_secrets(names)
        missing = set(names) - set(stored)
        if missing:
            raise UnknownSecret(missing, self.where)
        ring = _keyring_for(stored.values())
        return {s.name: ring.decrypt(s.name, s.ciphertext, s.key_id) for s in stored.values()}

    async def rotate(self, announce: Callable[[str], None]) -> Rotated:
        """Re-encrypt every secret with a new key. With a key file, the new key is
        written there (both keys stay in it until every secret is re-encrypted, so an
        interruption loses nothing). With `XENE_SECRET_KEY`, `announce(new_key)` is
        called before anything changes: the caller shows it, once."""
        ring = await self._readable()
        new_key = keys.generate_key()
        old = ring.keys if ring is not None else ()
        from_env = ring is not None and ring.from_env
        source = keys.ENV if from_env else str(keys.key_path())
        if from_env:
            announce(new_key)
        else:
            keys.write_key_file(keys.key_path(), "\n".join((new_key, *old)) + "\n")
        both = Keyring((new_key, *old), source, from_env)
        new = Keyring((new_key,), source, from_env)
        count = await self._rekey(both, new)
        if not from_env:
            keys.write_key_file(keys.key_path(), new_key + "\n")
        return Rotated(count, new.key_id, source)

    async def _readable(self) -> Keyring | None:
        """The current keys, once they are known to decrypt every secret (before
        anything changes); None when there is no key and no secret."""
        stored = await self.store.all_secrets()
        if not stored:
            return keys.load_keyring(create=False)
        ring = _keyring_for(stored)
        for s in stored:
            ring.decrypt(s.name, s.ciphertext, s.key_id)
        return ring

    async def _rekey(self, old: Keyring, new: Keyring) -> int:
        for _ in range(REKEY_ATTEMPTS):
            stored = await self.store.all_secrets()
            changes = [
                Rekeyed(
                    s.name, s.ciphertext, *new.encrypt(old.decrypt(s.name, s.ciphertext, s.key_id))
                )
                for s in stored
            ]
            if await self.store.rekey_secrets(changes):
                return len(changes)
        raise SecretError(
            "secrets kept being changed while they were re-encrypted: nothing was rotated; "
            "try again"
        )


def _keyring_for(stored: Collection[StoredSecret]) -> Keyring:
    ring = keys.load_keyring(create=False)
    if ring is None:
        ids = ", ".join(sorted({s.key_id for s in stored}))
        raise SecretKeyError(
            f"no secret key here: {keys.ENV} is not set and {keys.key_path()} does not "
            f"exist, and the secrets were encrypted with key {ids}: give this process that "
            f"key ({keys.ENV}, or the key file of the machine that set them)"
        )
    return ring
