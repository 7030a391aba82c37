"""`xene` starts fast by importing only what the command it runs needs.

What a command imports is checked in a fresh interpreter (this one has imported
everything already); these tests pin what is imported, never how long it takes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from xene.cli import main as cli

HEAVY = ("yaml", "asyncio", "sqlite3", "rich", "httpx")


def imported_by(argv: list[str], *names: str) -> list[str]:
    """Which of `names` are in sys.modules after `main(argv)` in a fresh interpreter."""
    script = (
        "import contextlib, io, sys\n"
        "from xene.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main({argv!r})\n"
        f"print(' '.join(n for n in {names!r} if n in sys.modules))\n"
    )
    command = [sys.executable, "-c", script]
    out = subprocess.run(command, check=False, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_version_imports_no_command_and_nothing_heavy() -> None:
    modules = tuple(f"xene.cli.{module}" for module in cli.COMMANDS.values())
    assert imported_by(["--version"], *HEAVY, *modules) == []


def test_version_defines_no_dataclass_nor_the_ir() -> None:
    """Defining dataclasses is what made `xene --version` slow: it needs none."""
    assert imported_by(["--version"], "dataclasses", "typing", "xene.ir", "xene.frozen") == []


def test_running_a_json_flow_imports_no_yaml(tmp_path: Path) -> None:
    flow = {"name": "one", "nodes": {"only": {"type": "std::json_dynamic"}}, "edges": []}
    path = tmp_path / "one.json"
    path.write_text(json.dumps(flow), encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'x.db'}"
    argv = ["run", str(path), "--quiet", "--store", store]
    assert imported_by(argv, "yaml", "rich", "httpx", "xene.cli.serve") == []


NOT_FOR_A_LOCAL_RUN = (
    *("yaml", "rich", "httpx", "asyncpg", "psycopg", "ctypes", "xene.spec.yaml_reader"),
    *("xene.spec.python_api", "xene.store.memory", "xene.store.postgres", "xene.server"),
    *("xene.client", "xene.triggers", "xene.cli.serve", "xene.cli.live", "xene.executors"),
    "random",
)
"""What `xene run` of a JSON flow of std nodes on SQLite must not import: the YAML reader,
the other stores, the server and its client, triggers, the live display (stdout is not a
terminal here), shell executors (no task runs a command), and `random` (no retry's jitter
is drawn)."""


def test_running_a_json_flow_on_sqlite_imports_only_what_it_uses(tmp_path: Path) -> None:
    flow = {"name": "one", "nodes": {"only": {"type": "std::json_dynamic"}}, "edges": []}
    path = tmp_path / "one.json"
    path.write_text(json.dumps(flow), encoding="utf-8")
    argv = ["run", str(path), "--quiet", "--store", f"sqlite:///{tmp_path / 'x.db'}"]
    assert imported_by(argv, *NOT_FOR_A_LOCAL_RUN, "asyncio", "sqlite3") == ["asyncio", "sqlite3"]


def test_a_command_gets_only_its_own_parser() -> None:
    commands = cli.build_parser(["run", "flow.yaml"])._subparsers._group_actions[0]  # type: ignore[union-attr]
    assert list(commands.choices) == ["run"]


def test_each_command_s_module_registers_that_command_and_its_older_names() -> None:
    for name in cli.COMMANDS:
        commands = cli.build_parser([name])._subparsers._group_actions[0]  # type: ignore[union-attr]
        older = [alias for alias, command in cli.ALIASES.items() if command == name]
        assert list(commands.choices) == [name, *older]


def test_an_older_name_gets_its_command_s_parser() -> None:
    for alias, name in cli.ALIASES.items():
        commands = cli.build_parser([alias])._subparsers._group_actions[0]  # type: ignore[union-attr]
        assert alias in commands.choices
        assert name in commands.choices


def test_help_lists_every_command_with_its_help_line() -> None:
    text = cli.build_parser(["--help"]).format_help()
    listed = [line.split()[0] for line in text.splitlines() if line.startswith("    ")]
    assert [name for name in listed if name in cli.COMMANDS] == list(cli.COMMANDS)
    assert "run a workflow now, on this machine" in text
