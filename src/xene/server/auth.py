"""Who may do what: bearer JWTs (HS256) carrying a name, a role and a token id.

`viewer` reads; `manager` also applies workflows, triggers, pauses, cancels, retries,
approves and drives state machines; `admin` also manages tokens, secrets and agents.
With `ServerConfig.auth` off every request is admin: for local use only.

Agents are apart: the agent routes take a client certificate signed by the server's
`--client-ca` (its common name is the agent's name, see tls.py) or a token of role
`agent`, and an agent's token is refused everywhere else.

A token is accepted while its signature holds, it has not expired, and the store has its
record, not revoked (server/tokens.py). What the store says of a token is remembered for
`CHECK_S` seconds, so a token revoked through any server is refused by every server on
the same store within that time, without a store read per request.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request

from xene.engine.clock import Clock, SystemClock
from xene.frozen import frozen
from xene.server import tokens
from xene.server.config import ServerConfig
from xene.store.tokens import TokenRecord, TokenStore

log = logging.getLogger("xene.server.auth")

ROLES = tokens.ROLES
AGENT = tokens.AGENT
AUTH_OFF_WARNING = "auth is off: anyone who can reach this port can run anything"
CHALLENGE = {"WWW-Authenticate": "Bearer"}
CHECK_S = 5.0
"""How long what the store says of a token (known, revoked) is trusted before re-reading."""
CACHE_SIZE = 10_000
SESSION_COOKIE = "xene_session"
"""The web UI's sign-in: the token itself, HttpOnly and SameSite=Strict (server/ui)."""
CSRF_COOKIE = "xene_csrf"
CSRF_HEADER = "x-xene-csrf"
"""A write signed in by the cookie must repeat the CSRF cookie's value in this header:
a page of another site can make the browser send the cookie, never read it."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@frozen
class Principal:
    """The caller of a request."""

    name: str
    role: str
    token_id: str = ""
    """The id of the token used (empty with auth off)."""

    def may(self, role: str) -> bool:
        """Whether a person's `role` is this principal's or below it (never an agent's)."""
        return self.role != AGENT and ROLES.index(self.role) >= ROLES.index(role)


ANONYMOUS_ADMIN = Principal("anonymous", "admin")


class Revocations:
    """The store's record of each token id, re-read at most every `ttl_s` seconds (on
    `clock.monotonic()`, injectable so that tests move time instead of sleeping)."""

    def __init__(self, store: TokenStore, clock: Clock, ttl_s: float = CHECK_S) -> None:
        self.store, self.clock, self.ttl_s = store, clock, ttl_s
        self._seen: dict[str, tuple[TokenRecord | None, float]] = {}

    async def record(self, token_id: str) -> TokenRecord | None:
        now = self.clock.monotonic()
        hit = self._seen.get(token_id)
        if hit is not None and now - hit[1] < self.ttl_s:
            return hit[0]
        found = await self.store.get_token(token_id)
        if len(self._seen) >= CACHE_SIZE:
            self._seen.clear()
        self._seen[token_id] = (found, now)
        return found

    def forget(self, token_id: str) -> None:
        """Read the token's record afresh next time (this server just changed it)."""
        self._seen.pop(token_id, None)


class Authenticator:
    """Kept on `app.state.auth`: checks the bearer token of a request."""

    def __init__(
        self, config: ServerConfig, store: TokenStore, *, clock: Clock | None = None
    ) -> None:
        self.enabled = config.auth
        self.secret = tokens.load_secret(config) if config.auth else ""
        self.clock = clock or SystemClock()
        self.revocations = Revocations(store, self.clock)
        if not self.enabled:
            log.warning(AUTH_OFF_WARNING, extra={"action": "auth-off"})

    async def principal(self, request: Request) -> Principal:
        """The caller, or 401 saying what is wrong with the credentials: a bearer token,
        or the web UI's session cookie (its writes carrying the CSRF header)."""
        header = request.headers.get("authorization", "")
        if not header:
            refuse_cross_site(request)
        if not self.enabled:
            return ANONYMOUS_ADMIN
        found: Principal | None = getattr(request.state, "principal", None)
        if found is not None:
            return found
        scheme, _, token = header.partition(" ")
        if not header:
            session = request.cookies.get(SESSION_COOKIE)
            if not session:
                raise unauthorized("a bearer token is required: Authorization: Bearer <token>")
            found = await self.check_token(session)
            request.state.principal = found
            return found
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("the Authorization header must be 'Bearer <token>'")
        found = await self.check_token(token.strip())
        request.state.principal = found
        return found

    async def check_token(self, token: str) -> Principal:
        """The principal of a token, or 401 saying why it is refused."""
        try:
            claims = tokens.decode(self.secret, token, self.clock.now())
        except ValueError as exc:
            raise unauthorized(str(exc)) from exc
        record = await self.revocations.record(claims.token_id)
        if record is None:
            raise unauthorized(
                f"the token {claims.token_id} is not known to this server's store (made "
                "for another store?): make one with `xene token create --store URL` naming "
                "the server's store, or through this server"
            )
        if record.revoked_at is not None:
            raise unauthorized(
                f"the token {record.id} ({record.name}) was revoked: ask an admin for a new one"
            )
        return Principal(claims.name, claims.role, claims.token_id)


def refuse_cross_site(request: Request) -> None:
    """403 for a write a browser sends without a bearer token unless it is the UI's own:
    same-origin and carrying the CSRF cookie's value in `X-Xene-CSRF`. A form another
    site posts has neither (with auth off too: it would act as admin)."""
    if request.method in SAFE_METHODS:
        return
    refuse_cross_site_form(request)
    cookie = request.cookies.get(CSRF_COOKIE)
    if cookie is None and request.cookies.get(SESSION_COOKIE) is None:
        return  # not a browser session: a script without credentials, refused or admin
    sent = request.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(sent, cookie):
        raise HTTPException(
            403, "request refused: the X-Xene-CSRF header must repeat the xene_csrf cookie"
        )


def refuse_cross_site_form(request: Request) -> None:
    """403 for a form of the UI (sign-in, sign-out) that another site posts."""
    site = request.headers.get("sec-fetch-site")
    if site not in (None, "same-origin", "none"):
        raise HTTPException(403, "cross-site request refused")


def unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers=CHALLENGE)


