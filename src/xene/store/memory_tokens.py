"""`TokenStore` operations of `MemoryStore`."""

from __future__ import annotations

import dataclasses

from xene.store.tokens import TokenRecord


class MemoryTokenOps:
    """Mixed into `MemoryStore`, whose `__init__` makes `_tokens`."""

    _tokens: dict[str, TokenRecord]

    async def record_token(self, token: TokenRecord) -> None:
        if token.id in self._tokens:
            raise KeyError(f"token {token.id!r} exists already")
        self._tokens[token.id] = token

    async def get_token(self, token_id: str) -> TokenRecord | None:
        return self._tokens.get(token_id)

    async def list_tokens(self) -> list[TokenRecord]:
        return sorted(self._tokens.values(), key=lambda t: (t.created_at, t.id))

    async def revoke_token(self, token_id: str, at: float) -> TokenRecord | None:
        found = self._tokens.get(token_id)
        if found is not None and found.revoked_at is None:
            found = self._tokens[token_id] = dataclasses.replace(found, revoked_at=at)
        return found
