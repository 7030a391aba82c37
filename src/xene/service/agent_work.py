"""The work of remote agents: claiming queued runs (a long poll), committing their
journals, renewing their leases, reading and deciding their approvals, and the secrets
a claimed run names. The server's agent routes (`/api/v1/agent/...`) are over these.

A run a remote agent holds is owned by `agent:NAME` (never `host:pid`: the built-in
agent's takeover of dead processes on its host leaves it alone) and carries the epoch
of its lease: every commit names it, and one whose epoch is no longer the run's is
refused (`LeaseMoved`, the store's `Fenced`), as is a commit of a run the agent does not
own. A lease runs `lease_s` from the claim and from each heartbeat naming the run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence

from xene.core.records import RunRecord
from xene.core.states import Decision, State
from xene.engine.options import SecretSource
from xene.errors import XeneError
from xene.frozen import frozen
from xene.service.agents import AgentState, state
from xene.service.errors import Conflict, NotFound
from xene.store import owners, wakeups
from xene.store.agents import AgentRecord, AgentStore
from xene.store.base import (
    ApprovalRecord,
    Batch,
    Fenced,
    RunSummary,
    ServerStore,
    StoredRun,
)

log = logging.getLogger("xene.service.agent_work")


class LeaseMoved(Conflict):
    """The run is not the agent's to write any more: another claim took it (a later
    epoch), or another agent holds it. The agent must stop it at once."""


def moved(run_id: str, epoch: int) -> str:
    return f"run {run_id}'s lease has moved on (epoch {epoch} is not current): stop it"


async def registered(store: AgentStore, name: str) -> AgentRecord:
    """The agent's record; NotFound (it must register again) if it has none."""
    agent = await store.get_agent(name)
    if agent is None:
        raise NotFound(f"agent {name!r} is not registered (forgotten?): register again")
    return agent


# -- claim -----------------------------------------------------------------------------
@frozen
class Ask:
    """An agent asking for work: up to `free` runs, waiting up to `wait_s` for one."""

    name: str
    free: int
    wait_s: float


@frozen
class Terms:
    """What the server grants: leases of `lease_s`; a look at the store at least every
    `poll_s` while a claim waits (a notification lost costs no more)."""

    lease_s: float
    poll_s: float


async def claim_once(
    store: ServerStore, ask: Ask, now: float, lease_s: float
) -> list[StoredRun] | None:
    """Runs claimed for the agent now, with the labels it registered, at most its
    capacity; None: it drains, or it is lost (it gets nothing, and need not wait). A
    lost agent's poll may still be open: a frozen agent's, or a killed one's whose
    socket the server has not seen close; what it claimed would wait out a lease."""
    agent = await registered(store, ask.name)
    if state(agent, now, lease_s) is not AgentState.ONLINE:
        return None
    limit = min(ask.free, agent.capacity)
    owner, lease_until = owners.agent_owner(ask.name), now + lease_s
    return await store.claim_stored_runs(owner, limit, lease_until, now, agent.labels)


