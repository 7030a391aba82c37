"""PostgreSQL databases for acceptance tests: the store contract suite's fixtures."""

from __future__ import annotations

from tests.store.conftest import pg_admin, pg_database, pg_template

__all__ = ["pg_admin", "pg_database", "pg_template"]
