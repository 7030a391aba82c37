"""Checks shared by every definition format, each reporting every problem it finds.

`Reader` gives the loaders typed access to a parsed document's fields and collects one
located `Problem` per mistake instead of stopping at the first. `check_workflow` runs the
graph checks on the IR itself (so the Python API can use them too): duplicate ids, node
types, their required config and ports, edges to unknown nodes, cycles, selector roots,
size limits, and no Python in a container pipeline.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, Protocol, cast

from xene.core import dag, selectors
from xene.errors import Problem
from xene.ir import TASK, Edge, Location, Node, Pipeline, Workflow
from xene.nodes.base import NodeType
from xene.spec import durations, limits
from xene.spec.source import Document, join

TASK_PORTS = ("out",)
_PYTHON_NODE = "std::python"
EXPRESSION_KEYS = frozenset({"expression", "until_expression", "while_expression"})
"""Config keys whose bare `${field}` names a field of the node's input (not checked)."""

MAX_LISTED = 20
"""An error lists every known name up to this many; past it, a few and how many."""
MAX_SUGGESTED = 1000
"""Names searched for a close match (difflib costs about 1 ms per 1,000 names)."""

Locate = Callable[[str], Location]


class NodeTypes(Protocol):
    """What validation needs from `xene.nodes.registry`."""

    def get(self, type_name: str) -> NodeType | None: ...
    def names(self) -> list[str]: ...


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f'text ("{value}")' if len(value) < 40 else "text"
    return "a list" if isinstance(value, list) else "a mapping"


def describe(value: Any) -> str:
    """`a number (5)`, `text ("x")`, ...: how errors name a value of the wrong kind."""
    return _kind(value)


