"""Where `xene token` acts: a local store with the signing secret (on the server's
machine), or a server's `/api/v1/tokens` (with an admin token). Both give back
`TokenRecord`s, so the command prints the same either way."""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from xene.cli import stores
from xene.store.tokens import TokenRecord

if TYPE_CHECKING:
    from xene.client.api import ApiClient
    from xene.store.base import ServerStore

SECRET_CREATED = (
    "created the signing secret {path} (mode 0600): restart a server that is already "
    "running with auth so that it accepts these tokens"
)
NEEDS_SERVER_EXTRA = "tokens need the server extra: pip install 'xene[server]' ({error})"
LOCAL_HINT = (
    " — on the server's machine, `xene token {action} --store {url}` (the server's store) "
    "works with its signing secret, without a token"
)


class Tokens(Protocol):
    async def create(self, role: str, name: str, expires: str | None) -> tuple[str, TokenRecord]:
        """The new token and its record."""

    async def list(self) -> list[TokenRecord]: ...

    async def revoke(self, wanted: str) -> TokenRecord: ...

    def now(self) -> float:
        """The time to judge expiry by (the server's answer says the state itself)."""


class LocalTokens:
    """Tokens signed here with the secret file, recorded in a local store."""

    def __init__(self, store: ServerStore, secret_file: Path) -> None:
        self.store, self.secret_file = store, secret_file

    async def create(self, role: str, name: str, expires: str | None) -> tuple[str, TokenRecord]:
        from xene.server import tokens

        lifetime = tokens.lifetime(expires, role)
        secret, made = tokens.read_secret(self.secret_file)
        if made:
            print(SECRET_CREATED.format(path=self.secret_file), file=sys.stderr)
        created_by = f"local:{getpass.getuser()}@{socket.gethostname()}"
        wanted = tokens.NewToken(role, name, lifetime, created_by)
        issued = await tokens.issue(self.store, secret, wanted, time.time())
        return issued.token, issued.record

    async def list(self) -> list[TokenRecord]:
        return await self.store.list_tokens()

    async def revoke(self, wanted: str) -> TokenRecord:
        from xene.server import tokens

        try:
            return await tokens.revoke(self.store, wanted, time.time())
        except LookupError as exc:
            raise stores.CommandError(str(exc)) from exc

    def now(self) -> float:
        return time.time()


class RemoteTokens:
    """A server's tokens, through its API (admins only)."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    async def create(self, role: str, name: str, expires: str | None) -> tuple[str, TokenRecord]:
        from xene.client.api import api_path

        body: dict[str, Any] = {"role": role, "name": name}
        if expires is not None:
            body["expires"] = expires
        data = await self.api.post(api_path("tokens"), json_body=body)
        return str(data["token"]), record_of(data)

    async def list(self) -> list[TokenRecord]:
        from xene.client.api import api_path

        data = await self.api.get(api_path("tokens"))
        return [record_of(item) for item in data["tokens"]]

    async def revoke(self, wanted: str) -> TokenRecord:
        from xene.client.api import api_path

        return record_of(await self.api.delete(api_path("tokens", wanted)))

    def now(self) -> float:
        return time.time()


def record_of(data: dict[str, Any]) -> TokenRecord:
    def at(key: str) -> float | None:
        value = data.get(key)
        return None if value is None else float(value)

    return TokenRecord(
        id=str(data["id"]),
        name=str(data["name"]),
        role=str(data["role"]),
        created_at=float(data["created_at"]),
        expires_at=at("expires_at"),
        created_by=str(data.get("created_by", "")),
        revoked_at=at("revoked_at"),
    )


@asynccontextmanager
async def opened(args: argparse.Namespace) -> AsyncIterator[Tokens]:
    """The tokens `--server` or `--store` name (see `xene.client.settings.choose`)."""
    from xene.client.settings import choose

    target = choose(args.server, args.store)
    secret_file = getattr(args, "secret_file", None)
    if target is not None:
        if secret_file:
            raise stores.CommandError(
                "--secret-file is for tokens signed on the server's machine: it goes with "
                f"a local store, not with a server ({target.origin})"
            )
        from xene.client.api import ApiClient
        from xene.client.errors import ApiError

        async with ApiClient(target.url, target.token, verify=target.verify) as api:
            try:
                yield RemoteTokens(api)
            except ApiError as exc:
                raise _with_hint(exc, args) from exc
        return
    try:
        from xene.server import tokens
    except ImportError as exc:  # pyjwt missing
        raise stores.CommandError(NEEDS_SERVER_EXTRA.format(error=exc)) from exc
    path = Path(secret_file).expanduser() if secret_file else tokens.secret_path()
    async with stores.opened(args) as store:
        yield LocalTokens(cast("ServerStore", store), path)  # every local store is one


def _with_hint(exc: Exception, args: argparse.Namespace) -> Exception:
    from xene.client.errors import ApiError

    assert isinstance(exc, ApiError)
    if exc.status not in (401, 403):
        return exc
    from xene.store import default_url

    hint = LOCAL_HINT.format(action=args.action, url=default_url())
    return ApiError(f"{exc}{hint}", status=exc.status, problems=exc.problems)
