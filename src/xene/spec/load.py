"""Load any definition file into the IR: `load_file(path)` and `load_text(text, filename)`.

The format is told from the content: a `kind` key is a Xene manifest, `state_machine` an
OpenState machine, `nodes` a flow; a `.py` file goes to the Python API. Every problem is
reported at once, sorted by line, in one `errors.InvalidDefinition`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from xene.errors import InvalidDefinition, Problem
from xene.ir import Location, Workflow
from xene.spec import flow, fsm, manifest, source, validate

Loader = Callable[[validate.Reader], Workflow]

FORMATS = (
    "a Xene manifest (kind: Workflow), a flow (nodes: ...) or a state machine (state_machine: ...)"
)


def load_file(path: str | Path) -> Workflow:
    """Load a manifest, flow or state machine (YAML or JSON), or a Python workflow file.

    Raises:
        InvalidDefinition: with every problem found, each as `file:line: path: message`.
    """
    if str(path).endswith(".py"):
        from xene.spec import python_api

        return python_api.load_python_file(path)
    return compile_document(source.read(path))


def load_text(text: str, filename: str = "<memory>") -> Workflow:
    """Load a definition from text; `filename` appears in errors (`.json` parses JSON).

    Raises:
        InvalidDefinition: with every problem found, each as `file:line: path: message`.
    """
    if filename.endswith(".py"):
        message = "a Python workflow loads from its file: use load_file"
        raise InvalidDefinition([Problem(Location(filename), message)])
    return compile_document(source.parse(text, filename))


def detect(data: object) -> Loader | None:
    """The loader for a parsed document, or None when it is none of the three formats."""
    if not isinstance(data, dict):
        return None
    if "kind" in data:
        return manifest.load
    if "state_machine" in data:
        return fsm.load
    if "nodes" in data:
        return flow.load
    return None


def compile_document(doc: source.Document) -> Workflow:
    """Compile a parsed document and run every check; raises InvalidDefinition."""
    reader = validate.Reader(doc)
    loader = detect(doc.data)
    if loader is None:
        what = "is empty" if doc.data is None else "is not a definition"
        if isinstance(doc.data, dict):
            what = "has none of the keys kind, nodes or state_machine"
        reader.error("", f"the file {what}: write {FORMATS}")
        raise InvalidDefinition(_sorted(reader.problems))
    workflow = loader(reader)
    problems = reader.problems + validate.check_workflow(workflow, reader.loc)
    if problems:
        raise InvalidDefinition(_sorted(problems))
    return workflow


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda problem: problem.loc.line)
