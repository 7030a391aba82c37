"""Runs: list, the whole tree, cancel, retry, logs (a page, or followed live), events."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from xene.core.states import State
from xene.frozen import frozen
from xene.server import auth
from xene.server.api import deps, models, sse
from xene.server.api.deps import MANAGER, VIEWER, RuntimeDep
from xene.server.api.run_query import RunQuery, run_query
from xene.server.runtime import NotFound, Runtime
from xene.store.base import RunSummary, StoredRun
from xene.store.groups import NodeGroup
from xene.store.owners import owner_gone

router = APIRouter(prefix="/api/v1", tags=["runs"], responses=deps.ERRORS)

Name = Annotated[str | None, Query(max_length=300)]
After = Annotated[int, Query(ge=0, le=2**53, description="a chunk's seq: only later ones")]
STREAM: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}
}


@frozen
class LogFilter:
    node: str | None
    step: str | None
    after: int


async def log_filter(node: Name = None, step: Name = None, after: After = 0) -> LogFilter:
    return LogFilter(node, step, after)


LogFilterDep = Annotated[LogFilter, Depends(log_filter)]


@router.get("/runs", response_model=models.RunPageOut, dependencies=[VIEWER])
async def list_runs(
    runtime: RuntimeDep, query: Annotated[RunQuery, Depends(run_query)]
) -> models.RunPageOut:
    """Newest first; `next` is the cursor of the following page. A queued run no agent
    can take now says why (`waiting_for`)."""
    return await run_page(runtime, query)


async def run_page(runtime: Runtime, query: RunQuery) -> models.RunPageOut:
    """A page of the runs list, as the API and the UI's `/runs` show it."""
    found = [] if query.flt is None else await runtime.store.list_runs(query.flt)
    waiting = await waiting_reasons(runtime, found)
    runs = [
        models.RunSummaryOut(
            id=r.id,
            workflow=r.workflow,
            pipeline=r.pipeline,
            state=r.state,
            created_at=r.created_at,
            started_at=r.started_at,
            ended_at=r.ended_at,
            error=r.error,
            owner=r.owner,
            trigger=r.trigger,
            owner_gone=owner_gone(r.state, r.owner, r.lease_until, runtime.clock.now()),
            waiting_for=waiting.get(r.id),
        )
        for r in found
    ]
    cursor = runs[-1].id if len(runs) == query.limit else None
    return models.RunPageOut(runs=runs, next=cursor)


Group = Annotated[
    bool,
    Query(description="summarise the nodes inside splits and loops as `groups`, not each record"),
]


@router.get("/runs/{run_id}", response_model=models.RunOut, dependencies=[VIEWER])
async def get_run(run_id: str, runtime: RuntimeDep, group: Group = False) -> models.RunOut:
    """The run with every node and step, where it came from and who executes it (and,
    queued, why no agent has taken it yet). With `group`, the records of a node run per
    split item or loop turn are summarised (`groups`): page them at
    `/runs/{id}/nodes/{node}`."""
    if not group:
        return await run_tree(runtime, await stored_run(runtime, run_id))
    found = await runtime.store.get_run_grouped(run_id)
    if found is None:
        raise NotFound(f"no run {run_id!r}")
    return await run_tree(runtime, found[0], found[1])


