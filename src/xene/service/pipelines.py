"""A pipeline's mode: pause, resume, drain, stop, and the rule that only an active
pipeline starts runs. The same for `xene pipeline ACTION` (through the API) and for the
server's `POST /workflows/{w}/pipelines/{p}/{action}`, its triggers and manual runs."""

from __future__ import annotations

from xene.core.states import PipelineMode
from xene.ir import Pipeline, Workflow
from xene.service.errors import Conflict, NotFound
from xene.store.base import ServerStore

ACTIONS: dict[str, PipelineMode] = {
    "pause": PipelineMode.PAUSED,
    "resume": PipelineMode.ACTIVE,
    "drain": PipelineMode.DRAINING,
    "stop": PipelineMode.STOPPED,
}
"""Each action and the mode it sets: pause (triggers do not fire, manual runs are
refused), resume (active, its circuit breaker re-armed), drain (no new runs, running
ones finish), stop (no new runs, running ones are cancelled)."""


def pipeline(workflow: Workflow, name: str) -> Pipeline:
    """The workflow's pipeline of that name; NotFound lists the ones it has."""
    for each in workflow.pipelines:
        if each.name == name:
            return each
    known = ", ".join(p.name for p in workflow.pipelines) or "none"
    raise NotFound(f"workflow {workflow.name!r} has no pipeline {name!r}; it has: {known}")


async def set_mode(
    store: ServerStore, workflow: Workflow, name: str, mode: PipelineMode | str, now: float
) -> PipelineMode:
    """Set the pipeline's mode, given as a `PipelineMode` or its word (`active` re-arms
    its circuit breaker, counting from `now`), and return it. Cancelling the runs of a
    stopped pipeline is its executors' part."""
    pipeline(workflow, name)
    wanted = next((m for m in PipelineMode if m == mode), None)
    if wanted is None:
        raise Conflict(f"unknown mode {mode!r}: use one of {', '.join(PipelineMode)}")
    if wanted is PipelineMode.ACTIVE:
        await store.resume_pipeline(workflow.name, name, now)
    else:
        await store.set_pipeline_mode(workflow.name, name, wanted)
    return wanted


async def refuse_unless_active(store: ServerStore, workflow: Workflow, name: str) -> None:
    """Conflict unless the pipeline may start a run now, saying why not (and whether
    its circuit breaker paused it)."""
    pipeline(workflow, name)
    mode = (await store.pipeline_modes(workflow.name)).get(name, PipelineMode.ACTIVE)
    if mode is PipelineMode.ACTIVE:
        return
    state = (await store.breaker_states(workflow.name)).get(name)
    why = f" by its circuit breaker ({state.reason})" if state and state.reason else ""
    raise Conflict(f"pipeline {workflow.name}/{name} is {mode}{why}: resume it first")
