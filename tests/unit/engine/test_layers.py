"""The engine's layers: the front door (engine, durable) builds the loop (execution), and
the loop's helpers see it only through `xene.engine.run_view`, never importing back up."""

from __future__ import annotations

import ast
from pathlib import Path

import xene.engine
import xene.secrets.inject

ENGINE = Path(xene.engine.__file__).parent
ABOVE_THE_HELPERS = {"xene.engine.engine", "xene.engine.durable", "xene.engine.execution"}


def imported(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it (under TYPE_CHECKING, in functions)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def helpers() -> dict[str, Path]:
    modules = {f"xene.engine.{path.stem}": path for path in ENGINE.glob("*.py")}
    return {name: path for name, path in modules.items() if name not in ABOVE_THE_HELPERS}


def test_the_imports_of_a_module_are_read_wherever_they_are() -> None:
    assert {"xene.engine.kept", "xene.engine.kept.Durable"} <= imported(
        ENGINE / "execution.py"
    )  # under TYPE_CHECKING
    assert "xene.engine.tasks" in imported(ENGINE / "attempts.py")  # inside a function


def test_no_helper_of_the_loop_imports_it_or_the_front_door() -> None:
    found = helpers()
    assert {"attempts", "constructs", "context", "kept", "tasks", "run_view"} <= {
        name.rsplit(".", 1)[1] for name in found
    }
    climbing = {name: sorted(imported(path) & ABOVE_THE_HELPERS) for name, path in found.items()}
    assert {name: up for name, up in climbing.items() if up} == {}


def test_the_secrets_a_run_starts_with_are_prepared_without_the_loop() -> None:
    assert not imported(Path(xene.secrets.inject.__file__)) & ABOVE_THE_HELPERS


def test_the_loop_does_not_import_the_front_door() -> None:
    up = imported(ENGINE / "execution.py") & {"xene.engine.engine", "xene.engine.durable"}
    assert up == set()
