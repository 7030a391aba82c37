"""Tokens: an admin creates bearer tokens for people and scripts (`POST /api/v1/tokens`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from xene.server import auth
from xene.server.api.deps import ADMIN
from xene.server.runtime import Conflict

router = APIRouter(prefix="/api/v1", tags=["tokens"])


class TokenIn(BaseModel):
    role: Literal["viewer", "manager", "admin"]
    name: Annotated[str, Field(min_length=1, max_length=200, description="who it is for")]
    expires_s: Annotated[
        float | None, Field(gt=0, le=10 * 365 * 86400, description="lifetime in seconds")
    ] = None


class TokenOut(BaseModel):
    token: str
    role: str
    name: str


@router.post("/tokens", response_model=TokenOut, status_code=201, dependencies=[ADMIN])
async def create(body: TokenIn, request: Request) -> TokenOut:
    """A bearer token signed with this server's secret (admins only)."""
    authenticator: auth.Authenticator = request.app.state.auth
    if not authenticator.secret:
        raise Conflict("auth is off on this server (--no-auth): it has no tokens to give")
    token = auth.create_token(authenticator.secret, body.role, body.name, body.expires_s)
    return TokenOut(token=token, role=body.role, name=body.name)
