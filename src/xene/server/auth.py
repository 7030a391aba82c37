"""Who may do what: bearer JWTs (HS256) carrying a name and a role.

`viewer` reads; `manager` also applies workflows, triggers, pauses, cancels, retries,
approves and drives state machines; `admin` also manages tokens, secrets and agents.
With `ServerConfig.auth` off every request is admin: for local use only.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
from fastapi import HTTPException, Request

from xene.server.config import ServerConfig

log = logging.getLogger("xene.server.auth")

ROLES = ("viewer", "manager", "admin")
"""In increasing order of power: each role may do what the ones before it may."""
ALGORITHM = "HS256"
AUTH_OFF_WARNING = "auth is off: anyone who can reach this port can run anything"
CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a request."""

    name: str
    role: str

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


ANONYMOUS_ADMIN = Principal("anonymous", "admin")


def secret_path() -> Path:
    home = Path(os.environ.get("XENE_HOME") or "~/.xene").expanduser()
    return home / "jwt-secret"


def load_secret(config: ServerConfig) -> str:
    """`config.jwt_secret`, else the one at `$XENE_HOME/jwt-secret` (created, mode 0600,
    the first time), so that tokens survive restarts and `xene token create` can sign them."""
    if config.jwt_secret:
        return config.jwt_secret
    path = secret_path()
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # created meanwhile by another process
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


def create_token(secret: str, role: str, name: str, expires_s: float | None = None) -> str:
    """A signed token for `name` with `role`; it never expires when `expires_s` is None."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if not name:
        raise ValueError("a token needs a name (who or what uses it)")
    now = int(time.time())
    claims: dict[str, object] = {"sub": name, "role": role, "iat": now}
    if expires_s is not None:
        claims["exp"] = now + max(int(expires_s), 1)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> Principal:
    """The token's principal; `ValueError` saying why it is refused."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "role"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise ValueError("the token has expired: ask for a new one") from exc
    except jwt.InvalidSignatureError as exc:
        raise ValueError("the token's signature is invalid (signed by another server?)") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise ValueError(f"the token lacks the {exc.claim!r} claim") from exc
    except jwt.InvalidTokenError as exc:
        raise ValueError(f"the token is invalid: {exc}") from exc
    role, name = claims.get("role"), claims.get("sub")
    if role not in ROLES or not isinstance(name, str):
        raise ValueError(f"the token's role {role!r} is none of {', '.join(ROLES)}")
    return Principal(name, str(role))


class Authenticator:
    """Kept on `app.state.auth`: checks the bearer token of a request."""

    def __init__(self, config: ServerConfig) -> None:
        self.enabled = config.auth
        self.secret = load_secret(config) if config.auth else ""
        if not self.enabled:
            log.warning(AUTH_OFF_WARNING, extra={"action": "auth-off"})

    def principal(self, request: Request) -> Principal:
        """The caller, or 401 saying what is wrong with the credentials."""
        if not self.enabled:
            return ANONYMOUS_ADMIN
        found: Principal | None = getattr(request.state, "principal", None)
        if found is not None:
            return found
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise unauthorized("a bearer token is required: Authorization: Bearer <token>")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("the Authorization header must be 'Bearer <token>'")
        try:
            found = decode_token(self.secret, token.strip())
        except ValueError as exc:
            raise unauthorized(str(exc)) from exc
        request.state.principal = found
        return found


def unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers=CHALLENGE)


def check(principal: Principal, role: str) -> Principal:
    if not principal.may(role):
        raise HTTPException(
            403, f"this needs the {role} role (or higher); {principal.name} is {principal.role}"
        )
    return principal


def require(role: str) -> Callable[[Request], Principal]:
    """A FastAPI dependency: the caller, if their role is `role` or higher."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def dependency(request: Request) -> Principal:
        authenticator: Authenticator = request.app.state.auth
        return check(authenticator.principal(request), role)

    return dependency
