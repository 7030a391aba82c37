"""The agent routes of remote agents' work (`/api/v1/agent/...`): claim runs (a long
poll), commit their journals, read and decide their approvals. Heartbeats, which renew
the leases, are in agents.py with registering. Each takes a client certificate or an
agent token (`auth.agent_principal`); without auth the agent names itself (`?name=`).

A claimed run crosses as `xene.store.wire.stored_run_json`, with its lease's epoch, and
only the secrets its pipeline names; commits are read strictly (server/agent_batches.py)
and refused with 409 once the lease has moved on: the agent must stop the run.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from xene.core.states import Decision
from xene.ir import Pipeline
from xene.server import agent_batches, auth
from xene.server.api import deps, models
from xene.server.api.approvals import approval_out
from xene.server.api.deps import RuntimeDep
from xene.server.api.errors import ApiError
from xene.server.runtime import Runtime
from xene.service import agent_work, agents
from xene.store.base import StoredRun
from xene.store.wire import stored_run_json

router = APIRouter(prefix="/api/v1/agent", tags=["agents"], responses=deps.ERRORS)
AgentCaller = Annotated[auth.Principal, Depends(auth.agent_principal)]
RunId = Annotated[str, Path(max_length=100)]
HookId = Annotated[str, Path(max_length=100)]
COMMITS_BODY = {
    "requestBody": {
        "required": True,
        "description": "the agent's journal batches of the run (`wire.batch_json`), each "
        "with its seq, counted from 1 within the epoch; a seq applied already is skipped",
        "content": {"application/json": {"schema": agent_batches.schema()}},
    }
}


class ClaimIn(BaseModel):
    free: int = Field(ge=1, le=agents.MAX_CAPACITY, description="runs it can take now")
    wait_s: float = Field(
        20.0, ge=0, le=30, description="wait this long for a run when none is queued"
    )


class ClaimedOut(BaseModel):
    run: dict[str, Any] = Field(description="the run as rows (`wire.stored_run_json`)")
    lease_s: float = Field(description="the lease runs this long; heartbeats renew it")
    secrets: dict[str, str] = Field(description="the secrets its pipeline names")


class ClaimOut(BaseModel):
    runs: list[ClaimedOut]
    waited_s: float = Field(
        0.0, description="how long the claim waited here before it took the runs: the "
        "agent knows from it how old its leases may be (a reply read late is confirmed)"
    )  # fmt: skip


class AppliedOut(BaseModel):
    applied: int = Field(description="the last seq applied (now, or before)")


class DecideIn(BaseModel):
    decision: Decision
    data: Any = None
    reason: str = ""
    at: float


class DecidedOut(BaseModel):
    approval: models.ApprovalOut | None = Field(description="null: decided elsewhere first")


@router.post("/claim", response_model=ClaimOut)
async def claim(
    body: ClaimIn, request: Request, caller: AgentCaller, runtime: RuntimeDep, name: str = ""
) -> ClaimOut:
    """Up to `free` queued runs (at most the agent's capacity) whose labels the agent
    registered: at once, else as soon as one is queued, else none after `wait_s`. A
    draining agent gets none at once; an unregistered one 404 (it registers again)."""
    config = runtime.config
    started = time.monotonic()
    wait_s = min(body.wait_s, config.claim_wait_s)
    ask = agent_work.Ask(agents.identity(caller.name, name), body.free, wait_s)
    terms = agent_work.Terms(config.lease_s, config.poll_s)
    claimed = await agent_work.claim(
        runtime.store,
        ask,
        terms,
        runtime.clock.now,
        lambda: runtime.agent.stopping,
        request.is_disconnected,
    )
    waited_s = time.monotonic() - started
    metrics = runtime.metrics
    for stored in claimed:
        metrics.claims.labels("remote").inc()
        if agent_work.taken_over(stored):
            metrics.lease_expiries.inc()
    runs = [await _handed(runtime, stored) for stored in claimed]
    return ClaimOut(runs=runs, waited_s=round(waited_s, 6))


async def _handed(runtime: Runtime, stored: StoredRun) -> ClaimedOut:
    pipeline = _pipeline(runtime, stored)
    names = pipeline.secret_names if pipeline is not None else frozenset()
    secrets = await agent_work.secrets_for(names, runtime.secrets.resolve)
    return ClaimedOut(run=stored_run_json(stored), lease_s=runtime.config.lease_s, secrets=secrets)


def _pipeline(runtime: Runtime, stored: StoredRun) -> Pipeline | None:
    """The run's pipeline: as loaded here, else from its source; None if it does not
    load (the agent fails the run, saying why)."""
    from xene.engine.durable import pipeline_of_source

    known = runtime.pipeline_of(stored.source)
    if known is not None:
        return known
    try:
        return pipeline_of_source(stored.source)
    except Exception:
        return None


@router.post("/runs/{run_id}/commits", response_model=AppliedOut, openapi_extra=COMMITS_BODY)
async def commits(
    run_id: RunId, request: Request, caller: AgentCaller, runtime: RuntimeDep, name: str = ""
) -> AppliedOut:
    """Apply the agent's journal batches of a run it holds, in order; each seq once.
    409: the run's lease has moved on (a later claim) or another agent holds it: stop
    it. 422: a batch is not valid (nothing is applied)."""
    who = agents.identity(caller.name, name)
    try:  # whose run it is first: another's body is not worth reading
        held = await agent_work.holding(runtime.store, who, run_id)
        wanted = agent_batches.parse(await request.body())
        batches = agent_batches.batches(run_id, wanted)
        lease_until = runtime.clock.now() + runtime.config.lease_s
        done = await agent_work.commit(runtime.store, held, wanted.epoch, batches, lease_until)
    except agent_batches.BadCommits as exc:
        raise ApiError(422, str(exc), problems=exc.problems) from None
    except agent_work.LeaseMoved:
        runtime.metrics.fenced_writes.inc()
        raise
    if done.ended is not None:
        runtime.metrics.run_changed(done.ended)
        await runtime.run_ended(done.ended)
    return AppliedOut(applied=done.applied)


@router.get("/approvals/{hook_id}", response_model=models.ApprovalOut)
async def get_approval(
    hook_id: HookId, caller: AgentCaller, runtime: RuntimeDep, name: str = ""
) -> models.ApprovalOut:
    """An approval of a run the agent holds (`dataclasses.asdict` of the record); 409
    for a run it does not hold."""
    who = agents.identity(caller.name, name)
    return approval_out(await agent_work.approval(runtime.store, who, hook_id))


@router.post("/approvals/{hook_id}/decide", response_model=DecidedOut)
async def decide(
    hook_id: HookId, body: DecideIn, caller: AgentCaller, runtime: RuntimeDep, name: str = ""
) -> DecidedOut:
    """Decide an approval of a run the agent holds (its timeout passed as the run ran):
    the record decided, or null if a decision came first."""
    who = agents.identity(caller.name, name)
    decided = agent_work.Decided(body.decision, body.data, body.reason, body.at)
    found = await agent_work.decide(runtime.store, who, hook_id, decided)
    return DecidedOut(approval=None if found is None else approval_out(found))
