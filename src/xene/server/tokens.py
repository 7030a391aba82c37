"""API tokens: signed JWTs (HS256) whose record the store keeps, so they can be listed
and revoked. Used by `xene token` on the server's machine and by `/api/v1/tokens`.

A token carries `sub` (its name), `role`, `iat`, `exp` (unless it never expires) and
`jti`, the id of its record (store/tokens.py). The record is written before the token is
signed, so a token exists only once the store knows it. Imports only PyJWT: the CLI uses
this module without the web framework.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import jwt

from xene.frozen import frozen
from xene.server.config import ServerConfig
from xene.store.tokens import TokenRecord, TokenStore

ROLES = ("viewer", "manager", "admin")
"""People's roles, in increasing order of power: each may do what the ones before may."""
AGENT = "agent"
"""An agent's role, beside people's: it may call the agent routes and nothing else."""
TOKEN_ROLES = (*ROLES, AGENT)
ALGORITHM = "HS256"
DEFAULT_EXPIRES = "30d"
NEVER = "never"
MAX_LIFETIME_S = 10 * 365 * 86400.0
LEGACY = (
    "the token has no id: it was made before tokens could be revoked, and is no longer "
    "accepted; make a new one with `xene token create --role ROLE --name NAME` on the "
    "server's machine, or ask an admin for one"
)


@frozen
class Claims:
    """What a valid token says."""

    name: str
    role: str
    token_id: str
    expires_at: float | None


@frozen
class NewToken:
    """What a token to make is for."""

    role: str
    name: str
    lifetime_s: float | None
    """None: it never expires (see `lifetime`)."""
    created_by: str


@frozen
class Issued:
    token: str
    record: TokenRecord


def secret_path() -> Path:
    home = Path(os.environ.get("XENE_HOME") or "~/.xene").expanduser()
    return home / "jwt-secret"


def read_secret(path: Path) -> tuple[str, bool]:
    """The signing secret in `path`, and whether it was just created: a file that does
    not exist is made with a new random secret, mode 0600. ValueError for an empty file."""
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # created meanwhile by another process
            return read_secret(path)[0], False
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48))
        return path.read_text(encoding="utf-8").strip(), True
    if not secret:
        raise ValueError(f"{path} is empty: delete it to have a new secret made")
    return secret, False


def load_secret(config: ServerConfig) -> str:
    """`config.jwt_secret`, else the one at `$XENE_HOME/jwt-secret` (created, mode 0600,
    the first time), so that tokens survive restarts and `xene token create` can sign them."""
    return config.jwt_secret or read_secret(secret_path())[0]


def lifetime(expires: str | None, role: str) -> float | None:
    """Seconds a new token lasts, from `90m`, `12h`, `30d` (None: 30 days) or `never`
    (None returned: admin tokens only). ValueError saying what to write instead."""
    from xene.spec.durations import parse_duration

    text = (expires or DEFAULT_EXPIRES).strip()
    if text.lower() == NEVER:
        if role != "admin":
            raise ValueError(
                f"--expires never is for admin tokens only: give a {role} token a lifetime "
                "(e.g. --expires 365d) and revoke it with `xene token revoke ID` when done"
            )
        return None
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"--expires {text}: {exc}, or never") from exc
    if seconds > MAX_LIFETIME_S:
        raise ValueError(f"--expires {text}: at most 3650d (ten years), or never for admins")
    return seconds


async def issue(store: TokenStore, secret: str, wanted: NewToken, now: float) -> Issued:
    """Record a new token, then sign it. ValueError for an unknown role or no name."""
    from xene.engine.clock import new_id

    if wanted.role not in TOKEN_ROLES:
        raise ValueError(f"unknown role {wanted.role!r}: use one of {', '.join(TOKEN_ROLES)}")
    if not wanted.name.strip():
        raise ValueError("a token needs a name (who or what uses it)")
    lasts = wanted.lifetime_s
    expires_at = None if lasts is None else float(int(now) + max(int(lasts), 1))
    record = TokenRecord(new_id(now), wanted.name, wanted.role, now, expires_at, wanted.created_by)
    await store.record_token(record)
    return Issued(sign(secret, record), record)


def sign(secret: str, record: TokenRecord) -> str:
    claims: dict[str, object] = {
        "sub": record.name,
        "role": record.role,
        "iat": int(record.created_at),
        "jti": record.id,
    }
    if record.expires_at is not None:
        claims["exp"] = int(record.expires_at)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode(secret: str, token: str, now: float) -> Claims:
    """The token's claims if its signature holds and it has not expired at `now`;
    ValueError saying why it is refused. Whether it was revoked is the store's to say."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "role"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidSignatureError as exc:
        raise ValueError("the token's signature is invalid (signed by another server?)") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise ValueError(f"the token lacks the {exc.claim!r} claim") from exc
    except jwt.InvalidTokenError as exc:
        raise ValueError(f"the token is invalid: {exc}") from exc
    role, name, token_id, exp = (claims.get(k) for k in ("role", "sub", "jti", "exp"))
    if role not in TOKEN_ROLES or not isinstance(name, str):
        raise ValueError(f"the token's role {role!r} is none of {', '.join(TOKEN_ROLES)}")
    if exp is not None and (not isinstance(exp, int | float) or exp <= now):
        raise ValueError("the token has expired: ask for a new one (`xene token create`)")
    if not isinstance(token_id, str) or not token_id:
        raise ValueError(LEGACY)
    return Claims(name, str(role), token_id, None if exp is None else float(exp))


async def find(store: TokenStore, wanted: str) -> TokenRecord:
    """The token whose id is `wanted` or starts with it (any letter case); LookupError
    if none or several do."""
    exact = await store.get_token(wanted)
    if exact is not None:
        return exact
    prefix = wanted.strip().lower()
    found = [t for t in await store.list_tokens() if prefix and t.id.lower().startswith(prefix)]
    if not found:
        raise LookupError(f"no token {wanted!r}: `xene token list` shows their ids")
    if len(found) > 1:
        some = ", ".join(t.id for t in found[:5])
        raise LookupError(f"{wanted!r} is the start of {len(found)} token ids ({some}): say more")
    return found[0]


async def revoke(store: TokenStore, wanted: str, now: float) -> TokenRecord:
    """Revoke the token `wanted` names (see `find`); the record, revoked."""
    found = await find(store, wanted)
    revoked = await store.revoke_token(found.id, now)
    if revoked is None:  # deleted meanwhile: records are never deleted, but say so
        raise LookupError(f"no token {wanted!r}")
    return revoked
