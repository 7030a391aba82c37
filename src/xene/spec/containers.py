"""The container executor's options: `executor: {type: container, containerConfig: {...}}`
and a task's own `image:`.

`checked` holds the value checks (an image Docker can name, a pull policy, a memory size,
volumes, ...) on a `ContainerConfig` however it was built, so the manifest and the Python
API refuse the same things with the same words; the manifest's reader adds the kind
checks and the `file:line` of each key.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal, cast

from xene.ir import TASK, ContainerConfig, Executor
from xene.spec.source import join
from xene.spec.validate import Reader, describe

PULL_POLICIES = ("if-not-present", "always", "never")
CONFIG_KEYS = ("image", "pull", "cpus", "memory", "pids", "network", "user", "volumes", "workdir")
EXECUTOR_KEYS = ("type", "containerConfig")
EXECUTOR_TYPES = ("local", "container")
_ALIASES = {"local": "local", "container": "container", "docker": "container"}
_DEFAULTS = ContainerConfig("")
VOLUME_MODES = ("ro", "rw")
_VOLUME_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
IMAGE_TYPES = (TASK, "std::shell")
"""The nodes that may name an image of their own: those that run commands."""
NEEDS_IMAGE = (
    "a container executor needs an image: "
    "executor: {type: container, containerConfig: {image: golang}}"
)

Problems = list[tuple[str, str]]
"""`(key, message)`: the key is a containerConfig key (`volumes[1]` for an item)."""


def checked(config: ContainerConfig) -> tuple[ContainerConfig, Problems]:
    """`config` with its image normalised and its workdir tidied, and what is wrong in it."""
    from xene.executors import images  # only for a container: a local run skips them

    problems: Problems = []
    image = config.image
    try:
        image = images.normalize_image(config.image)
    except ValueError as exc:
        problems.append(("image", str(exc)))
    if config.pull not in PULL_POLICIES:
        problems.append(("pull", _not_one_of("pull policy", config.pull, PULL_POLICIES)))
    problems += _limits(config)
    workdir, trouble = _workdir(config.workdir)
    if trouble:
        problems.append(("workdir", trouble))
    for index, volume in enumerate(config.volumes):
        trouble = _volume(volume, workdir, config.volumes[:index])
        if trouble:
            problems.append((f"volumes[{index}]", trouble))
    return replace(config, image=image, workdir=workdir), problems


def _limits(config: ContainerConfig) -> Problems:
    from xene.executors import sizes

    problems: Problems = []
    if config.cpus is not None and not config.cpus > 0:
        problems.append(("cpus", f"cpus is a number above 0, such as 0.5 or 2; got {config.cpus}"))
    if config.memory is not None:
        try:
            sizes.parse_memory(config.memory)
        except ValueError as exc:
            problems.append(("memory", str(exc)))
    if config.pids is not None and config.pids < 1:
        problems.append(("pids", f"pids is a whole number above 0, such as 256; got {config.pids}"))
    for key in ("network", "user"):
        value = getattr(config, key)
        if value is not None and not value.strip():
            problems.append((key, f"{key} must not be empty; leave it out for the default"))
    return problems


def _workdir(workdir: str) -> tuple[str, str | None]:
    if not workdir.startswith("/"):
        return workdir, (
            f'workdir "{workdir}" must be an absolute path in the container, such as /workspace'
        )
    tidy = posixpath.normpath(workdir)
    if tidy == "/":
        return tidy, "workdir cannot be /: the workspace is mounted there; use /workspace"
    return tidy, None


def _volume(text: str, workdir: str, before: tuple[str, ...]) -> str | None:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        return (
            f'volume "{text}" is not SOURCE:TARGET[:ro|:rw]: a host directory (/srv/cache) or '
            "a volume's name (cache), then an absolute path in the container (/cache)"
        )
    source, target, *mode = parts
    if mode and mode[0] not in VOLUME_MODES:
        return f'volume "{text}" has mode "{mode[0]}"; use ro (read-only) or rw'
    if not source.startswith("/") and not _VOLUME_NAME.fullmatch(source):
        return (
            f'volume "{text}": source "{source}" is neither an absolute host path '
            "(/srv/cache) nor a volume's name (letters, digits, '_', '.', '-', such as cache)"
        )
    return _volume_target(text, target, workdir, before)


def _volume_target(text: str, target: str, workdir: str, before: tuple[str, ...]) -> str | None:
    if not target.startswith("/"):
        return f'volume "{text}": target "{target}" must be an absolute path, such as /cache'
    tidy = posixpath.normpath(target)
    if tidy == "/":
        return f'volume "{text}" cannot be mounted on /: mount it on a directory, such as /cache'
    if tidy == workdir:
        return (
            f'volume "{text}" is mounted on {tidy}, where the run\'s workspace is (workdir); '
            "mount it elsewhere"
        )
    if tidy in (_target(other) for other in before):
        return f'volume "{text}": another volume is mounted on {tidy} already'
    return None


def _target(volume: str) -> str:
    parts = volume.split(":")
    return posixpath.normpath(parts[1]) if len(parts) > 1 and parts[1] else ""


def parse_executor(reader: Reader, body: Mapping[str, Any], path: str) -> Executor:
    """A pipeline's `executor:` (a word, or `{type, containerConfig}`); problems to `reader`."""
    value = body.get("executor")
    if value is None:
        return Executor()
    where = join(path, "executor")
    if isinstance(value, dict):
        reader.keys(value, where, EXECUTOR_KEYS, "executor")
        kind = reader.text(value, "type", where) or "local"
    else:
        kind, value = reader.text(body, "executor", path), {}
    canonical = _ALIASES.get(kind)
    if canonical is None:
        reader.error(join(where, "type"), _not_one_of("executor type", kind, EXECUTOR_TYPES))
        return Executor()
    if canonical == "local":
        if "containerConfig" in value:
            reader.error(
                join(where, "containerConfig"),
                "containerConfig belongs to a container executor: write type: container "
                "(or leave containerConfig out to run the steps on this machine)",
            )
        return Executor(loc=reader.loc(where))
    config = _container_config(reader, value, where)
    return Executor(cast(Literal["container"], canonical), config, reader.loc(where))


