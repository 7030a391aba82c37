"""Making a run's container: its image pulled as the pipeline says, its workspace volume,
the container itself, idle until steps are exec'd into it.

Everything made is labelled (`xene.run`, `xene.scope`, ...), so that a sweep, a resume
or the run's end finds it again by label, whoever made it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from xene.errors import NodeFailed
from xene.executors import docker_engine
from xene.frozen import frozen

if TYPE_CHECKING:
    import docker
    from xene.executors.base import ContainerRun

RUN = "xene.run"
WORKFLOW = "xene.workflow"
PIPELINE = "xene.pipeline"
SCOPE = "xene.scope"
IMAGE = "xene.image"
IDLE = "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"
"""The container's entry point: does nothing, ends at once on SIGTERM (under the init
Docker adds, which reaps what steps leave behind). Any image that runs shell steps has
/bin/sh and sleep."""
ROOT = "0"
"""Xene's own execs (ending steps, preparing the workspace) run as root, whoever the
steps run as."""


@frozen
class Box:
    """One container of a run, as its steps need it."""

    id: str
    name: str
    image: str


def name_of(run_id: str, index: int = 0) -> str:
    """`xene-<run id>` for the pipeline's image, `xene-<run id>-<n>` for a task's own."""
    safe = re.sub(r"[^a-zA-Z0-9_.-]", "-", run_id)
    return f"xene-{safe}" if index == 0 else f"xene-{safe}-{index}"


def volume_of(run_id: str) -> str:
    """The run's workspace volume, shared by all its containers."""
    return name_of(run_id)


def run_filters(run: ContainerRun) -> dict[str, list[str]]:
    return {"label": [f"{RUN}={run.run_id}", f"{SCOPE}={run.scope}"]}


async def make(run: ContainerRun, image: str, index: int) -> Box:
    """Pull `image` as the run's `pull` says, make the workspace (for the first of the
    run's containers) and a container of `image` on it, and start it.

    NodeFailed naming the image when it is missing and cannot be pulled: then nothing
    is made."""
    api = await docker_engine.api()  # first: it says which extra a missing SDK is in
    import docker

    image_user = await ensure_image(api, image, run.config.pull)
    labels = {
        RUN: run.run_id,
        WORKFLOW: run.workflow,
        PIPELINE: run.pipeline,
        SCOPE: run.scope,
        IMAGE: image,
    }
    volume = volume_of(run.run_id)
    await docker_engine.call(api.create_volume, volume, labels=labels)
    name = name_of(run.run_id, index)
    config = _create_options(api, run, image, volume, labels)
    container = await docker_engine.call(_create_or_reuse, api, name, config)
    try:
        await docker_engine.call(api.start, container)
    except docker.errors.APIError as error:  # a user the image lacks, a network, ...
        raise NodeFailed(
            f"cannot start container {name} of image {image!r}: {_explained(error)}"
        ) from None
    user = run.config.user or image_user
    if user not in ("", "root", "0", "0:0"):
        await _give_workspace(api, Box(container, name, image), user, run.config.workdir)
    return Box(container, name, image)


async def ensure_image(api: docker.APIClient, image: str, pull: str) -> str:
    """The image on the engine, as `pull` says (if-not-present, always or never); the
    user it runs as ('' : root)."""
    import docker

    if pull != "always":
        try:
            return _user_of(await docker_engine.call(api.inspect_image, image))
        except docker.errors.ImageNotFound:
            if pull == "never":
                raise NodeFailed(
                    f"image {image!r} is not on the Docker engine, and the pipeline's "
                    "containerConfig says `pull: never`: load it onto the engine first "
                    "(docker pull, docker load), or let Xene pull it"
                ) from None
    try:
        await docker_engine.call(_pull, api, image)
    except docker.errors.APIError as error:
        raise NodeFailed(f"cannot pull image {image!r}: {_explained(error)}") from None
    return _user_of(await docker_engine.call(api.inspect_image, image))


def _user_of(inspected: dict[str, Any]) -> str:
    return str((inspected.get("Config") or {}).get("User") or "")


def _pull(api: docker.APIClient, image: str) -> None:
    """Pull `image`; an error the engine reports in the middle of the stream raises too."""
    import docker

    for event in api.pull(image, stream=True, decode=True):
        if isinstance(event, dict) and event.get("error"):
            raise docker.errors.APIError(str(event["error"]))


def _create_options(
    api: docker.APIClient, run: ContainerRun, image: str, volume: str, labels: dict[str, str]
) -> dict[str, Any]:
    config = run.config
    memory = _bytes(config.memory) if config.memory is not None else None
    host = api.create_host_config(
        binds=[f"{volume}:{config.workdir}:rw", *config.volumes],
        init=True,
        network_mode=config.network,
        mem_limit=memory,
        # No swap beyond the limit: over it, the step is killed (and says so) rather
        # than slowed down to a crawl.
        memswap_limit=memory,
        nano_cpus=round(config.cpus * 1e9) if config.cpus is not None else None,
        pids_limit=config.pids,
    )
    return {
        "image": image,
        "entrypoint": ["/bin/sh", "-c", IDLE],
        "command": [],
        "user": config.user,
        "working_dir": config.workdir,
        "labels": labels,
        "host_config": host,
    }


def _create_or_reuse(api: docker.APIClient, name: str, options: dict[str, Any]) -> str:
    """The new container's id; a container of that name made earlier for this run (by
    a process that died before it could use it) is used as it is."""
    import docker

    try:
        made: dict[str, Any] = api.create_container(name=name, **options)
    except docker.errors.APIError as error:
        if error.status_code != 409:  # a conflict: that name is taken
            raise NodeFailed(f"cannot create container {name!r}: {_explained(error)}") from None
        found: dict[str, Any] = api.inspect_container(name)
        labels = found["Config"]["Labels"] or {}
        if any(labels.get(key) != options["labels"][key] for key in (RUN, SCOPE, IMAGE)):
            raise NodeFailed(f"container {name!r} exists and is not this run's") from None
        return str(found["Id"])
    return str(made["Id"])


async def _give_workspace(api: docker.APIClient, box: Box, user: str, workdir: str) -> None:
    """The workspace, fresh and root's, handed to the user the steps run as."""
    from xene.executors import container_exec

    script = 'mkdir -p -- "$1/.xene/out" && chown -- "$2" "$1" "$1/.xene" "$1/.xene/out"'
    code, out = await container_exec.quick(api, box.id, script, workdir, user)
    if code != 0:
        raise NodeFailed(
            f"cannot give the workspace {workdir} to user {user!r} in container {box.name} "
            f"of image {box.image!r}: {out.strip() or f'exit code {code}'}"
        )


def _explained(error: Any) -> str:
    return str(getattr(error, "explanation", None) or error)


def _bytes(memory: str) -> int:
    from xene.executors.sizes import parse_memory

    try:
        return parse_memory(memory)
    except ValueError as error:  # checked when loaded; a pipeline built in code may not be
        raise NodeFailed(f"containerConfig.memory: {error}") from None
