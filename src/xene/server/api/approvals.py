"""Approvals: the `std::wait` nodes waiting for a person, and their decisions.

`/suspensions` is the routes' older name, kept as an alias so that nothing written
against it breaks."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from xene.core import states
from xene.server.api import deps, models
from xene.server.api.deps import MANAGER, VIEWER, RuntimeDep
from xene.store.base import ApprovalRecord

router = APIRouter(prefix="/api/v1", tags=["approvals"], responses=deps.ERRORS)
All = Annotated[bool, Query(alias="all", description="also the decided ones")]
OfRun = Annotated[str | None, Query(alias="run", description="only this run's")]
Decision = Literal["approve", "reject", "escalate"]


@router.get("/approvals", response_model=models.ApprovalListOut, dependencies=[VIEWER])
async def list_approvals(
    runtime: RuntimeDep, all_: All = False, run_id: OfRun = None
) -> models.ApprovalListOut:
    """What waits for a decision (with `all`, what was decided too; with `run`, only
    that run's)."""
    found = await runtime.store.list_approvals(pending=not all_)
    if run_id is not None:
        found = [a for a in found if a.run_id == run_id]
    return models.ApprovalListOut(approvals=[approval_out(s) for s in found])


@router.post(
    "/approvals/{hook}/{decision}", response_model=models.ApprovalOut, dependencies=[MANAGER]
)
async def decide(
    hook: str, decision: Decision, runtime: RuntimeDep, body: models.DecisionIn | None = None
) -> models.ApprovalOut:
    """Decide a waiting node: its run continues on `out`, `rejected` or `escalated`.
    409 if it was decided already."""
    given = body or models.DecisionIn()
    decided = await runtime.decide(hook, states.Decision(decision), given.data, given.reason)
    return approval_out(decided)


@router.get(
    "/suspensions",
    response_model=models.SuspensionListOut,
    dependencies=[VIEWER],
    deprecated=True,
)
async def list_suspensions(runtime: RuntimeDep, all_: All = False) -> models.SuspensionListOut:
    """`GET /approvals`, under its older name and with the list as `suspensions`."""
    listed = await list_approvals(runtime, all_)
    return models.SuspensionListOut(suspensions=listed.approvals)


router.add_api_route(
    "/suspensions/{hook}/{decision}",
    decide,
    methods=["POST"],
    response_model=models.ApprovalOut,
    dependencies=[MANAGER],
    deprecated=True,
    summary="Decide (older name of POST /approvals/{hook}/{decision})",
    operation_id="decide_suspension",
)


def approval_out(approval: ApprovalRecord) -> models.ApprovalOut:
    return models.ApprovalOut.model_validate(asdict(approval))
