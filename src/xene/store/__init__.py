"""Where runs are kept: `await open_store(url)` gives a migrated `Store`.

    memory://                       in this process only (tests, `--dev`)
    sqlite:///relative/path.db      a file (sqlite:////absolute/path.db)
    postgresql://user@host/db       a shared server (also postgres://); needs xene[postgres]

Without a URL: `$XENE_STORE`, else `sqlite:///$XENE_HOME/xene.db` (XENE_HOME: ~/.xene).
"""

from __future__ import annotations

import os
from pathlib import Path

from xene.store.base import ServerStore, Store

__all__ = ["Store", "default_url", "open_store", "store_for"]

URL_FORMS = (
    "memory://, sqlite:///PATH (sqlite:////ABSOLUTE/PATH), postgresql://... or postgres://..."
)


def default_url() -> str:
    """`$XENE_STORE`, else the SQLite file `$XENE_HOME/xene.db` (XENE_HOME: ~/.xene)."""
    url = os.environ.get("XENE_STORE")
    if url:
        return url
    home = Path(os.environ.get("XENE_HOME") or "~/.xene").expanduser().resolve()
    return f"sqlite:///{home / 'xene.db'}"


def store_for(url: str) -> ServerStore:
    """The store a URL names, not yet opened nor migrated; ValueError for other URLs."""
    if url == "memory://":
        from xene.store.memory import MemoryStore

        return MemoryStore()
    if url.startswith("sqlite:///"):
        from xene.store.sqlite import SqliteStore

        return SqliteStore.from_url(url)
    if url.startswith(("postgresql://", "postgres://")):
        from xene.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ValueError(f"unknown store URL {url!r}: expected {URL_FORMS}")


async def open_store(url: str | None = None) -> ServerStore:
    """Open the store a URL names (None: `default_url()`) and migrate it.

    Raises ValueError for a URL of another form. Close the store with `await store.close()`.
    """
    store = store_for(url or default_url())
    try:
        await store.migrate()
    except BaseException:
        await store.close()
        raise
    return store
