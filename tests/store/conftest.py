"""The `store` fixture: every contract test runs on memory, SQLite and PostgreSQL.

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
from pathlib import Path
from typing import Any

import pytest

from xene.store import open_store
from xene.store.base import Store

PG_URL = os.environ.get("XENE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["memory", "sqlite", "postgres"]


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
