"""The Xene manifest (DESIGN.md 2.1) -> `Workflow`.

Every manifest of the original Xene loads unchanged. Our extensions are optional keys:
task `retry`, `timeout` on tasks, steps and pipelines, pipeline `maxConcurrency` and
`config`, `env` on tasks and steps, task `secrets` (see secret_refs.py), python steps
(`type: python`, `call`, `args`), a task that is a std node (`type: std::log` with
`config` instead of `steps`), the container executor's options beside its `image` and a
task's own `image` in a container pipeline (see containers.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from xene.ir import (
    NO_RETRY,
    TASK,
    Edge,
    Executor,
    Node,
    Pipeline,
    RetryPolicy,
    SecretRef,
    Step,
    StepKind,
    Trigger,
    Workflow,
)
from xene.spec import containers, durations, secret_refs, trigger_keys, validate
from xene.spec.source import join
from xene.spec.validate import Reader

KIND = "Workflow"
API_VERSIONS = ("v1alpha1",)
NAME = re.compile(r"^[a-zA-Z0-9]+[a-zA-Z0-9-._]*[a-zA-Z0-9]+$")
MAX_NAME = 253
TRIGGER_TYPES = trigger_keys.MANIFEST_TYPES
_TRIGGER_COMMON = ("type", "description", "enabled")
CALL = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")

_TOP_KEYS = ("kind", "apiVersion", "metadata", "spec")
_SPEC_KEYS = ("triggers", "pipelines")
_PIPELINE_KEYS = (
    "trigger", "description", "executor", "agent", "envs", "tasks", "timeout",
    "maxConcurrency", "config",
)  # fmt: skip
_TASK_KEYS = (
    "description", "workingDir", "dependencies", "steps", "env", "retry", "timeout", "type",
    "config", "secrets", "image",
)  # fmt: skip
_STEP_KEYS = ("name", "description", "type", "cmd", "call", "args", "env", "timeout")
_RETRY_KEYS = ("max_attempts", "initial_delay_ms", "max_delay_ms", "backoff_multiplier", "jitter")


def load(reader: Reader) -> Workflow:
    """Compile the manifest in `reader.doc` (a mapping with `kind`); problems go to `reader`."""
    root: dict[str, Any] = reader.doc.data
    reader.keys(root, "", _TOP_KEYS, "a Xene manifest")
    kind = root.get("kind")
    if kind != KIND:
        reader.error("kind", f'kind "{kind}" is not supported: a Xene manifest has kind: {KIND}')
    api = root.get("apiVersion")
    if api is not None and api not in API_VERSIONS:
        reader.error("apiVersion", f'apiVersion "{api}" is not supported; use v1alpha1')
    meta = reader.mapping(root, "metadata", "", required=True)
    spec = reader.mapping(root, "spec", "", required=True)
    reader.keys(spec, "spec", _SPEC_KEYS, "spec")
    triggers = parse_triggers(reader, spec, "spec")
    pipelines = parse_pipelines(reader, spec, "spec", triggers)
    if "pipelines" in spec and not pipelines and isinstance(spec["pipelines"], dict):
        reader.error("spec.pipelines", "a workflow needs at least one pipeline")
    used = dict.fromkeys(name for p in pipelines for name in p.triggers)
    return Workflow(
        name=_workflow_name(reader, meta),
        pipelines=tuple(pipelines),
        triggers=tuple(triggers[name] for name in used),
        description=reader.text(meta, "description", "metadata"),
        format="manifest",
        source=reader.doc.file,
    )


def _workflow_name(reader: Reader, meta: Mapping[str, Any]) -> str:
    name = reader.text(meta, "name", "metadata", required=True)
    if name and (len(name) > MAX_NAME or not NAME.match(name)):
        reader.error(
            "metadata.name",
            f'workflow name "{name[:60]}" is not valid: use 2 to {MAX_NAME} letters, digits, '
            "'-', '.' or '_', starting and ending with a letter or digit",
        )
    return name or "unnamed"


def parse_triggers(reader: Reader, parent: Mapping[str, Any], path: str) -> dict[str, Trigger]:
    """`triggers: {name: {type, cronConfig, ...}}`; other keys are kept as params."""
    where = join(path, "triggers")
    found: dict[str, Trigger] = {}
    for name, body in reader.mapping(parent, "triggers", path).items():
        tpath = join(where, name)
        if not isinstance(body, dict):
            reader.error(tpath, "a trigger is a mapping such as {type: cron, cronConfig: ...}")
            continue
        kind = reader.text(body, "type", tpath, required=True)
        if trigger_keys.check_type(reader, kind, join(tpath, "type"), TRIGGER_TYPES):
            trigger_keys.manifest_keys(reader, body, tpath, kind, name, _TRIGGER_COMMON)
        params = {k: v for k, v in body.items() if k not in _TRIGGER_COMMON}
        if kind == "cron":
            params["cron"] = cron(reader, body, "cronConfig", tpath)
        enabled = reader.flag(body, "enabled", tpath, default=True)
        refs = tuple(secret_refs.trigger_secrets(reader, params, tpath))
        found[name] = Trigger(
            name, kind or "manual", params, enabled, secrets=refs, loc=reader.loc(tpath)
        )
    return found


def cron(reader: Reader, parent: Mapping[str, Any], key: str, path: str) -> str:
    """The normalised schedule of `parent[key]` (see `durations.normalize_cron`)."""
    value = parent.get(key)
    if value is None:
        reader.error(join(path, key), f'a cron trigger needs "{key}", such as "*/5 * * * *"')
        return ""
    try:
        return durations.normalize_cron(value)
    except ValueError as exc:
        reader.error(join(path, key), str(exc))
        return ""


def parse_pipelines(
    reader: Reader, parent: Mapping[str, Any], path: str, triggers: Mapping[str, Trigger]
) -> list[Pipeline]:
    """`pipelines: {name: {trigger, executor, envs, tasks, ...}}` (also used by fsm files)."""
    where = join(path, "pipelines")
    found: list[Pipeline] = []
    for name, body in reader.mapping(parent, "pipelines", path, required=True).items():
        ppath = join(where, name)
        if isinstance(body, dict):
            found.append(_pipeline(reader, name, body, ppath, triggers))
        else:
            reader.error(ppath, "a pipeline is a mapping with tasks (and a trigger)")
    return found


def _pipeline(
    reader: Reader, name: str, body: dict[str, Any], path: str, triggers: Mapping[str, Trigger]
) -> Pipeline:
    reader.keys(body, path, _PIPELINE_KEYS, f'pipeline "{name}"')
    trigger = reader.text(body, "trigger", path)
    if trigger and trigger not in triggers:
        known = ", ".join(sorted(triggers)) or "none (add them under spec.triggers)"
        reader.error(
            join(path, "trigger"),
            f'unknown trigger "{trigger}" (pipeline "{name}"); known triggers: {known}',
        )
    executor = containers.parse_executor(reader, body, path)
    nodes, edges = _tasks(reader, name, body, path, executor)
    return Pipeline(
        name=name,
        nodes=tuple(nodes),
        edges=tuple(edges),
        description=reader.text(body, "description", path),
        triggers=(trigger,) if trigger in triggers else (),
        executor=executor,
        agent_labels=_agent_labels(reader, body, path),
        env=reader.env(body, "envs", path),
        config=reader.mapping(body, "config", path),
        max_concurrency=reader.integer(body, "maxConcurrency", path, default=8, minimum=1),
        timeout_s=reader.duration(body, "timeout", path),
        loc=reader.loc(path),
    )


def _agent_labels(reader: Reader, body: Mapping[str, Any], path: str) -> tuple[str, ...]:
    """`agent: {labels: [gpu, os=linux]}`: what the agent running the pipeline must have."""
    agent = reader.mapping(body, "agent", path)
    reader.keys(agent, join(path, "agent"), ("labels",), "agent")
    return reader.labels(agent, "labels", join(path, "agent"))


def _tasks(
    reader: Reader, pipeline: str, body: Mapping[str, Any], path: str, executor: Executor
) -> tuple[list[Node], list[Edge]]:
    where = join(path, "tasks")
    tasks = reader.mapping(body, "tasks", path)
    nodes: list[Node] = []
    edges: list[Edge] = []
    for name, task in tasks.items():
        tpath = join(where, name)
        if not isinstance(task, dict):
            reader.error(tpath, "a task is a mapping with steps (or a type and config)")
            continue
        nodes.append(_task(reader, name, task, tpath, executor))
        edges += _dependencies(reader, pipeline, name, task, tpath, tasks)
    return nodes, edges


def _dependencies(
    reader: Reader,
    pipeline: str,
    name: str,
    task: Mapping[str, Any],
    path: str,
    tasks: Mapping[str, Any],
) -> list[Edge]:
    edges: list[Edge] = []
    seen: set[str] = set()  # a task may depend on thousands: no search of `edges`
    where = join(path, "dependencies")
    for index, dep in enumerate(reader.sequence(task, "dependencies", path)):
        dpath = f"{where}[{index}]"
        if isinstance(dep, bool):
            reader.error(dpath, reader.wrong_kind(dpath, dep, "a task name"))
        elif not isinstance(dep, str) or dep not in tasks:
            others = sorted(t for t in tasks if t != name)
            known = validate.known_names(others, str(dep), "tasks")
            reader.error(
                dpath, f'unknown task "{dep}" (pipeline "{pipeline}", task "{name}"); {known}'
            )
        elif dep in seen:
            reader.error(dpath, f'task "{name}" lists dependency "{dep}" twice; keep one')
        else:
            seen.add(dep)
            edges.append(Edge(dep, name, "out", loc=reader.loc(dpath)))
    return edges


def _task(
    reader: Reader, name: str, task: Mapping[str, Any], path: str, executor: Executor
) -> Node:
    if "executor" in task:  # this format names the executor per pipeline only
        reader.error(
            join(path, "executor"),
            f'task "{name}" runs on its pipeline\'s executor: name it once for the pipeline, '
            "beside its tasks: executor: {type: local}; in a container pipeline, a task may "
            "name an image of its own: image: node:20",
        )
        task = {key: value for key, value in task.items() if key != "executor"}
    reader.keys(task, path, _TASK_KEYS, f'task "{name}"')
    node_type = reader.text(task, "type", path) or TASK
    if node_type != TASK and "steps" in task:
        reader.error(
            join(path, "type"),
            f'task "{name}" has both a type ({node_type}) and '
            "steps: a task runs either its steps or one std node with its config",
        )
    if node_type == TASK and "config" in task:
        reader.error(
            join(path, "config"),
            "config belongs to a task with a std node type, "
            "such as type: std::log; a task with steps has no config",
        )
    working_dir = reader.text(task, "workingDir", path)
    config, steps = reader.mapping(task, "config", path), _steps(reader, task, path)
    return Node(
        id=name,
        type=node_type,
        config=config,
        steps=steps,
        description=reader.text(task, "description", path),
        working_dir=working_dir or None,
        env=reader.env(task, "env", path),
        retry=parse_retry(reader, task, path),
        timeout_s=reader.duration(task, "timeout", path),
        join="all",
        secrets=_task_secrets(reader, task, path, node_type, config, steps),
        image=containers.task_image(reader, task, path, node_type, executor),
        loc=reader.loc(path),
    )


def _task_secrets(
    reader: Reader,
    task: Mapping[str, Any],
    path: str,
    node_type: str,
    config: Mapping[str, Any],
    steps: tuple[Step, ...],
) -> tuple[SecretRef, ...]:
    if node_type != TASK and "secrets" in task:
        reader.error(
            join(path, "secrets"),
            "secrets: belongs to a task with steps; a task with a std node type names "
            "a secret in its config, as ${secrets.NAME}",
        )
        return tuple(secret_refs.config_secrets(reader, config, path))
    found = secret_refs.task_secrets(reader, task, path, steps)
    return tuple(found + secret_refs.config_secrets(reader, config, path))


def _steps(reader: Reader, task: Mapping[str, Any], path: str) -> tuple[Step, ...]:
    where = join(path, "steps")
    steps: list[Step] = []
    for index, item in enumerate(reader.sequence(task, "steps", path)):
        spath = f"{where}[{index}]"
        if not isinstance(item, dict):
            reader.error(spath, "a step is a mapping such as {name: build, type: shell, cmd: ...}")
            continue
        step = _step(reader, item, spath, index)
        if any(other.name == step.name for other in steps):
            reader.error(
                join(spath, "name"),
                f'duplicate step name "{step.name}" in this task; give each step its own name',
            )
        steps.append(step)
    return tuple(steps)


def _step(reader: Reader, item: Mapping[str, Any], path: str, index: int) -> Step:
    reader.keys(item, path, _STEP_KEYS, "a step")
    kind = reader.text(item, "type", path) or "shell"
    cmd = call = ""
    if kind == "shell":
        cmd = reader.text(item, "cmd", path, required=True)
        secret_refs.shell_hint(reader, cmd, path)
        for key in ("call", "args"):
            if key in item:
                reader.error(join(path, key), f"{key} belongs to a type: python step")
    elif kind == "python":
        call = reader.text(item, "call", path, required=True)
        if call and not CALL.match(call):
            reader.error(
                join(path, "call"),
                f'call "{call}" must be module:function, as in mypkg.tasks:build',
            )
        if "cmd" in item:
            reader.error(join(path, "cmd"), "cmd belongs to a type: shell step")
    else:
        reader.error(join(path, "type"), _not_one_of("step type", kind, ("shell", "python")))
    return Step(
        name=reader.text(item, "name", path) or f"step-{index + 1}",
        kind=cast(StepKind, kind if kind == "python" else "shell"),
        cmd=cmd,
        call=call,
        args=reader.mapping(item, "args", path),
        env=reader.env(item, "env", path),
        timeout_s=reader.duration(item, "timeout", path),
        loc=reader.loc(path),
    )


def parse_retry(reader: Reader, parent: Mapping[str, Any], path: str) -> RetryPolicy:
    """`retry: {max_attempts, initial_delay_ms, max_delay_ms, backoff_multiplier, jitter}`."""
    if parent.get("retry") is None:
        return NO_RETRY
    body = reader.mapping(parent, "retry", path)
    where = join(path, "retry")
    reader.keys(body, where, _RETRY_KEYS, "retry")
    default = RetryPolicy()
    policy = RetryPolicy(
        max_attempts=reader.integer(body, "max_attempts", where, default=3, minimum=1),
        initial_delay_ms=reader.integer(
            body, "initial_delay_ms", where, default=default.initial_delay_ms
        ),
        max_delay_ms=reader.integer(body, "max_delay_ms", where, default=default.max_delay_ms),
        backoff_multiplier=reader.number(
            body, "backoff_multiplier", where, default=default.backoff_multiplier, minimum=1.0
        ),
        jitter=reader.flag(body, "jitter", where, default=default.jitter),
    )
    if policy.max_delay_ms < policy.initial_delay_ms:
        reader.error(join(where, "max_delay_ms"), "max_delay_ms must be at least initial_delay_ms")
    return policy


def _not_one_of(what: str, value: str, allowed: tuple[str, ...]) -> str:
    return f'unknown {what} "{value}"; use one of: {", ".join(allowed)}'
