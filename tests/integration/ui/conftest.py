"""The UI's pages through the app in process: a SQLite store of the test's own, and a
client of the app over it, with auth on (signing in, roles) or off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.integration.api.conftest import JWT_SECRET, client_of
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store
from xene.store.base import ServerStore

PAGE = {"accept": "text/html"}
"""What a browser asks for: the pages, not the API's JSON."""


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ServerStore]:
    opened = await open_store(f"sqlite:///{tmp_path}/xene.db")
    yield opened
    await opened.close()


@asynccontextmanager
async def pages(store: ServerStore, *, auth: bool) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app over `store` (its built-in agent off: runs stay queued)."""
    config = ServerConfig(auth=True, jwt_secret=JWT_SECRET, agent=False)
    runtime = Runtime(store, config if auth else ServerConfig(auth=False, agent=False))
    async with client_of(create_app(runtime)) as client:
        yield client
