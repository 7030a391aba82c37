"""What an agent does for container pipelines, the remote one and `xene serve`'s built-in
one alike: offer the `docker` label when it reaches a Docker engine, and sweep the
containers that runs which no longer run left behind (at its start, then every
`SWEEP_S`), in the background: a sweep never holds up a run.

The Docker SDK (and the executors) are imported only when asked: an agent that offers
no `docker` never sweeps, and imports neither for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence

from xene import labels as label_rules

DOCKER_LABEL = "docker"
"""`xene.ir.DOCKER_LABEL` (not imported: an idle agent stays small)."""
log = logging.getLogger("xene.agent")
SWEEP_S = 60.0
"""How often an agent sweeps its scope's leftover containers."""
REACH_S = 10.0
"""How long the engine may take to answer at start before the agent goes on without it."""
Live = Callable[[list[str]], Awaitable[Collection[str]]]
"""Which of these run ids still run (their containers stay)."""


async def offered_labels(given: Sequence[str], who: str) -> tuple[str, ...]:
    """`given` and `docker` when a Docker engine answers now (`who`, `the agent`, is
    named in the log saying why not). `docker` given by hand without an engine stays
    (the user may know better: it may come up), with a warning."""
    reason = await _unreachable()
    if DOCKER_LABEL in given:
        if reason is not None:
            log.warning(
                "%s offers the %s label as asked, but %s; its container runs fail until "
                "the engine answers",
                who,
                DOCKER_LABEL,
                reason,
                extra={"action": "docker.unreachable"},
            )
        return label_rules.canonical(given)
    if reason is not None:
        log.info(
            "%s runs no container pipeline (no %s label): %s",
            who,
            DOCKER_LABEL,
            reason,
            extra={"action": "docker.unreachable"},
        )
        return label_rules.canonical(given)
    log.info("%s reaches a Docker engine: it offers the %s label", who, DOCKER_LABEL)
    return label_rules.canonical([*given, DOCKER_LABEL])


async def _unreachable() -> str | None:
    """Why no Docker engine can be used from here; None: one answers."""
    try:
        from xene.executors import docker_engine

        return await asyncio.wait_for(docker_engine.reachable(), REACH_S)
    except TimeoutError:
        return f"the Docker engine did not answer within {REACH_S:g} s"
    except Exception as exc:  # the SDK missing (the docker extra), a broken DOCKER_HOST
        return str(exc)


class Sweeper:
    """Sweeps the containers of `scope` whose runs `live` does not name, now and every
    `every_s`, until stopped. A failure (the engine went away) is logged, once until a
    sweep works again, and the next sweep tried on time."""

    def __init__(self, scope: str, live: Live, every_s: float = SWEEP_S) -> None:
        self.scope, self.live, self.every_s = scope, live, every_s
        self._failing: str | None = None
        self._loop: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop = asyncio.create_task(self._sweep_every(), name="xene-sweep")

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop

    async def _sweep_every(self) -> None:
        while True:
            await self.sweep()
            await asyncio.sleep(self.every_s)

    async def sweep(self) -> list[str]:
        """One sweep: the runs whose leftover containers it removed."""
        from xene.executors import sweep

        try:
            removed = await sweep.sweep(self.scope, self.live)
        except Exception as exc:  # the engine or the store is away: the next sweep tries
            if str(exc) != self._failing:
                log.warning("sweeping leftover containers (%s) failed: %s", self.scope, exc)
            self._failing = str(exc)
            return []
        self._failing = None
        if removed:
            log.info(
                "removed the containers of %d runs that no longer run: %s",
                len(removed),
                ", ".join(removed),
                extra={"action": "sweep", "scope": self.scope},
            )
        return removed