def check(principal: Principal, role: str) -> Principal:
    if principal.role == AGENT:
        raise HTTPException(
            403, f"{principal.name} holds an agent token: it is for the agent routes only"
        )
    if not principal.may(role):
        raise HTTPException(
            403, f"this needs the {role} role (or higher); {principal.name} is {principal.role}"
        )
    return principal


def require(role: str) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency: the caller, if their role is `role` or higher."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    async def dependency(request: Request) -> Principal:
        authenticator: Authenticator = request.app.state.auth
        return check(await authenticator.principal(request), role)

    return dependency


async def agent_principal(request: Request) -> Principal:
    """A FastAPI dependency of the agent routes: the agent calling, named by its client
    certificate (mutual TLS), else by its agent token; 401 or 403 for anyone else."""
    from xene.server.tls import client_common_name

    name = client_common_name(request.scope)
    if name is not None:
        return Principal(name, AGENT)
    authenticator: Authenticator = request.app.state.auth
    if not authenticator.enabled:
        return Principal("", AGENT)  # auth off: the agent names itself
    if not request.headers.get("authorization"):
        raise unauthorized(
            "agent routes need a client certificate signed by the server's --client-ca "
            "(`xene certs agent NAME`), or an agent token (`xene token create --role agent`)"
        )
    principal = await authenticator.principal(request)
    if principal.role != AGENT:
        raise HTTPException(
            403,
            f"the agent routes are for agents; {principal.name} is {principal.role}: use a "
            "client certificate, or a token made with --role agent",
        )
    return principal
