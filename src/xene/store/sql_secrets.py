"""Secret transactions shared by the SQL stores, and the `SecretStore` methods of
`SqlStore` (mixed in): ciphertext only, see secrets.py."""

from __future__ import annotations

import abc
from collections.abc import Collection, Mapping, Sequence
from typing import TypeVar

from xene.store.secrets import Rekeyed, SecretInfo, StoredSecret
from xene.store.txn import Row, Stmt, Txn

Queries = Mapping[str, str]
T = TypeVar("T")


class _Changed(Exception):
    """A secret changed while it was re-encrypted: roll the whole rekey back."""


def _secret(row: Row) -> StoredSecret:
    name, ciphertext, key_id, set_by, set_at = row
    return StoredSecret(str(name), str(ciphertext), str(key_id), str(set_by), float(set_at))


def set_secret(q: Queries, secret: StoredSecret) -> Txn[bool]:
    existed = yield Stmt(q["secret_exists"], (secret.name,))
    s = secret
    yield Stmt(q["set_secret"], (s.name, s.ciphertext, s.key_id, s.set_by, s.set_at))
    return not existed.rows


def list_secrets(q: Queries) -> Txn[list[SecretInfo]]:
    found = yield Stmt(q["list_secrets"])
    return [SecretInfo(str(n), str(k), str(by), float(at)) for n, k, by, at in found.rows]


def get_secrets(q: Queries, names: Collection[str]) -> Txn[dict[str, StoredSecret]]:
    found: dict[str, StoredSecret] = {}
    for name in sorted(set(names)):
        result = yield Stmt(q["get_secret"], (name,))
        if result.rows:
            found[name] = _secret(result.rows[0])
    return found


def all_secrets(q: Queries) -> Txn[list[StoredSecret]]:
    found = yield Stmt(q["all_secrets"])
    return [_secret(row) for row in found.rows]


def delete_secret(q: Queries, name: str) -> Txn[bool]:
    done = yield Stmt(q["delete_secret"], (name,))
    return done.rowcount == 1


def rekey_secrets(q: Queries, changes: Sequence[Rekeyed]) -> Txn[None]:
    """Raises `_Changed` (rolling back) when a secret no longer holds its old ciphertext."""
    for c in changes:
        done = yield Stmt(q["rekey_secret"], (c.ciphertext, c.key_id, c.name, c.old_ciphertext))
        if done.rowcount != 1:
            raise _Changed(c.name)


class SqlSecretOps(abc.ABC):
    """`SecretStore` over the named queries; `SqlStore` provides `_q` and `_run`."""

    _q: Queries

    @abc.abstractmethod
    async def _run(self, txn: Txn[T], *, write: bool) -> T: ...

    async def set_secret(self, secret: StoredSecret) -> bool:
        return await self._run(set_secret(self._q, secret), write=True)

    async def list_secrets(self) -> list[SecretInfo]:
        return await self._run(list_secrets(self._q), write=False)

    async def get_secrets(self, names: Collection[str]) -> dict[str, StoredSecret]:
        return await self._run(get_secrets(self._q, names), write=False)

    async def all_secrets(self) -> list[StoredSecret]:
        return await self._run(all_secrets(self._q), write=False)

    async def delete_secret(self, name: str) -> bool:
        return await self._run(delete_secret(self._q, name), write=True)

    async def rekey_secrets(self, changes: Sequence[Rekeyed]) -> bool:
        if not changes:
            return True
        try:
            await self._run(rekey_secrets(self._q, changes), write=True)
        except _Changed:
            return False
        return True
