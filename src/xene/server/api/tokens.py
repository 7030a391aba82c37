"""Tokens (admins only): create (`POST /api/v1/tokens`), list, revoke (`DELETE`).

The store keeps a record of each token, never the token itself; a revoked token is
refused by every server on the store within `auth.CHECK_S` seconds.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from xene.server import auth, tokens
from xene.server.api import deps
from xene.server.api.errors import ApiError
from xene.server.api.models import ErrorOut
from xene.server.runtime import Conflict, NotFound, Runtime
from xene.store.tokens import TokenRecord

router = APIRouter(prefix="/api/v1", tags=["tokens"], responses=deps.ERRORS)
Admin = Annotated[auth.Principal, Depends(auth.require("admin"))]


class TokenIn(BaseModel):
    role: Literal["viewer", "manager", "admin", "agent"]
    name: Annotated[str, Field(min_length=1, max_length=200, description="who it is for")]
    expires: Annotated[
        str,
        Field(
            min_length=1,
            max_length=20,
            description="how long it is valid: 90m, 12h, 30d (at most 3650d), or never "
            "(admin tokens only)",
        ),
    ] = tokens.DEFAULT_EXPIRES


class TokenInfoOut(BaseModel):
    id: str = Field(description="the token's `jti` claim")
    name: str
    role: str
    created_at: float
    expires_at: float | None = Field(description="null: it never expires")
    revoked_at: float | None
    created_by: str
    state: Literal["active", "expired", "revoked"]


class TokenOut(TokenInfoOut):
    token: str = Field(description="the bearer token: shown once, kept nowhere")


class TokenListOut(BaseModel):
    tokens: list[TokenInfoOut]


def _info(record: TokenRecord, now: float) -> TokenInfoOut:
    return TokenInfoOut(
        id=record.id,
        name=record.name,
        role=record.role,
        created_at=record.created_at,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
        created_by=record.created_by,
        state=record.state(now),
    )


def _authenticator(request: Request) -> auth.Authenticator:
    authenticator: auth.Authenticator = request.app.state.auth
    if not authenticator.secret:
        raise Conflict("auth is off on this server (--no-auth): it has no tokens to give")
    return authenticator


@router.post(
    "/tokens",
    response_model=TokenOut,
    status_code=201,
    responses={
        400: {"model": ErrorOut, "description": "a bad lifetime (or never for a non-admin)"},
        409: {"model": ErrorOut, "description": "auth is off on this server"},
    },
)
async def create(
    body: TokenIn, request: Request, runtime: deps.RuntimeDep, admin: Admin
) -> TokenOut:
    """A bearer token signed with this server's secret, valid 30 days unless `expires`
    says otherwise."""
    authenticator = _authenticator(request)
    try:
        lifetime = tokens.lifetime(body.expires, body.role)
    except ValueError as exc:
        raise ApiError(400, str(exc).replace("--expires", "expires")) from exc
    now = runtime.clock.now()
    wanted = tokens.NewToken(body.role, body.name, lifetime, created_by=admin.name)
    issued = await tokens.issue(runtime.store, authenticator.secret, wanted, now)
    return TokenOut(token=issued.token, **_info(issued.record, now).model_dump())


@router.get("/tokens", response_model=TokenListOut)
async def list_tokens(runtime: deps.RuntimeDep, admin: Admin) -> TokenListOut:
    """Every token made on this store, oldest first, with its state (never the token)."""
    now = runtime.clock.now()
    found = await runtime.store.list_tokens()
    return TokenListOut(tokens=[_info(t, now) for t in found])


@router.delete("/tokens/{token_id}", response_model=TokenInfoOut)
async def revoke(
    token_id: str, request: Request, runtime: deps.RuntimeDep, admin: Admin
) -> TokenInfoOut:
    """Revoke a token (its id, or the unique start of one). Revoking again changes nothing."""
    revoked = await _revoke(runtime, token_id)
    authenticator: auth.Authenticator = request.app.state.auth
    authenticator.revocations.forget(revoked.id)
    return _info(revoked, runtime.clock.now())


async def _revoke(runtime: Runtime, wanted: str) -> TokenRecord:
    try:
        return await tokens.revoke(runtime.store, wanted, runtime.clock.now())
    except LookupError as exc:
        raise NotFound(str(exc)) from exc