async def claim(
    store: ServerStore,
    ask: Ask,
    terms: Terms,
    now: Callable[[], float],
    stopping: Callable[[], bool],
    gone: Callable[[], Awaitable[bool]] | None = None,
) -> list[StoredRun]:
    """Claim runs for the agent: at once if some wait, else as soon as one is queued
    (the store's `queued` wake-up), else nothing once `ask.wait_s` has passed. A server
    stopping hands out nothing (its answer might not reach the agent), nor does a poll
    whose agent has gone (`gone`: its connection closed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ask.wait_s
    with wakeups.of(store).subscribe("queued") as queued:  # before the look: none missed
        while not stopping() and not (gone is not None and await gone()):
            claimed = await claim_once(store, ask, now(), terms.lease_s)
            if claimed is None or claimed or loop.time() >= deadline:
                return claimed or []
            await queued.wait(min(deadline - loop.time(), terms.poll_s))
    return []


def taken_over(stored: StoredRun) -> bool:
    """Whether a claimed run had an executor before, whose lease ended (or was left):
    a queued run waits for its first, or for one after a decision or a retry."""
    return stored.record.state is not State.WAITING


async def secrets_for(names: Collection[str], resolve: SecretSource) -> dict[str, str]:
    """The values of `names` that resolve; a name that does not is left out (the run
    then fails at its start, saying which secret is unknown, as it would locally)."""
    if not names:
        return {}
    try:
        return dict(await resolve(names))
    except XeneError as exc:
        unknown = set(getattr(exc, "names", ()))
        known = [name for name in names if name not in unknown]
        if not unknown or not known:  # the key cannot decrypt them, or none is known
            log.warning("a claimed run's secrets are not handed over: %s", exc)
            return {}
        return await secrets_for(known, resolve)


# -- commits ---------------------------------------------------------------------------
@frozen
class Committed:
    applied: int
    """The last seq of the commits (each applied now, or before: a duplicate)."""
    ended: RunRecord | None
    """The run, when these commits ended it (its pipeline's breaker may trip)."""


async def holding(store: ServerStore, name: str, run_id: str) -> RunSummary:
    """The run, if agent `name` holds it; NotFound, or LeaseMoved if another does."""
    summary = await store.run_summary(run_id)
    if summary is None:
        raise NotFound(f"no run {run_id!r}")
    if summary.owner != owners.agent_owner(name):
        raise LeaseMoved(f"run {run_id} is not held by agent {name!r} (now): stop it")
    return summary


async def commit(
    store: ServerStore, held: RunSummary, epoch: int, batches: Sequence[Batch], lease_until: float
) -> Committed:
    """Apply an agent's batches of a run it holds (`held` says so), in order, each once
    (by its seq); LeaseMoved if the lease has moved on (nothing more is applied). A lease
    a batch renews runs until `lease_until`, by this server's clock, not the agent's (a
    clock behind would shorten its own lease); a release (0) stays a release."""
    try:
        for batch in batches:
            if batch.lease_until:
                batch.lease_until = lease_until
            await store.commit(held.id, batch)
    except Fenced:
        raise LeaseMoved(moved(held.id, epoch)) from None
    except KeyError:  # deleted meanwhile (`xene gc`)
        raise NotFound(f"no run {held.id!r}") from None
    applied = (batches[-1].seq or 0) if batches else 0
    return Committed(applied, None if held.state.finished else _ended(held, batches))


def _ended(summary: RunSummary, batches: Sequence[Batch]) -> RunRecord | None:
    for batch in batches:
        row = batch.run
        if row is not None and row.state.finished:
            return RunRecord(
                row.id, summary.workflow, summary.pipeline, state=row.state,
                error=row.error, started_at=row.started_at, ended_at=row.ended_at,
            )  # fmt: skip
    return None


# -- heartbeats --------------------------------------------------------------------------
@frozen
class Renewal:
    lost: tuple[str, ...]
    """Runs the agent named whose lease it no longer holds: it must stop them."""
    cancel: tuple[str, ...]
    """Runs it holds whose cancel was asked: it must cancel them."""


async def renew(
    store: ServerStore, name: str, runs: Mapping[str, int], lease_until: float
) -> Renewal:
    """Renew the leases of the runs (id -> epoch) the agent says it holds."""
    if not runs:
        return Renewal((), ())
    renewed = await store.renew_leases(owners.agent_owner(name), runs, lease_until)
    lost = tuple(sorted(set(runs) - renewed))
    cancel = tuple(sorted(await store.cancels_requested(renewed)))
    return Renewal(lost, cancel)


async def cancel_on_agents(store: ServerStore, workflow: str, pipeline: str) -> list[str]:
    """Ask the remote agents holding the pipeline's unfinished runs to cancel them (a
    stopped pipeline): they are told in their next heartbeat reply."""
    asked = []
    for run in await store.unfinished_runs():
        ours = (run.workflow, run.pipeline) == (workflow, pipeline)
        remote = run.owner.startswith(owners.AGENT_PREFIX) and run.state is not State.SUSPENDED
        if ours and remote and await store.request_cancel(run.id):
            asked.append(run.id)
    return asked


# -- approvals -------------------------------------------------------------------------
async def approval(store: ServerStore, name: str, hook_id: str) -> ApprovalRecord:
    """An approval of a run the agent holds; NotFound, or LeaseMoved if it does not."""
    found = await store.get_approval(hook_id)
    if found is None:
        raise NotFound(f"no hook {hook_id!r}")
    await holding(store, name, found.run_id)
    return found


@frozen
class Decided:
    decision: Decision
    data: object
    reason: str
    at: float


async def decide(
    store: ServerStore, name: str, hook_id: str, decided: Decided
) -> ApprovalRecord | None:
    """Record the agent's decision (a timeout its run saw pass), once; None if a
    decision came first."""
    await approval(store, name, hook_id)
    d = decided
    return await store.decide(hook_id, d.decision, d.data, d.reason, d.at)
