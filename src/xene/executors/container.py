"""The container executor on a Docker engine: one container per run, steps exec'd inside.

A run's container (`xene-<run id>`, of the pipeline's image) is made when its first
step starts, with the run's workspace volume mounted at `containerConfig.workdir`; a
task with an image of its own gets a container of that image on the same workspace
(`xene-<run id>-<n>`). Every step is exec'd into them (`xene.executors.container_exec`),
retries too. They are removed when the run ends, kept when it is only left (to be
attached again by whoever resumes it), and swept by label when their run no longer runs
(`xene.executors.sweep`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import TYPE_CHECKING, Any

from xene.executors import container_exec, container_setup, docker_engine
from xene.executors.base import Command, CommandResult, ContainerRun, Executor
from xene.executors.container_setup import IMAGE, Box

if TYPE_CHECKING:
    import docker

log = logging.getLogger("xene.executors.container")

END_LEFTOVERS = """p=
list() { p=; for d in /proc/[0-9]*; do read -r s 2>/dev/null < "$d/stat" || continue
s=${s##*) }; set -- $s; [ "$1" = Z ] || [ "$4" = 1 ] || [ "$4" = "$me" ] || p="$p ${d#/proc/}"
done; }
me=$$; list; [ -n "$p" ] || exit 0
kill -TERM $p 2>/dev/null; i=0
while [ "$i" -lt "$1" ]; do list; [ -n "$p" ] || exit 0; sleep 0.1; i=$((i + 1)); done
list; [ -z "$p" ] || kill -KILL $p 2>/dev/null; exit 0
"""
"""Ends every process of the container but its init and idle loop (session 1): the
steps a dead owner left running. SIGTERM, up to `$1` tenths of a second, SIGKILL."""


class RunContainersOnDocker:
    """`RunContainers` on the Docker engine `DOCKER_HOST` names (or the local socket)."""

    def __init__(self, run: ContainerRun) -> None:
        self.run = run
        self._boxes: dict[str, Box] = {}
        """The run's containers by image."""
        self._making: dict[str, asyncio.Task[Box]] = {}
        self._indexes: dict[str, int] = {run.config.image: 0}

    def executor(self, image: str | None) -> Executor:
        return _InContainer(self, image or self.run.config.image)

    async def box(self, image: str) -> Box:
        """The run's container of `image`, made on first use: once, however many steps
        ask at once; again by the next step if it could not be made."""
        found = self._boxes.get(image)
        if found is not None:
            return found
        making = self._making.get(image)
        if making is None or (making.done() and making.exception() is not None):
            index = self._indexes.setdefault(image, max(self._indexes.values()) + 1)
            making = asyncio.ensure_future(container_setup.make(self.run, image, index))
            making.add_done_callback(functools.partial(self._made, image))
            self._making[image] = making
        # Shielded: a step cancelled meanwhile leaves the container made, to be removed
        # with the others when the run ends.
        return await asyncio.shield(making)

    def _made(self, image: str, making: asyncio.Task[Box]) -> None:
        if not making.cancelled() and making.exception() is None:
            self._boxes[image] = making.result()

    async def attach(self) -> bool:
        api = await docker_engine.api()  # first: it says which extra a missing SDK is in
        import docker

        found = await self._listed(api)
        main = container_setup.name_of(self.run.run_id)
        if any(_name(listed) == main for listed in found):
            try:
                await asyncio.gather(*(self._take_over(api, listed) for listed in found))
                return True
            except docker.errors.APIError as error:
                log.warning(
                    "run %s: its container cannot be used again, starting from nothing: %s",
                    self.run.run_id,
                    error,
                )
        # The workspace went with the main container (or never was): start from nothing.
        await self._remove(api, found)
        self._boxes.clear()
        self._indexes = {self.run.config.image: 0}
        return False

    async def _take_over(self, api: docker.APIClient, listed: dict[str, Any]) -> None:
        """Start the container if it stopped; end what a dead owner left in it."""
        if listed.get("State") != "running":
            await docker_engine.call(api.start, listed["Id"])
        tenths = str(max(1, round(self.run.grace_s * 10)))
        await container_exec.quick(api, listed["Id"], END_LEFTOVERS, tenths)
        box = Box(listed["Id"], _name(listed), listed["Labels"].get(IMAGE, ""))
        self._boxes[box.image] = box
        main = container_setup.name_of(self.run.run_id)
        self._indexes[box.image] = _index_of(box.name, main)

    async def close(self, *, ended: bool) -> None:
        if not ended or not (self._boxes or self._making):
            return  # kept for whoever resumes the run; or nothing was made
        try:
            # Containers still being made are made first, and so removed too.
            await asyncio.gather(*self._making.values(), return_exceptions=True)
            api = await docker_engine.api()
            await self._remove(api, await self._listed(api))
        except Exception as error:  # never fail a run's end for its cleanup
            log.warning(
                "could not remove the containers of run %s (a sweep will): %s",
                self.run.run_id,
                error,
            )
        self._boxes.clear()
        self._making.clear()

    async def _listed(self, api: docker.APIClient) -> list[dict[str, Any]]:
        filters = container_setup.run_filters(self.run)
        return await docker_engine.call(api.containers, all=True, filters=filters)

    async def _remove(self, api: docker.APIClient, listed: list[dict[str, Any]]) -> None:
        """Remove the run's containers (`listed`, and any made since it was asked:
        known here), then its workspace."""
        ids = {item["Id"] for item in listed} | {box.id for box in self._boxes.values()}
        await asyncio.gather(*(remove_container(api, one) for one in ids))
        await remove_volume(api, container_setup.volume_of(self.run.run_id))


class _InContainer:
    """The `Executor` for the steps of one image in a run."""

    def __init__(self, containers: RunContainersOnDocker, image: str) -> None:
        self.containers = containers
        self.image = image

    async def run(self, command: Command) -> CommandResult:
        box = await self.containers.box(self.image)
        api = await docker_engine.api()
        return await container_exec.run_step(api, box, self.containers.run, command)


async def remove_container(api: docker.APIClient, container: str) -> None:
    """Remove it, running or not (one already gone is fine)."""
    import docker

    with contextlib.suppress(docker.errors.NotFound):
        await docker_engine.call(api.remove_container, container, force=True)


async def remove_volume(api: docker.APIClient, volume: str) -> None:
    import docker

    with contextlib.suppress(docker.errors.NotFound):
        await docker_engine.call(api.remove_volume, volume, force=True)


def _name(listed: dict[str, Any]) -> str:
    names = listed.get("Names") or [""]
    return str(names[0]).lstrip("/")


def _index_of(name: str, main: str) -> int:
    """0 for the run's main container, n for `<main>-<n>`."""
    suffix = name[len(main) + 1 :] if name.startswith(main + "-") else ""
    return int(suffix) if suffix.isdigit() else 0
