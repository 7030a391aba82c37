"""The flow format (DESIGN.md 2.2) -> a `Workflow` holding one `Pipeline`.

Nodes join edges by ports: `from: a` is port `out` of node `a`, `from: a.true` its port
`true`. An edge from a trigger id is an entry edge: the trigger's event is that node's
input. Triggers may be a list (each with an `id`) or a mapping (the key is the id).
`settings.executor` is a manifest pipeline's `executor:` (a container and its options),
and a `std::shell` node may name its own `image`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from xene.ir import CircuitBreaker, Edge, Executor, Node, Pipeline, Trigger, Workflow
from xene.spec import containers, manifest, secret_refs, trigger_keys, validate
from xene.spec.source import join
from xene.spec.validate import Reader, describe

TRIGGER_TYPES = trigger_keys.FLOW_TYPES
CRON_KEYS = ("schedule", "cron", "expression")
"""Where a cron trigger's schedule may sit in its `params` (the first found is used)."""
NODE_ID = re.compile(r"^[A-Za-z_][\w-]*$")
INPUT_PORT = "in"
MERGE_INPUT = re.compile(r"^in_\d+$")

_TOP_KEYS = ("name", "version", "description", "triggers", "nodes", "edges", "settings", "config")
_NODE_KEYS = ("type", "description", "config", "retry", "timeout_ms", "enabled", "image")
_EDGE_KEYS = ("from", "to", "description", "condition", "loop_back")
_TRIGGER_KEYS = ("id", "type", "description", "params", "enabled")
_SETTINGS_KEYS = (
    "max_concurrent_executions", "execution_timeout_ms", "circuit_breaker_threshold",
    "circuit_breaker_window", "env", "debug", "agent_labels", "executor",
)  # fmt: skip
BREAKER_WINDOW = 10
"""Runs the circuit breaker looks back on, unless `circuit_breaker_window` says."""


def load(reader: Reader) -> Workflow:
    """Compile the flow in `reader.doc` (a mapping with `nodes`); problems go to `reader`."""
    root: dict[str, Any] = reader.doc.data
    reader.keys(root, "", _TOP_KEYS, "a flow")
    name = reader.text(root, "name", "", required=True) or "flow"
    reader.text(root, "version", "")
    description = reader.text(root, "description", "")
    triggers = _triggers(reader, root)
    settings = reader.mapping(root, "settings", "")
    reader.keys(settings, "settings", _SETTINGS_KEYS, "settings")
    executor = containers.parse_executor(reader, settings, "settings")
    nodes = _nodes(reader, root, executor)
    _check_shared_ids(reader, triggers, nodes)
    edges, entries = _edges(reader, root, nodes, triggers)
    pipeline = Pipeline(
        name=name,
        nodes=tuple(nodes.values()),
        edges=tuple(edges),
        description=description,
        triggers=tuple(triggers),
        entry_edges=tuple(entries),
        executor=executor,
        env=reader.env(settings, "env", "settings"),
        agent_labels=reader.labels(settings, "agent_labels", "settings"),
        config=reader.mapping(root, "config", ""),
        max_concurrency=reader.integer(
            settings, "max_concurrent_executions", "settings", default=8, minimum=1
        ),
        timeout_s=reader.duration(settings, "execution_timeout_ms", "settings", millis=True),
        circuit_breaker=_breaker(reader, settings),
        loc=reader.loc(""),
    )
    return Workflow(
        name=name,
        pipelines=(pipeline,),
        triggers=tuple(triggers.values()),
        description=description,
        format="flow",
        source=reader.doc.file,
    )


def _breaker(reader: Reader, settings: Mapping[str, Any]) -> CircuitBreaker | None:
    """`circuit_breaker_threshold` (a fraction of runs) and `circuit_breaker_window`."""
    window = reader.integer(
        settings, "circuit_breaker_window", "settings", default=BREAKER_WINDOW, minimum=1
    )
    value = settings.get("circuit_breaker_threshold")
    if value is None:
        if "circuit_breaker_window" in settings:
            reader.error(
                "settings.circuit_breaker_window",
                "circuit_breaker_window does nothing without circuit_breaker_threshold: "
                "add it (e.g. 0.5) or remove the window",
            )
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not 0 < value <= 1:
        reader.error(
            "settings.circuit_breaker_threshold",
            "circuit_breaker_threshold is the fraction of recent runs that may fail before "
            f"the pipeline pauses: a number above 0 and at most 1 (0.5: half of the last "
            f"{window} runs), got {describe(value)}",
        )
        return None
    return CircuitBreaker(float(value), window)


