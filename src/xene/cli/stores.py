"""What the history commands share: the `--store URL` and `--server URL` options, opening
the store for one command (a local one, or a server's through its API), asking it for a
role only a local store has, finding a run by its id (or a unique prefix of it), and
plain-text tables.

Imports stay light: the store package (or the HTTP client) is imported only when a
command opens it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import TypeIs  # (typing.TypeIs from Python 3.13)

    from xene.client.store import RemoteStore
    from xene.store.base import IdKind, ServerStore, StoredRun
    from xene.store.roles import RunReader

    Opened = ServerStore | RemoteStore
    """A local store (every role), or a server's (`--server`: the readers and approvals)."""

STORE_HELP = (
    "the store of runs, approvals and state machines: sqlite:///path/to/xene.db, "
    "postgresql://user@host/db or memory:// "
    "(default: $XENE_STORE, else sqlite:///$XENE_HOME/xene.db, XENE_HOME being ~/.xene)"
)
SERVER_HELP = (
    "ask this Xene server (`xene serve`) instead of a local store, e.g. "
    "http://127.0.0.1:6060 (default: $XENE_SERVER, else `server:` in "
    "$XENE_HOME/config.yaml, unless --store or $XENE_STORE is given); the token comes from "
    "$XENE_TOKEN, else `token:` in that file"
)
EXIT_OK, EXIT_REFUSED, EXIT_INVALID = 0, 1, 2


class CommandError(Exception):
    """A command cannot go on: printed as `xene: <message>`, exit with `code`."""

    def __init__(self, message: str, code: int = EXIT_INVALID) -> None:
        super().__init__(message)
        self.code = code


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """`--store URL`, and `--server URL`: each command that reads a store can ask a server."""
    parser.add_argument("--store", metavar="URL", default=None, help=STORE_HELP)
    add_server_option(parser)


def add_server_option(parser: argparse.ArgumentParser, text: str = SERVER_HELP) -> None:
    parser.add_argument("--server", metavar="URL", default=None, help=text)


def scope_of(location: str | None) -> str:
    """The container scope (`xene.scope`) of the runs kept in the store at `location` (a
    store URL; None: the default store), the same for every process that shares it
    (`xene run`, `xene resume`, `xene serve`), so each may sweep the others' leftovers.
    A SQLite file is named by its absolute path (however the URL spelled it), PostgreSQL
    by host, port and database (not by who logs in); `memory://` keeps runs in one
    process only: '' (that process's own scope)."""
    from xene.executors.scopes import store_scope
    from xene.store import default_url

    url = location or default_url()
    if url == "memory://":
        return ""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///")).expanduser().resolve()
        return store_scope(f"sqlite:///{path}")
    if url.startswith(("postgresql://", "postgres://")):
        return store_scope(_postgres_location(url))
    return store_scope(url)  # no known form: opening it says so


