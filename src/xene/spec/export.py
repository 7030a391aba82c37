"""Export any workflow's IR as a Xene manifest (section 2.1 of the design), e.g. to YAML.

The manifest keeps what the original format holds (triggers, pipelines, tasks, dependencies,
steps) and writes our extensions only where they differ from the defaults: `retry`,
`timeout`, `enabled`, `env` on a task or step, a task's `secrets` and `image`, the
container executor's options beside its image, `type`/`config` for
a `std::` node, and a dependency that carries a port or a condition as `{task, port, if,
loop_back}`. Flow entry edges (trigger -> node) and state machines have no place in a
manifest and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from xene import ir

KIND = "Workflow"
API_VERSION = "v1alpha1"
FALLBACK_TRIGGER = "manual"
"""The trigger given to pipelines that have none: a manifest pipeline needs one."""
_DEFAULT_CONCURRENCY = next(f.default for f in fields(ir.Pipeline) if f.name == "max_concurrency")
_CONTAINER_DEFAULTS = ir.ContainerConfig("")


def to_manifest(workflow: ir.Workflow) -> dict[str, Any]:
    """The workflow as a manifest of plain dicts, lists, strings and numbers."""
    triggers = {t.name: _trigger(t) for t in workflow.triggers}
    fallback = _fallback_name(triggers)
    if any(not p.triggers for p in workflow.pipelines):
        triggers[fallback] = {"type": "manual"}
    metadata: dict[str, Any] = {"name": workflow.name}
    if workflow.description:
        metadata["description"] = workflow.description
    pipelines = {p.name: _pipeline(p, fallback) for p in workflow.pipelines}
    return {
        "kind": KIND,
        "apiVersion": API_VERSION,
        "metadata": metadata,
        "spec": {"triggers": triggers, "pipelines": pipelines},
    }


def to_yaml(workflow: ir.Workflow) -> str:
    """The workflow as a manifest in YAML, keys in manifest order."""
    import yaml

    return yaml.safe_dump(to_manifest(workflow), sort_keys=False, allow_unicode=True)


def _fallback_name(taken: Mapping[str, Any]) -> str:
    name, number = FALLBACK_TRIGGER, 1
    while name in taken:
        number += 1
        name = f"{FALLBACK_TRIGGER}-{number}"
    return name


def _trigger(trigger: ir.Trigger) -> dict[str, Any]:
    params = dict(trigger.params)
    if "cronConfig" in params:  # `cron` is the loader's normalised copy of it, not a key
        params.pop("cron", None)
    out: dict[str, Any] = {"type": trigger.type, **_plain(params)}
    if not trigger.enabled:
        out["enabled"] = False
    return out


def _pipeline(pipeline: ir.Pipeline, fallback: str) -> dict[str, Any]:
    names = list(pipeline.triggers) or [fallback]
    out: dict[str, Any] = {"trigger": names[0] if len(names) == 1 else names}
    if pipeline.description:
        out["description"] = pipeline.description
    if pipeline.executor != ir.Executor():
        out["executor"] = _executor(pipeline.executor)
    if pipeline.agent_labels:
        out["agent"] = {"labels": list(pipeline.agent_labels)}
    if pipeline.env:
        out["envs"] = _plain(pipeline.env)
    if pipeline.config:
        out["config"] = _plain(pipeline.config)
    if pipeline.max_concurrency != _DEFAULT_CONCURRENCY:
        out["maxConcurrency"] = pipeline.max_concurrency
    if pipeline.timeout_s is not None:
        out["timeout"] = _number(pipeline.timeout_s)
    incoming = _incoming(pipeline)
    out["tasks"] = {n.id: _task(n, incoming[n.id]) for n in pipeline.nodes}
    return out


def _executor(executor: ir.Executor) -> dict[str, Any]:
    if executor.container is None:
        return {"type": executor.type}
    config: dict[str, Any] = {"image": executor.container.image}
    for field in fields(executor.container):
        value = getattr(executor.container, field.name)
        if field.name != "image" and value != getattr(_CONTAINER_DEFAULTS, field.name):
            config[field.name] = _option(value)
    return {"type": "container", "containerConfig": config}


def _option(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return _number(value) if isinstance(value, float) else value


def _incoming(pipeline: ir.Pipeline) -> dict[str, list[ir.Edge]]:
    incoming: dict[str, list[ir.Edge]] = {n.id: [] for n in pipeline.nodes}
    for edge in pipeline.edges:
        incoming.setdefault(edge.target, []).append(edge)
    return incoming


def _task(node: ir.Node, incoming: list[ir.Edge]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if node.type != ir.TASK:
        out["type"] = node.type
    if node.description:
        out["description"] = node.description
    if node.working_dir:
        out["workingDir"] = node.working_dir
    if incoming:
        out["dependencies"] = [_dependency(e) for e in incoming]
    if node.config:
        out["config"] = _plain(node.config)
    out.update(_task_extensions(node))
    if node.steps or node.type == ir.TASK:
        out["steps"] = [_step(s) for s in node.steps]
    return out


def _task_extensions(node: ir.Node) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if node.env:
        out["env"] = _plain(node.env)
    if node.retry != ir.NO_RETRY:
        out["retry"] = _retry(node.retry)
    if node.timeout_s is not None:
        out["timeout"] = _number(node.timeout_s)
    if not node.enabled:
        out["enabled"] = False
    if node.type == ir.TASK and node.secrets:  # a std node's come from its config
        out["secrets"] = [ref.name for ref in node.secrets]
    if node.image is not None:
        out["image"] = node.image
    return out


def _dependency(edge: ir.Edge) -> str | dict[str, Any]:
    if edge.port == "out" and edge.condition is None and not edge.loop_back:
        return edge.source
    out: dict[str, Any] = {"task": edge.source}
    if edge.port != "out":
        out["port"] = edge.port
    if edge.condition is not None:
        out["if"] = edge.condition
    if edge.loop_back:
        out["loop_back"] = True
    return out


def _step(step: ir.Step) -> dict[str, Any]:
    out: dict[str, Any] = {"name": step.name, "type": step.kind}
    if step.kind == "python":
        out["call"] = step.call
    else:
        out["cmd"] = step.cmd
    if step.args:
        out["args"] = _plain(step.args)
    if step.env:
        out["env"] = _plain(step.env)
    if step.timeout_s is not None:
        out["timeout"] = _number(step.timeout_s)
    return out


def _retry(policy: ir.RetryPolicy) -> dict[str, Any]:
    """`max_attempts` always, the other fields only where they differ from the defaults."""
    out: dict[str, Any] = {"max_attempts": policy.max_attempts}
    for field in fields(policy):
        value = getattr(policy, field.name)
        if field.name != "max_attempts" and value != getattr(ir.NO_RETRY, field.name):
            out[field.name] = value
    return out


def _number(seconds: float) -> int | float:
    return int(seconds) if float(seconds).is_integer() else seconds


def _plain(value: Any) -> Any:
    """Mappings to dicts and sequences to lists, so that `yaml.safe_dump` takes them."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
