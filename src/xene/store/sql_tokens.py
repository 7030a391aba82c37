"""`TokenStore` over SQL: transactions on the `tokens` table (migration 0004), and the
mixin that gives `SqlStore` its token methods."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import TypeVar

from xene.store.tokens import TokenRecord
from xene.store.txn import Row, Stmt, Txn

T = TypeVar("T")
Queries = Mapping[str, str]


def _token(row: Row) -> TokenRecord:
    id_, name, role, created_at, expires_at, created_by, revoked_at = row
    return TokenRecord(
        str(id_), str(name), str(role), float(created_at),
        None if expires_at is None else float(expires_at), str(created_by),
        None if revoked_at is None else float(revoked_at),
    )  # fmt: skip


def record_token(q: Queries, t: TokenRecord) -> Txn[None]:
    params = (t.id, t.name, t.role, t.created_at, t.expires_at, t.created_by, t.revoked_at)
    done = yield Stmt(q["insert_token"], params)
    if done.rowcount != 1:
        raise KeyError(f"token {t.id!r} exists already")


def get_token(q: Queries, token_id: str) -> Txn[TokenRecord | None]:
    found = yield Stmt(q["get_token"], (token_id,))
    return _token(found.rows[0]) if found.rows else None


def list_tokens(q: Queries) -> Txn[list[TokenRecord]]:
    found = yield Stmt(q["list_tokens"])
    return [_token(row) for row in found.rows]


def revoke_token(q: Queries, token_id: str, at: float) -> Txn[TokenRecord | None]:
    yield Stmt(q["revoke_token"], (at, token_id))
    return (yield from get_token(q, token_id))


class SqlTokenOps(abc.ABC):
    """Mixed into `SqlStore`, which gives `_q` and `_run`."""

    _q: Queries

    @abc.abstractmethod
    async def _run(self, txn: Txn[T], *, write: bool) -> T: ...

    async def record_token(self, token: TokenRecord) -> None:
        await self._run(record_token(self._q, token), write=True)

    async def get_token(self, token_id: str) -> TokenRecord | None:
        return await self._run(get_token(self._q, token_id), write=False)

    async def list_tokens(self) -> list[TokenRecord]:
        return await self._run(list_tokens(self._q), write=False)

    async def revoke_token(self, token_id: str, at: float) -> TokenRecord | None:
        return await self._run(revoke_token(self._q, token_id, at), write=True)
