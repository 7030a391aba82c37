"""The `store` fixture: every contract test runs on memory, SQLite and PostgreSQL.

A role's contract runs on every backend that declares the role (`backends_with`): the
`store` fixture on those that are a `ServerStore` (every local one); the `reading`
fixture of a test marked `pytest.mark.role.with_args(RunReader)` (or another role) on
each that has the role, `remote` too: a `RemoteStore` over a server's API (in process,
through httpx's ASGI transport) on a memory store. A `Reading` is the local store the
test writes through and the backend it reads back from.

PostgreSQL: the local server (`XENE_TEST_POSTGRES`, default
postgresql://postgres@127.0.0.1:5432/test). A migrated template database is made once
per session; each test gets a fresh `CREATE DATABASE ... TEMPLATE` copy, dropped after.
Names carry a random suffix, so several test sessions can share the server. Without a
server the PostgreSQL tests skip, loudly, and fail under CI=true.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from xene.client.api import ApiClient
from xene.client.store import RemoteStore
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store
from xene.store.base import ServerStore, Store
from xene.store.memory import MemoryStore
from xene.store.postgres import PostgresStore
from xene.store.sqlite import SqliteStore

PG_URL = os.environ.get("XENE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
CLASSES: dict[str, type] = {
    "memory": MemoryStore,
    "sqlite": SqliteStore,
    "postgres": PostgresStore,
    "remote": RemoteStore,
}
"""Each backend's store class: the roles it has are the ones it names as bases."""


def backends_with(role: type) -> list[str]:
    """The backends whose class declares `role`."""
    return [name for name, cls in CLASSES.items() if issubclass(cls, role)]


BACKENDS = backends_with(ServerStore)


def pg_url(database: str) -> str:
    """PG_URL with another database name."""
    return PG_URL.rsplit("/", 1)[0] + "/" + database


def _unreachable(reason: str) -> None:
    message = (
        f"POSTGRESQL TESTS NOT RUN: no server at {PG_URL} ({' '.join(reason.split())}). Start it "
        "(pg_ctlcluster ... main start) or set XENE_TEST_POSTGRES."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip("!!! " + message)


class PgAdmin:
    """Creates and drops databases on the test server."""

    def __init__(self) -> None:
        try:
            import psycopg
        except ImportError as error:
            _unreachable(f"psycopg is not installed: {error}")
        try:
            self.conn: Any = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
        except psycopg.OperationalError as error:
            _unreachable(str(error).strip())

    def create(self, template: str | None = None) -> str:
        name = f"xene_t_{uuid.uuid4().hex[:12]}"
        suffix = f" TEMPLATE {template}" if template else ""
        self.conn.execute(f"CREATE DATABASE {name}{suffix}")
        return name

    def drop(self, name: str) -> None:
        self.conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[PgAdmin]:
    admin = PgAdmin()
    yield admin
    admin.conn.close()


@pytest.fixture(scope="session")
def pg_template(pg_admin: PgAdmin) -> Iterator[str]:
    """A migrated database to copy."""
    name = pg_admin.create()

    async def migrate() -> None:
        store = await open_store(pg_url(name))
        await store.close()

    asyncio.run(migrate())
    yield name
    pg_admin.drop(name)


@pytest.fixture
def pg_database(pg_admin: PgAdmin, pg_template: str) -> Iterator[str]:
    """The URL of a fresh, migrated database."""
    name = pg_admin.create(template=pg_template)
    yield pg_url(name)
    pg_admin.drop(name)


@pytest.fixture
def pg_empty(pg_admin: PgAdmin) -> Iterator[str]:
    """The URL of a fresh database without any table."""
    name = pg_admin.create()
    yield pg_url(name)
    pg_admin.drop(name)


def backend_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'xene.db'}"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(request, request.param, tmp_path)


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    opened = await open_store(store_url)
    yield opened
    await opened.close()


@pytest.fixture
def backend(store_url: str) -> str:
    """The name of the backend the `store` fixture is on."""
    return store_url.split(":", 1)[0].replace("postgresql", "postgres")


@dataclass(frozen=True, slots=True)
class Reading:
    """Where a role's contract test writes (`store`, local) and what it reads back from
    (`reader`: the same store, or a server's `RemoteStore` over it)."""

    store: ServerStore
    reader: ServerStore | RemoteStore


REMOTE = "remote"
"""The URL of the remote backend (not a store URL: `_reading` serves a store's API)."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "role(protocol): the store role a contract test is of")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `role.with_args(RunReader)` runs on each backend that has the role."""
    marker = metafunc.definition.get_closest_marker("role")
    if marker is not None and "reading" in metafunc.fixturenames:
        metafunc.parametrize("reading_url", backends_with(marker.args[0]), indirect=True)


@pytest.fixture
def reading_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Set up synchronously: PostgreSQL's template database migrates in its own loop."""
    return REMOTE if request.param == REMOTE else backend_url(request, request.param, tmp_path)


@pytest.fixture
async def reading(reading_url: str) -> AsyncIterator[Reading]:
    if reading_url != REMOTE:
        store = await open_store(reading_url)
        yield Reading(store, store)
        await store.close()
        return
    store = await open_store("memory://")
    # Not started: no agent claims the test's runs; the routes only read and decide.
    app = create_app(Runtime(store, ServerConfig(auth=False)))
    remote = RemoteStore(ApiClient("http://x", transport=httpx.ASGITransport(app=app)))
    yield Reading(store, remote)
    await remote.close()
    await store.close()
