"""Approvals: the `std::wait` nodes waiting for a person, and their decisions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from xene.server.api import deps, models
from xene.server.api.deps import MANAGER, VIEWER, RuntimeDep
from xene.store.base import Suspension

router = APIRouter(prefix="/api/v1", tags=["approvals"], responses=deps.ERRORS)


@router.get("/suspensions", response_model=models.SuspensionListOut, dependencies=[VIEWER])
async def list_suspensions(
    runtime: RuntimeDep,
    all_: Annotated[bool, Query(alias="all", description="also the decided ones")] = False,
) -> models.SuspensionListOut:
    """What waits for a decision (with `all`, what was decided too)."""
    found = await runtime.store.list_suspensions(pending=not all_)
    return models.SuspensionListOut(suspensions=[suspension_out(s) for s in found])


@router.post(
    "/suspensions/{hook}/{decision}",
    response_model=models.SuspensionOut,
    dependencies=[MANAGER],
)
async def decide(
    hook: str,
    decision: Literal["approve", "reject", "escalate"],
    runtime: RuntimeDep,
    body: models.DecisionIn | None = None,
) -> models.SuspensionOut:
    """Decide a waiting node: its run continues on `out`, `rejected` or `escalated`.
    409 if it was decided already."""
    given = body or models.DecisionIn()
    decided = await runtime.decide(hook, decision, given.data, given.reason)
    return suspension_out(decided)


def suspension_out(suspension: Suspension) -> models.SuspensionOut:
    return models.SuspensionOut.model_validate(asdict(suspension))
