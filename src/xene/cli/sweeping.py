"""Before the command line executes a container pipeline (`xene run`, `xene resume`): the
Docker engine must answer, and the containers that the store's runs left behind are
removed (the runs of a `xene run` killed meanwhile, which ended since or were deleted).

A run that has not finished keeps its containers, whoever holds it: `xene resume`
takes them over. Only containers of the store's scope (`stores.scope_of`) are looked at.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Collection
from typing import TYPE_CHECKING

from xene.cli.stores import EXIT_INVALID, CommandError

if TYPE_CHECKING:
    from xene.ir import Pipeline
    from xene.store.roles import RunStore


def in_containers(pipelines: Collection[Pipeline]) -> list[Pipeline]:
    """The pipelines whose steps run in containers."""
    return [p for p in pipelines if p.executor.type == "container"]


async def prepare(store: RunStore, scope: str, pipelines: Collection[Pipeline]) -> None:
    """For container pipelines about to run: CommandError (exit 2) when no Docker engine
    answers, saying which pipeline needs one; else sweep the store's leftovers and say
    which runs' containers were removed. Nothing for local pipelines."""
    needing = in_containers(pipelines)
    if not needing:
        return
    from xene.executors import docker_engine
    from xene.extras import MissingExtra

    try:
        if scope:
            swept = await sweep(store, scope)
        else:  # runs kept in no store (memory://): only this process's, none left over
            reason = await docker_engine.reachable()
            if reason is not None:
                raise docker_engine.EngineUnreachable(reason)
            swept = []
    except (docker_engine.EngineUnreachable, MissingExtra) as exc:
        names = ", ".join(repr(p.name) for p in needing)
        raise CommandError(
            f"{exc}; pipeline {names} runs its steps in containers (executor: container): "
            "start dockerd, or point DOCKER_HOST at an engine",
            EXIT_INVALID,
        ) from exc
    if swept:
        listed = ", ".join(swept)
        print(f"removed the containers left by runs that no longer run: {listed}", file=sys.stderr)


async def sweep(store: RunStore, scope: str) -> list[str]:
    """Remove the containers of `scope` whose runs have finished (or are not in the
    store any more); the run ids swept. EngineUnreachable without an engine."""
    from xene.executors.sweep import sweep as sweep_scope

    async def live(run_ids: list[str]) -> list[str]:
        found = await asyncio.gather(*(store.run_summary(run_id) for run_id in run_ids))
        return [s.id for s in found if s is not None and not s.state.finished]

    return await sweep_scope(scope, live)