def _check_shared_ids(
    reader: Reader, triggers: Mapping[str, Trigger], nodes: Mapping[str, Node]
) -> None:
    for trigger in triggers.values():
        if trigger.name in nodes:
            reader.error(
                trigger.loc.path,
                f'"{trigger.name}" names both a trigger and a node; '
                "edges name either, so rename one of them",
            )


def _triggers(reader: Reader, root: Mapping[str, Any]) -> dict[str, Trigger]:
    value = root.get("triggers")
    entries: list[tuple[str, Any, Any]] = []
    if isinstance(value, dict):
        entries = [(join("triggers", key), key, body) for key, body in value.items()]
    elif isinstance(value, list):
        entries = [(f"triggers[{i}]", _id_of(body), body) for i, body in enumerate(value)]
    elif value is not None:
        reader.error("triggers", "triggers is a list of {id, type, params} or a mapping id: {...}")
    found: dict[str, Trigger] = {}
    for path, trigger_id, body in entries:
        if not isinstance(body, dict):
            reader.error(path, "a trigger is a mapping such as {id: hook, type: webhook}")
        elif isinstance(trigger_id, bool):
            where = join(path, "id")
            reader.error(where, reader.wrong_kind(where, trigger_id, "a trigger id"))
        elif not isinstance(trigger_id, str) or not trigger_id:
            reader.error(join(path, "id"), '"id" is required: the name edges use for this trigger')
        elif trigger_id in found:
            reader.error(join(path, "id"), f'duplicate trigger id "{trigger_id}"; ids are unique')
        else:
            found[trigger_id] = _trigger(reader, trigger_id, body, path)
    return found


def _id_of(body: Any) -> Any:
    return body.get("id") if isinstance(body, dict) else None


def _trigger(reader: Reader, trigger_id: str, body: dict[str, Any], path: str) -> Trigger:
    if "id" in body and body["id"] != trigger_id:
        reader.error(join(path, "id"), f'id "{body["id"]}" differs from its key "{trigger_id}"')
    kind = reader.text(body, "type", path, required=True)
    _trigger_keys(reader, body, path, kind, trigger_id)
    params = dict(reader.mapping(body, "params", path))
    if kind == "cron":
        key = next((k for k in CRON_KEYS if k in params), CRON_KEYS[0])
        params["cron"] = manifest.cron(reader, params, key, join(path, "params"))
    enabled = reader.flag(body, "enabled", path, default=True)
    refs = tuple(secret_refs.trigger_secrets(reader, params, join(path, "params")))
    return Trigger(
        trigger_id, kind or "manual", params, enabled, secrets=refs, loc=reader.loc(path)
    )


def _trigger_keys(reader: Reader, body: dict[str, Any], path: str, kind: str, name: str) -> None:
    runs = trigger_keys.check_type(reader, kind, join(path, "type"), TRIGGER_TYPES)
    for key in (key for key in body if key not in _TRIGGER_KEYS):
        hint = trigger_keys.misplaced_in_flow(key, kind)
        if hint is None:
            reader.keys({key: None}, path, _TRIGGER_KEYS, f'trigger "{name}"')
        else:
            reader.error(join(path, key), f'unknown key "{key}" in trigger "{name}": {hint}')
    if runs:
        trigger_keys.flow_params(reader, body, path, kind, name)


def _nodes(reader: Reader, root: Mapping[str, Any], executor: Executor) -> dict[str, Node]:
    found: dict[str, Node] = {}
    for node_id, body in reader.mapping(root, "nodes", "", required=True).items():
        path = join("nodes", node_id)
        if not NODE_ID.match(node_id):
            reader.error(
                path,
                f'node id "{node_id}" must start with a letter or "_" and hold '
                'only letters, digits, "_" and "-" (edges and selectors name it)',
            )
        if not isinstance(body, dict):
            reader.error(path, "a node is a mapping such as {type: std::log, config: {...}}")
            continue
        reader.keys(body, path, _NODE_KEYS, f'node "{node_id}"')
        config = reader.mapping(body, "config", path)
        node_type = reader.text(body, "type", path, required=True)
        found[node_id] = Node(
            id=node_id,
            type=node_type,
            config=config,
            description=reader.text(body, "description", path),
            retry=manifest.parse_retry(reader, body, path),
            timeout_s=reader.duration(body, "timeout_ms", path, millis=True),
            enabled=reader.flag(body, "enabled", path, default=True),
            join="any",
            secrets=tuple(secret_refs.config_secrets(reader, config, path)),
            image=containers.task_image(reader, body, path, node_type, executor, noun="node"),
            loc=reader.loc(path),
        )
    if not found and isinstance(root.get("nodes"), dict):
        reader.error("nodes", "a flow needs at least one node")
    return found