@router.get(
    "/runs/{run_id}/nodes/{node}", response_model=models.NodeRecordsOut, dependencies=[VIEWER]
)
async def get_node_records(
    run_id: str,
    node: str,
    runtime: RuntimeDep,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> models.NodeRecordsOut:
    """The records of pipeline node `node` (one per split item or loop turn that reached
    it), in the order they began, `limit` from `offset`. 404: no such run, or the run's
    pipeline has no such node."""
    total, page = await runtime.store.node_records(run_id, node, offset, limit)
    if not total and not await _has_node(runtime, run_id, node):
        raise NotFound(f"run {run_id!r} has no node {node!r}")
    out = [models.NodeOut.model_validate(n.to_dict()) for n in page]
    return models.NodeRecordsOut(node=node, total=total, records=out)


async def _has_node(runtime: Runtime, run_id: str, node: str) -> bool:
    """Whether the run's pipeline has `node` (no record of it exists yet); NotFound
    for no such run."""
    found = await runtime.store.get_run_grouped(run_id)
    if found is None:
        raise NotFound(f"no run {run_id!r}")
    pipeline = runtime.pipeline_of(found[0].source)
    return pipeline is not None and any(n.id == node for n in pipeline.nodes)


async def run_tree(
    runtime: Runtime, stored: StoredRun, groups: list[NodeGroup] | None = None
) -> models.RunOut:
    """What `GET /runs/{id}` answers for `stored`, with `groups` (the records inside
    splits and loops summarised) when it was read grouped; the run page embeds the
    same."""
    out = run_out(stored, runtime.clock.now(), groups)
    if stored.record.state is State.WAITING:
        from xene.service import agents

        needed = runtime.labels_of(stored.source)
        now, lease_s = runtime.clock.now(), runtime.config.lease_s
        out.waiting_for = await agents.waiting_for(runtime.store, needed, now, lease_s)
    return out


@router.post(
    "/runs/{run_id}/cancel",
    response_model=models.RunActionOut,
    status_code=202,
)
async def cancel_run(
    run_id: str, runtime: RuntimeDep, caller: Annotated[auth.Principal, MANAGER]
) -> models.RunActionOut:
    """Cancel an unfinished run (its running steps are killed); 409 if it has ended. A
    run nobody executes ends at once, its error saying who cancelled it (the token's
    name)."""
    await runtime.cancel(run_id, caller.name)
    return models.RunActionOut(run_id=run_id, action="cancel")


@router.post(
    "/runs/{run_id}/retry",
    response_model=models.RunActionOut,
    status_code=202,
)
async def retry_run(
    run_id: str,
    runtime: RuntimeDep,
    caller: Annotated[auth.Principal, MANAGER],
    body: models.RetryIn | None = None,
) -> models.RunActionOut:
    """Run a failed or cancelled run again: the nodes that did not succeed, or
    `from_node` and everything downstream of it. Attempt numbers go on counting; the
    retry (by the token's name) is in the run's `retries`. 404: no such run or node;
    409: the run did not end in Error or Cancelled."""
    from_node = body.from_node if body is not None else None
    await runtime.retry(run_id, caller.name, from_node)
    return models.RunActionOut(run_id=run_id, action="retry")


@router.get("/runs/{run_id}/logs", response_model=models.LogPageOut, dependencies=[VIEWER])
async def read_logs(
    run_id: str,
    runtime: RuntimeDep,
    flt: LogFilterDep,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> models.LogPageOut:
    """Log chunks committed after `after` (a chunk's seq), oldest first; `node` and
    `step` narrow them to one node or step."""
    await stored_run(runtime, run_id)
    chunks = await runtime.store.read_logs(
        run_id, node=flt.node, step=flt.step, after=flt.after, limit=limit
    )
    out = [models.LogChunkOut.model_validate(sse.chunk_dict(c)) for c in chunks]
    return models.LogPageOut(chunks=out, next_after=chunks[-1].seq if chunks else flt.after)


@router.get(
    "/runs/{run_id}/logs/stream",
    response_class=StreamingResponse,
    dependencies=[VIEWER],
    responses=STREAM,
)
async def follow_logs(
    run_id: str,
    request: Request,
    runtime: RuntimeDep,
    flt: LogFilterDep,
    last_event_id: Annotated[str | None, Header(max_length=30)] = None,
) -> StreamingResponse:
    """`event: log` with each chunk as it is committed (its seq as the event id; a
    reconnecting client's Last-Event-ID resumes after it), then `event: end` once the
    run is final and every chunk was sent."""
    await stored_run(runtime, run_id)
    after = flt.after
    if last_event_id is not None and last_event_id.strip().isdigit():
        after = max(after, int(last_event_id))
    poll_s: float = request.app.state.log_poll_s
    events = sse.follow_logs(
        runtime.store, run_id, node=flt.node, step=flt.step, after=after, poll_s=poll_s
    )
    return sse.response(events)


@router.get("/events", response_class=StreamingResponse, dependencies=[VIEWER], responses=STREAM)
async def events(
    runtime: RuntimeDep,
    limit: Annotated[int | None, Query(ge=1, description="end after this many events")] = None,
) -> StreamingResponse:
    """`event: run` and `event: node` as runs change state: at once for runs this server
    executes, and for runs other servers execute as soon as the store tells of the change
    (within a second if it cannot)."""
    return sse.response(sse.hub_events(runtime.hub, limit))


async def waiting_reasons(runtime: Runtime, found: list[RunSummary]) -> dict[str, str]:
    """Why each queued run of the page is not taken (the labels it needs, read from its
    source; the agents, read once)."""
    from xene.service import agents

    needed: dict[str, tuple[str, ...]] = {}
    for summary in found:
        if summary.state is State.WAITING:
            stored = await runtime.store.get_run(summary.id)
            if stored is not None:
                needed[summary.id] = runtime.labels_of(stored.source)
    now, lease_s = runtime.clock.now(), runtime.config.lease_s
    return await agents.waiting_reasons(runtime.store, needed, now, lease_s)


async def stored_run(runtime: Runtime, run_id: str) -> StoredRun:
    stored = await runtime.store.get_run(run_id)
    if stored is None:
        raise NotFound(f"no run {run_id!r}")
    return stored


def run_out(stored: StoredRun, now: float, groups: list[NodeGroup] | None = None) -> models.RunOut:
    tree: dict[str, Any] = stored.record.to_dict()
    if groups is not None:
        tree["groups"] = [dataclasses.asdict(g) for g in groups]
    source = stored.source
    tree["source"] = {
        "path": source.path,
        "format": source.format,
        "workflow": source.workflow,
        "pipeline": source.pipeline,
    }
    tree["owner"] = stored.owner
    tree["lease_until"] = stored.lease_until
    tree["owner_gone"] = owner_gone(stored.record.state, stored.owner, stored.lease_until, now)
    tree["idempotency_key"] = stored.idempotency_key
    tree["retries"] = [dataclasses.asdict(retry) for retry in stored.retries]
    return models.RunOut.model_validate(tree)
