"""The SQL files beside this module: named query blocks and numbered migrations.

Queries live in `queries/common.sql` as `-- name: NAME` blocks; `queries/<dialect>.sql`
overrides the few that must differ. Migrations are `migrations/<dialect>/NNNN_name.sql`,
applied in order by `SqlStore.migrate`.
"""

from __future__ import annotations

import re
from pathlib import Path

from xene.core.states import State
from xene.frozen import frozen

HERE = Path(__file__).parent
DIALECTS = ("sqlite", "postgres")
_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)
_MIGRATION = re.compile(r"^(\d{4})_\w+\.sql$")
FINAL_RUN_STATES = (State.SUCCESS, State.ERROR, State.CANCELLED, State.ERROR_CONFIGURING)
"""What `{final}` stands for: the states a run ends in, which `State.finished` says (less
`Skipped`, a node's state, never a run's). In the order of the partial index of unfinished
runs (migrations 0001 and 0005): SQLite uses a partial index only for a query that repeats
its WHERE term for term, so a query reordering the list would scan every run."""


@frozen
class Migration:
    """One numbered migration file, split into its statements."""

    version: int
    name: str
    statements: tuple[str, ...]


def load_queries(dialect: str) -> dict[str, str]:
    """Every named query for the dialect, its placeholders in the driver's style."""
    _check(dialect)
    queries = parse_blocks((HERE / "queries" / "common.sql").read_text())
    queries.update(parse_blocks((HERE / "queries" / f"{dialect}.sql").read_text()))
    final = "(" + ", ".join(f"'{state}'" for state in FINAL_RUN_STATES) + ")"
    return {
        name: _placeholders(sql.replace("{final}", final), dialect) for name, sql in queries.items()
    }


def parse_blocks(text: str) -> dict[str, str]:
    """`-- name: X` blocks of a file, comments dropped."""
    parts = _NAME.split(text)
    blocks = zip(parts[1::2], parts[2::2], strict=True)
    return {name: _strip_comments(body) for name, body in blocks}


def load_migrations(dialect: str) -> list[Migration]:
    """The dialect's migrations, oldest first."""
    _check(dialect)
    found = []
    for path in sorted((HERE / "migrations" / dialect).glob("*.sql")):
        match = _MIGRATION.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path} is not named NNNN_name.sql")
        found.append(Migration(int(match[1]), path.stem, split_statements(path.read_text())))
    return found


def split_statements(script: str) -> tuple[str, ...]:
    """A script's statements: comments dropped, split at a `;` that ends a line."""
    body = _strip_comments(script)
    return tuple(s.strip() for s in re.split(r";\s*$", body, flags=re.MULTILINE) if s.strip())


def _strip_comments(sql: str) -> str:
    lines = (line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return "\n".join(lines).strip()


def _placeholders(sql: str, dialect: str) -> str:
    if dialect == "postgres":
        return sql.replace("%", "%%").replace("?", "%s")
    return sql


def _check(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}: expected one of {DIALECTS}")