def _container_config(reader: Reader, executor: Mapping[str, Any], where: str) -> ContainerConfig:
    body = reader.mapping(executor, "containerConfig", where)
    path = join(where, "containerConfig")
    reader.keys(body, path, CONFIG_KEYS, "containerConfig")
    image = _text(reader, body, "image", path) or ""
    raw = ContainerConfig(
        image=image,
        pull=cast(Any, _text(reader, body, "pull", path) or _DEFAULTS.pull),
        cpus=_cpus(reader, body, path),
        memory=_memory(reader, body, path),
        pids=reader.integer(body, "pids", path, default=0, minimum=1) or None,
        network=_text(reader, body, "network", path) or _DEFAULTS.network,
        user=_text(reader, body, "user", path),
        volumes=tuple(reader.strings(body, "volumes", path)),
        workdir=_text(reader, body, "workdir", path) or _DEFAULTS.workdir,
    )
    if not image.strip():
        if body.get("image") is None and isinstance(executor.get("containerConfig", {}), dict):
            reader.error(where, NEEDS_IMAGE)
        return raw
    config, problems = checked(raw)
    for key, message in problems:
        reader.error(join(path, key), message)
    return config


def _text(reader: Reader, body: Mapping[str, Any], key: str, path: str) -> str | None:
    """The text at `key`, None when absent; empty text is an error."""
    if body.get(key) is None:
        return None
    text = reader.text(body, key, path, required=True)
    return text if text.strip() else None


def _cpus(reader: Reader, body: Mapping[str, Any], path: str) -> float | None:
    value = body.get("cpus")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        reader.error(
            join(path, "cpus"),
            f"cpus is a number above 0, such as 0.5 or 2; got {describe(value)}",
        )
        return None
    return float(value)


def _memory(reader: Reader, body: Mapping[str, Any], path: str) -> str | None:
    value = body.get("memory")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        reader.error(
            join(path, "memory"),
            f'memory is a size such as "256m", "1g" or bytes; got {describe(value)}',
        )
        return None
    return str(value)


def task_image(
    reader: Reader,
    task: Mapping[str, Any],
    path: str,
    node_type: str,
    executor: Executor,
    *,
    noun: str = "task",
) -> str | None:
    """A task's (or a flow node's) own `image:`, normalised; None when it has none (or
    the pipeline's)."""
    if task.get("image") is None:
        return None
    where = join(path, "image")
    written = reader.text(task, "image", path, required=True)
    if executor.container is None:
        place = "the pipeline" if noun == "task" else "the flow's settings"
        reader.error(
            where,
            f"a {noun}'s image is for a pipeline with a container executor: give {place} "
            "executor: {type: container, containerConfig: {image: ...}}, or remove image",
        )
        return None
    if node_type not in IMAGE_TYPES:
        reader.error(
            where,
            f"image belongs to a {noun} that runs commands (steps or std::shell), not to a "
            f"{node_type} {noun}",
        )
        return None
    from xene.executors import images

    try:
        image = images.normalize_image(written) if written.strip() else ""
    except ValueError as exc:
        reader.error(where, str(exc))
        return None
    return image if image and image != executor.container.image else None


def _not_one_of(what: str, value: str, allowed: tuple[str, ...]) -> str:
    return f'unknown {what} "{value}"; use one of: {", ".join(allowed)}'
