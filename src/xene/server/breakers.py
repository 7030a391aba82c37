"""Circuit breakers of served pipelines: after each run ends, pause its pipeline if the
pipeline's recent runs failed too often (the maths is `xene.core.breaker`, pure).

The check runs in the server that executed the run, on what the store holds, so any
number of servers agree; the store's compare-and-set records one trip.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from xene.core import breaker
from xene.core.records import RunRecord
from xene.store.base import BreakerState

if TYPE_CHECKING:
    from xene.server.runtime import Runtime

log = logging.getLogger("xene.server")


async def run_ended(runtime: Runtime, run: RunRecord) -> breaker.Trip | None:
    """Trip the breaker of the run's pipeline if it should; the trip, if this call made it."""
    from xene.server.runtime import NotFound

    if not run.state.finished:
        return None
    try:
        _, definition = await runtime.recent_workflow(run.workflow)
        config = definition.pipeline(run.pipeline).circuit_breaker
    except (NotFound, KeyError):  # deleted, or the pipeline left the workflow since
        return None
    if config is None:
        return None
    store = runtime.store
    armed = (await store.breaker_states(run.workflow)).get(run.pipeline, BreakerState())
    states = await store.recent_outcomes(run.workflow, run.pipeline, armed.armed_at, config.window)
    trip = breaker.should_trip(config, states)
    if trip is None:
        return None
    if not await store.trip_breaker(run.workflow, run.pipeline, str(trip), runtime.clock.now()):
        return None  # paused, drained or stopped already, or another server tripped it
    log.warning(
        "pipeline %s/%s paused itself: %s; `xene pipeline resume %s %s` re-arms it",
        run.workflow,
        run.pipeline,
        trip,
        run.workflow,
        run.pipeline,
        extra={"action": "circuit-breaker", "run_id": run.id},
    )
    return trip
