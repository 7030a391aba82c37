"""PostgreSQL databases for integration tests: the same fixtures as the store contract suite."""

from __future__ import annotations

from tests.store.conftest import pg_admin, pg_database, pg_template

__all__ = ["pg_admin", "pg_database", "pg_template"]