def _edges(
    reader: Reader, root: Mapping[str, Any], nodes: Mapping[str, Node], triggers: Mapping[str, Any]
) -> tuple[list[Edge], list[Edge]]:
    edges: list[Edge] = []
    entries: list[Edge] = []
    for index, body in enumerate(reader.sequence(root, "edges", "")):
        path = f"edges[{index}]"
        if not isinstance(body, dict):
            reader.error(path, 'an edge is a mapping such as {from: "check.true", to: notify}')
            continue
        edge = _edge(reader, body, path, nodes, triggers)
        if edge is not None:
            (entries if edge.source in triggers else edges).append(edge)
    return edges, entries


def _edge(
    reader: Reader,
    body: dict[str, Any],
    path: str,
    nodes: Mapping[str, Node],
    triggers: Mapping[str, Any],
) -> Edge | None:
    reader.keys(body, path, _EDGE_KEYS, "an edge")
    source_text = reader.text(body, "from", path, required=True)
    target_text = reader.text(body, "to", path, required=True)
    condition = reader.text(body, "condition", path) or None
    loop_back = reader.flag(body, "loop_back", path, default=False)
    if not source_text or not target_text:
        return None
    source, port = _endpoint(source_text, nodes, triggers)
    target, _ = _endpoint(target_text, nodes, triggers)
    ok = _known(reader, join(path, "from"), source, nodes, triggers)
    ok = _known(reader, join(path, "to"), target, nodes, {}) and ok
    if target in nodes and target_text != target:
        port_in = target_text[len(target) + 1 :]
        ok = _input_port(reader, join(path, "to"), nodes[target], port_in) and ok
    if source in triggers and port != "out":
        reader.error(
            join(path, "from"), f'trigger "{source}" has no port "{port}"; write from: {source}'
        )
        ok = False
    return Edge(source, target, port, condition, loop_back, reader.loc(path)) if ok else None


def _endpoint(text: str, nodes: Mapping[str, Any], triggers: Mapping[str, Any]) -> tuple[str, str]:
    """`a` -> (a, out); `a.true` -> (a, true); an id that itself holds a dot wins."""
    if text in nodes or text in triggers or "." not in text:
        return text, "out"
    node, _, port = text.rpartition(".")
    return node, port or "out"


def _input_port(reader: Reader, path: str, node: Node, port: str) -> bool:
    """`to: node.in` names the one input every node has (XERV's name for it; a merge's
    inputs are also `in_0`, `in_1`, ...): anything else is a typo, not a second input."""
    merge = node.type == "std::merge"
    if port == INPUT_PORT or (merge and MERGE_INPUT.match(port)):
        return True
    import difflib

    names = [INPUT_PORT, *(["in_0"] if merge else [])]
    close = difflib.get_close_matches(port, names, n=1, cutoff=0.5)  # "in" is short
    hint = f'did you mean "{close[0]}"? ' if close else ""
    also = " (a std::merge also takes in_0, in_1, ...)" if merge else ""
    reader.error(
        path,
        f'node "{node.id}" has no input port "{port}"; {hint}a node has one input, '
        f'"{INPUT_PORT}"{also}: write to: {node.id}',
    )
    return False


def _known(
    reader: Reader, path: str, name: str, nodes: Mapping[str, Any], triggers: Mapping[str, Any]
) -> bool:
    if name in nodes or name in triggers:
        return True
    if triggers:
        known = validate.known_names([*nodes, *triggers], name, "nodes and triggers")
        reader.error(path, f'unknown node or trigger "{name}"; {known}')
    else:
        known = validate.known_names(list(nodes), name, "nodes")
        reader.error(path, f'unknown node "{name}"; {known}')
    return False
