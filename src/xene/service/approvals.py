"""Deciding an approval (a `std::wait` node waiting for a person): the same rules for
`xene approve` on a store and for the server's `POST /approvals/{hook}/{decision}`, and
the timeouts the server applies. Each front-end then continues the run its own way:
`xene approve` here, the server by queueing it for its agents."""

from __future__ import annotations

from typing import Any

from xene.core.states import Decision
from xene.service.errors import Conflict, NotFound
from xene.store.base import ApprovalRecord
from xene.store.roles import ApprovalStore


class DecidedAlready(Conflict):
    """The approval was decided already: the first decision stands."""


async def decide(
    store: ApprovalStore, hook: str, decision: Decision, data: Any, reason: str, now: float
) -> ApprovalRecord:
    """Record the decision, once: NotFound for an unknown hook, DecidedAlready if a
    decision came first (saying which, when it is known)."""
    waiting = await store.get_approval(hook)
    if waiting is None:
        raise NotFound(f"no hook {hook!r}")
    if waiting.decision is not None:
        raise DecidedAlready(f"{hook} was decided already: {waiting.decision}")
    decided = await store.decide(hook, decision, data, reason, now)
    if decided is None:
        raise DecidedAlready(f"{hook} was decided meanwhile by someone else")
    return decided


async def expire(store: ApprovalStore, now: float) -> list[ApprovalRecord]:
    """Decide, with its `timeout_action`, every approval whose timeout has passed; the
    ones decided here (not those another process decided first)."""
    expired = []
    for waiting in await store.list_approvals():
        if waiting.timeout_at is None or waiting.timeout_at > now:
            continue
        action = waiting.timeout_action
        decided = await store.decide(waiting.hook_id, action, None, "timed out", now)
        if decided is not None:
            expired.append(decided)
    return expired
