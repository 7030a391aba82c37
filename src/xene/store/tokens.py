"""Token records: what the store keeps of each API token (never the token itself).

A token is a signed JWT whose `jti` claim is the id of its record here. A server accepts
a token only while its record exists and is not revoked, so `xene token revoke` takes
effect on every server sharing the store (each re-reads a record within seconds).
"""

from __future__ import annotations

from typing import Literal, Protocol

from xene.frozen import frozen

TokenState = Literal["active", "expired", "revoked"]


@frozen
class TokenRecord:
    id: str
    """The token's `jti` claim: a time-sortable id (26 characters)."""
    name: str
    """Who or what uses the token (shown in refusals and in `xene token list`)."""
    role: str
    created_at: float
    expires_at: float | None
    """None: it never expires (admin tokens only)."""
    created_by: str
    """Who made it: the admin's name for a token made through the API, `local:USER@HOST`
    for one made with the signing secret on the server's machine."""
    revoked_at: float | None = None

    def state(self, now: float) -> TokenState:
        """`active`, `expired` or `revoked`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


class TokenStore(Protocol):
    """The token operations of a store (part of `ServerStore`)."""

    async def record_token(self, token: TokenRecord) -> None:
        """Keep a new token's record; KeyError if its id exists already."""

    async def get_token(self, token_id: str) -> TokenRecord | None: ...

    async def list_tokens(self) -> list[TokenRecord]:
        """Every record, revoked and expired ones included, oldest first."""

    async def revoke_token(self, token_id: str, at: float) -> TokenRecord | None:
        """Mark the token revoked at `at` unless it is already (then its first revocation
        stands); the record as it is now, None if there is no such token."""