def _postgres_location(url: str) -> str:
    """`postgresql://HOST:PORT/DB` of a PostgreSQL URL (defaults as libpq's)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:  # not a port: opening the store says so
        return url
    host = (parts.hostname or "localhost").lower()
    database = parts.path.lstrip("/") or parts.username or "postgres"
    return f"postgresql://{host}:{port}/{database}"


@asynccontextmanager
async def opened(args: argparse.Namespace) -> AsyncIterator[Opened]:
    """The store named by `--store` (or the default), migrated; closed on the way out.
    For a command with `--server`, when a server is given (see `xene.client.settings`),
    the server's store instead: a `RemoteStore` over its API, which has only some roles
    (ask for the others with `local`)."""
    if hasattr(args, "server"):
        from xene.client.settings import choose

        target = choose(args.server, getattr(args, "store", None))
        if target is not None:
            from xene.client.store import RemoteStore

            remote = RemoteStore.connect(target)
            try:
                yield remote
            finally:
                await remote.close()
            return
    async with opened_local(args) as store:
        yield store


@asynccontextmanager
async def opened_local(args: argparse.Namespace) -> AsyncIterator[ServerStore]:
    """The store named by `--store` (or the default), migrated; closed on the way out."""
    from xene.extras import MissingExtra
    from xene.store import open_store

    where = args.store or "the default store"
    try:
        store = await open_store(args.store)
    except ValueError as exc:  # a URL of no known form: bad input
        raise CommandError(f"cannot open {where}: {exc}") from exc
    except MissingExtra as exc:  # psycopg for postgresql://: say what to install
        raise CommandError(str(exc)) from exc
    except Exception as exc:  # unreachable, unwritable, refused: each driver its own errors
        raise CommandError(f"cannot open {where}: {exc}", EXIT_REFUSED) from exc
    try:
        yield store
    finally:
        await store.close()


def run_command(command: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """Run an async command; a CommandError (or a server's ApiError) becomes its message
    on stderr and its code."""
    try:
        return asyncio.run(command())
    except CommandError as exc:
        print(f"xene: {exc}", file=sys.stderr)
        return exc.code
    except Exception as exc:
        from xene.client.errors import ApiError

        if not isinstance(exc, ApiError):
            raise
        for line in exc.lines():
            print(line, file=sys.stderr)
        return exc.exit_code


def is_local(store: Opened) -> TypeIs[ServerStore]:
    """Whether `store` has the roles only a local store has: a server's `RemoteStore`
    has not (it has the readers and approvals; the server does the rest)."""
    from xene.store.roles import RunStore

    return isinstance(store, RunStore)


def local(store: Opened, what: str) -> ServerStore:
    """`store` when it is a local one; a server's: CommandError, before anything is asked
    of it, saying that `what` (`deleting runs`) needs a local store and where to run it."""
    if is_local(store):
        return store
    raise CommandError(
        f"{what} is not available against a server ({store.api.url}): it needs a local "
        "store; run it on the server's machine with --store URL (or unset XENE_SERVER)"
    )


async def find_run(store: RunReader, ref: str) -> StoredRun:
    """The run with id `ref`, else the only run whose id starts with `ref` (in any case)."""
    run = await store.get_run(ref) if ref else None
    if run is None and ref:
        found = await find_id(store, "run", ref)
        run = await store.get_run(found) if found else None
    if run is None:
        raise CommandError(f"no run {ref!r} in the store; `xene runs` lists the runs it has")
    return run


_NOUNS = {"run": "run", "hook": "hook", "instance": "state-machine instance"}


async def find_id(store: RunReader, kind: IdKind, ref: str) -> str | None:
    """The id that is `ref` or the only one starting with it, ignoring case (a pasted id
    may have changed case); None if there is none; several: CommandError."""
    found = await store.find_ids(kind, ref, limit=3)
    same = [i for i in found if i.lower() == ref.lower()]
    if len(found) > 1 and len(same) != 1:
        listed = ", ".join(found)
        raise CommandError(
            f"{ref!r} starts several {_NOUNS[kind]} ids ({listed}, …): give more of it"
        )
    if same:
        return same[0]
    return found[0] if found else None


# -- plain-text output --------------------------------------------------------------------


def when(at: float | None) -> str:
    """A local time, `2024-05-01 14:03:09`; empty when unknown."""
    if at is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def elapsed(started: float | None, ended: float | None) -> str:
    if started is None:
        return ""
    if ended is None:
        return "…"
    seconds = ended - started
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.1f}s"
    if seconds < 7200:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


def shorten(text: str | None, width: int = 60) -> str:
    """One line of at most `width` characters."""
    if not text:
        return ""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def glyph(state: str) -> str:
    from xene.cli.display import GLYPH
    from xene.core.states import State

    try:
        return GLYPH[State(state)]
    except ValueError:
        return "?"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell; the last column is not padded."""
    for line in table_lines(headers, rows):
        print(line)


def table_lines(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """`print_table`'s lines: the headers', then one per row."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    lines = []
    for row in (headers, *rows):
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths, strict=False)]
        lines.append("  ".join([*cells, str(row[-1])]).rstrip())
    return lines