class Reader:
    """Typed access to a document's fields; each mistake becomes one located Problem.

    Getters take the parent mapping, the key and the parent's path, and return a usable
    default after recording a problem, so a loader carries on and reports everything.
    """

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = list(doc.problems)
        self._refused = {problem.loc.path for problem in doc.problems}

    def loc(self, path: str) -> Location:
        return self.doc.loc(path)

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.doc.loc(path), message))

    def wrong_kind(self, path: str, value: Any, expected: str = "a name") -> str:
        """What to say of `value` at `path` where text was expected: an unquoted `on`,
        `yes` or `off` that YAML read as a boolean gets told to be quoted."""
        text = self.doc.booleans.get(path)
        if isinstance(value, bool) and text is not None:
            return f"`{text}` was read as a boolean; quote it: '{text}'"
        return f"expected {expected}, got {_kind(value)}"

    def keys(self, value: Mapping[str, Any], path: str, known: Collection[str], what: str) -> None:
        """Report keys of `value` outside `known`, suggesting the closest known one."""
        for key in value:
            if key not in known:
                self.error(join(path, key), _unknown_key(key, known, what))

    def _get(self, parent: Mapping[str, Any], key: str, path: str, required: bool) -> Any:
        value = parent.get(key)
        where = join(path, key)
        if value is None and required and where not in self._refused:
            self.error(where, f'"{key}" is required here')
        return value

    def mapping(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> dict[str, Any]:
        value = self._get(parent, key, path, required)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(join(path, key), f"expected a mapping (key: value), got {_kind(value)}")
            return {}
        return value

    def sequence(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> list[Any]:
        value = self._get(parent, key, path, required)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(join(path, key), f"expected a list, got {_kind(value)}")
            return []
        return value

    def text(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> str:
        value = self._get(parent, key, path, required)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            where = join(path, key)
            self.error(where, self.wrong_kind(where, value, "text"))
            return ""
        if required and not str(value).strip():
            self.error(join(path, key), f'"{key}" must not be empty')
        return str(value)

    def integer(
        self, parent: Mapping[str, Any], key: str, path: str, *, default: int, minimum: int = 0
    ) -> int:
        value = parent.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.error(join(path, key), f"expected a whole number >= {minimum}, got {_kind(value)}")
            return default
        return value

    def number(
        self, parent: Mapping[str, Any], key: str, path: str, *, default: float, minimum: float
    ) -> float:
        value = parent.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            self.error(join(path, key), f"expected a number >= {minimum:g}, got {_kind(value)}")
            return default
        return float(value)

    def flag(self, parent: Mapping[str, Any], key: str, path: str, *, default: bool) -> bool:
        value = parent.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(join(path, key), f"expected true or false, got {_kind(value)}")
            return default
        return value

    def strings(self, parent: Mapping[str, Any], key: str, path: str) -> list[str]:
        """A list of texts (ids, names); bad items are reported and left out."""
        found: list[str] = []
        for index, item in enumerate(self.sequence(parent, key, path)):
            where = f"{join(path, key)}[{index}]"
            if isinstance(item, str) and item:
                found.append(item)
            else:
                self.error(where, self.wrong_kind(where, item))
        return found

    def labels(self, parent: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        """Agent labels (labels.py): bad ones are reported and left out; sorted, once each."""
        from xene import labels

        found = self.strings(parent, key, path)
        for index, label in enumerate(found):
            trouble = labels.problem([label])
            if trouble:
                self.error(f"{join(path, key)}[{index}]", trouble)
        if len(found) > labels.MAX_LABELS:
            self.error(join(path, key), f"a pipeline needs at most {labels.MAX_LABELS} labels")
        return labels.canonical(label for label in found if not labels.problem([label]))

    def env(self, parent: Mapping[str, Any], key: str, path: str) -> dict[str, str]:
        """Environment variables: text, numbers and booleans become text."""
        found: dict[str, str] = {}
        where = join(path, key)
        for name, value in self.mapping(parent, key, path).items():
            if isinstance(value, bool):
                found[name] = str(value).lower()
            elif isinstance(value, str | int | float):
                found[name] = str(value)
            else:
                self.error(join(where, name), f"an environment value is text, got {_kind(value)}")
        return found

    def duration(
        self, parent: Mapping[str, Any], key: str, path: str, *, millis: bool = False
    ) -> float | None:
        """Seconds, from `30`, `"90s"`, `"1h30m"` (or from milliseconds when `millis`)."""
        value = parent.get(key)
        if value is None:
            return None
        if millis:
            millis_value = self.number(parent, key, path, default=0.0, minimum=1.0)
            return millis_value / 1000.0 if millis_value else None
        try:
            return durations.parse_duration(value)
        except ValueError as exc:
            self.error(join(path, key), str(exc))
            return None


def not_runnable(workflow: Workflow) -> list[Problem]:
    """What a valid definition holds that cannot run yet: nothing today.

    `xene validate` prints these as warnings, while `xene run` and `xene apply` refuse the
    definition with them, rather than accept it and fail every run. (The container
    executor was the last such thing; it runs now.)
    """
    del workflow
    return []


def known_names(names: Collection[str], wanted: str, what: str) -> str:
    """What an error about an unknown `wanted` says exists (`known nodes: a, b`): every
    name when they are few; else the closest one, a few, and how many, so that an error
    in a pipeline of 10,000 nodes stays one line."""
    if len(names) <= MAX_LISTED:
        return f"known {what}: {', '.join(names) or 'none'}"
    import difflib

    close = (
        difflib.get_close_matches(wanted, list(names), n=1) if len(names) <= MAX_SUGGESTED else []
    )
    hint = f'did you mean "{close[0]}"? ' if close else ""
    some = ", ".join(list(names)[:5])
    return f"{hint}{len(names)} known {what}, such as {some}, ..."


def _unknown_key(key: str, known: Collection[str], what: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    return f'unknown key "{key}" in {what}{hint} (known keys: {", ".join(sorted(known))})'


def registry() -> NodeTypes | None:
    """`xene.nodes.registry`, imported on first need; None while it does not exist."""
    try:
        module = importlib.import_module("xene.nodes.registry")
    except ModuleNotFoundError as exc:
        if exc.name != "xene.nodes.registry":
            raise
        return None
    return cast(NodeTypes, module)


def check_workflow(
    workflow: Workflow, locate: Locate | None = None, types: NodeTypes | None = None
) -> list[Problem]:
    """Every graph problem of every pipeline. `locate` maps a key path to its location
    (a loader passes `Document.loc`); `types` defaults to the node registry."""
    problems: list[Problem] = []
    for pipeline in workflow.pipelines:
        problems += check_pipeline(pipeline, locate, types)
    return problems


def check_pipeline(
    pipeline: Pipeline, locate: Locate | None = None, types: NodeTypes | None = None
) -> list[Problem]:
    """Every graph problem of one pipeline (see the module docstring)."""
    checker = _Checker(pipeline, locate, types)
    return checker.run()


class _Checker:
    def __init__(self, pipeline: Pipeline, locate: Locate | None, types: NodeTypes | None):
        self.pipeline = pipeline
        self.locate = locate
        self.types = types
        self.types_loaded = types is not None
        self.problems: list[Problem] = []
        self.ids = {node.id for node in pipeline.nodes}
        self._sorted: list[str] | None = None

    def at(self, loc: Location, suffix: str = "") -> Location:
        path = join(loc.path, suffix) if suffix else loc.path
        if self.locate is not None and loc.path:
            return self.locate(path)
        return Location(loc.file, loc.line, path)

    def error(self, loc: Location, message: str, suffix: str = "") -> None:
        self.problems.append(Problem(self.at(loc, suffix), message))

    def node_types(self) -> NodeTypes | None:
        if not self.types_loaded:
            self.types, self.types_loaded = registry(), True
        return self.types

    def run(self) -> list[Problem]:
        if not self.check_size():
            return self.problems
        self.check_ids()
        for node in self.pipeline.nodes:
            self.check_node(node)
        self.check_edges()
        self.check_cycle()
        return self.problems

    def check_size(self) -> bool:
        """Whether the pipeline is within the graph limits (`xene.spec.limits`)."""
        pipeline = self.pipeline
        bound, wrong = limits.from_env()
        for message in wrong:
            self.error(pipeline.loc, message)
        if len(pipeline.nodes) <= bound.nodes and len(pipeline.edges) <= bound.edges:
            return not wrong
        self.error(
            pipeline.loc,
            f'pipeline "{pipeline.name}" has {len(pipeline.nodes)} nodes and '
            f"{len(pipeline.edges)} edges; the limits are {bound.nodes} nodes and "
            f"{bound.edges} edges per pipeline: split it into several pipelines, or raise "
            f"the limits with the environment variables {limits.NODES_ENV} and "
            f"{limits.EDGES_ENV}",
        )
        return False

    def check_ids(self) -> None:
        seen: set[str] = set()
        for node in self.pipeline.nodes:
            if node.id in seen:
                self.error(node.loc, f'duplicate node id "{node.id}": give each node its own id')
            seen.add(node.id)

    def check_node(self, node: Node) -> None:
        if self.pipeline.executor.type == "container":
            self.check_on_host(node)
        node_type = self.known_type(node)
        raw = node_type.raw_keys if node_type else frozenset()
        if node_type is not None:
            for key, message in node_type.check(node.config):
                self.error(node.loc, message, f"config.{key}" if key else "config")
        for key, root in _selector_roots(node.config, raw):
            if root not in self.ids and root not in selectors.BUILTIN_ROOTS:
                self.error(node.loc, _unknown_root(root, self.sorted_ids()), f"config.{key}")

    def check_on_host(self, node: Node) -> None:
        """Python runs in the Xene process, on the host: in a container pipeline, where
        steps expect the image's tools and the run's workspace, that would mislead."""
        where = f'pipeline "{self.pipeline.name}" runs its steps in a container'
        hint = (
            "run Python in the image from a shell step (cmd: python3 -m mypkg.build), or "
            "give the pipeline executor: {type: local}"
        )
        for step in node.steps:
            if step.kind == "python":
                loc = step.loc if step.loc.path or step.loc.line else node.loc
                self.error(
                    loc,
                    f'step "{step.name}" of task "{node.id}" is a Python step, which would run '
                    f"on the host, outside the container ({where}): {hint}",
                    "type" if loc.path else "",
                )
        if node.type == _PYTHON_NODE:
            self.error(
                node.loc,
                f'node "{node.id}" ({_PYTHON_NODE}) would run on the host, outside the '
                f"container ({where}): {hint}",
                "type" if node.loc.path else "",
            )

    def known_type(self, node: Node) -> NodeType | None:
        if node.type == TASK or not node.type:  # no type: the loader reported it
            return None
        types = self.node_types()
        if types is None:
            return None
        found = types.get(node.type)
        if found is None:
            known = ", ".join(types.names())
            self.error(node.loc, f'unknown node type "{node.type}"; known types: {known}', "type")
        return found

    def ports(self, node_id: str) -> tuple[str, ...] | None:
        node = self.pipeline.node(node_id)
        if node.type == TASK:
            return TASK_PORTS
        types = self.node_types()
        found = types.get(node.type) if types is not None else None
        return found.ports if found is not None else None

    def sorted_ids(self) -> list[str]:
        """The node ids in order, sorted once: every unknown name's error lists some."""
        if self._sorted is None:
            self._sorted = sorted(self.ids)
        return self._sorted

    def check_edges(self) -> None:
        for edge in self.pipeline.edges:
            missing = [end for end in (edge.source, edge.target) if end not in self.ids]
            for end in missing:
                known = known_names(self.sorted_ids(), end, "nodes")
                self.error(edge.loc, f'edge {_edge(edge)} names unknown node "{end}"; {known}')
            ports = None if missing else self.ports(edge.source)
            if ports is not None and edge.port not in ports:
                self.error(
                    edge.loc,
                    f'node "{edge.source}" ({self.pipeline.node(edge.source).type}) has no '
                    f'port "{edge.port}"; its ports are: {", ".join(ports)}',
                )

    def check_cycle(self) -> None:
        ids = [node.id for node in self.pipeline.nodes]
        cycle = dag.find_cycle(ids, self.pipeline.edges)
        if not cycle:
            return
        first = next(
            (e for e in self.pipeline.edges if (e.source, e.target) == (cycle[0], cycle[1])),
            None,
        )
        loc = first.loc if first is not None else self.pipeline.loc
        self.error(
            loc,
            f"cycle: {' -> '.join(cycle)}; a pipeline must not loop back on "
            "itself: remove one of these links (in a flow, mark the edge that closes "
            "a loop with loop_back: true)",
        )


def _edge(edge: Edge) -> str:
    return f"{edge.source}.{edge.port} -> {edge.target}"


def _unknown_root(root: str, ids: Sequence[str]) -> str:
    """The error of a selector naming no node nor root; `ids` sorted."""
    unknown = f'selector "${{{root}...}}" names unknown node or root "{root}"'
    if len(ids) > MAX_LISTED:
        builtins = ", ".join(sorted(selectors.BUILTIN_ROOTS))
        return f"{unknown}; {known_names(ids, root, 'nodes')}; roots: {builtins}"
    import difflib

    roots = sorted({*ids, *selectors.BUILTIN_ROOTS})
    close = difflib.get_close_matches(root, roots, n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    return f"{unknown}; {hint}use a node id of this pipeline or one of: {', '.join(roots)}"


def _selector_roots(config: Mapping[str, Any], raw: Collection[str]) -> Iterator[tuple[str, str]]:
    """`(key.path, root)` of every selector outside expressions (where `${x}` is input)."""
    for key, value in config.items():
        if key in raw or key in EXPRESSION_KEYS or _is_expression(value):
            continue
        for where, path in selectors.find_in(value):
            if path and not _inside_expression(value, where):
                yield (f"{key}.{where}" if where else key), path[0]


def _is_expression(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("type") == "expression"


def _inside_expression(value: Any, where: str) -> bool:
    parts = [part for part in where.replace("[", ".").replace("]", "").split(".") if part]
    return any(part in EXPRESSION_KEYS for part in parts)
