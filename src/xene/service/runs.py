"""Queueing, cancelling and retrying a run: the same rules for `xene cancel|retry` on a
store and for the server's `POST /runs/{id}/cancel|retry`, and one way to queue a run
for the server's triggers, API and state machines."""

from __future__ import annotations

import dataclasses
import getpass
import os
from collections.abc import Callable
from typing import Any, Literal, cast

from xene.core.records import RunRecord
from xene.core.states import State
from xene.errors import XeneError
from xene.frozen import frozen
from xene.store import rows
from xene.store.base import (
    Batch,
    NewRun,
    RetryRequest,
    RunRetry,
    RunRow,
    RunSource,
    ServerStore,
    Store,
    StoredRun,
)
from xene.store.owners import owner_alive

_LIVE = (State.WAITING, State.CONFIGURING, State.RUNNING, State.SUSPENDED)


class NotRetryable(XeneError):
    """The run cannot be retried."""


class UnknownNode(NotRetryable):
    """`--from` names no node of the run's pipeline."""


class NotCancellable(XeneError):
    """The run has ended already."""


def os_user() -> str:
    """Who runs this command, for the record (`retried by alice`)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return f"uid {os.getuid()}"


# -- queue -----------------------------------------------------------------------------
@frozen
class Wanted:
    """A run to queue: of `source`'s pipeline, with its input, idempotency key and the
    labels its executor must have."""

    source: RunSource
    input: Any
    key: str | None = None
    labels: tuple[str, ...] = ()
    trigger: str | None = None
    """The workflow trigger whose fire it is; None: started by hand."""


async def queue(
    store: Store, wanted: Wanted, now: float, new_id: Callable[[float], str]
) -> tuple[str, bool]:
    """Queue a run for an executor (one with all its labels) to claim; `(run id,
    created)`: an idempotency key this pipeline has seen names its run instead."""
    w = wanted
    run = NewRun.of(new_id(now), w.source, w.input, now, w.key, w.labels)
    if w.trigger is not None:
        run = dataclasses.replace(run, trigger=w.trigger)
    return await store.create_run(run)


# -- retry -----------------------------------------------------------------------------
def nodes_to_retry(stored: StoredRun, from_node: str | None) -> tuple[str, ...]:
    """The records a retry runs again; raises NotRetryable saying why there are none."""
    from xene.core import rerun

    record = stored.record
    if record.state not in (State.ERROR, State.CANCELLED):
        still = "is still" if not record.state.finished else "ended"
        raise NotRetryable(
            f"run {record.id} {still} {record.state}: only a run that ended Error or "
            "Cancelled can be retried"
        )
    if from_node is None:
        return rerun.failed(record)
    from xene.core.plan import Plan
    from xene.engine.durable import pipeline_of

    try:
        plan = Plan.build(pipeline_of(stored))
    except Exception as exc:  # a definition that no longer loads: its own error says why
        raise NotRetryable(
            f"run {record.id} cannot be retried from {from_node!r}: its definition no "
            f"longer loads ({exc})"
        ) from exc
    try:
        return rerun.downstream(plan, record, from_node)
    except KeyError:
        known = ", ".join(n.id for n in plan.pipeline.nodes)
        raise UnknownNode(
            f"run {record.id} has no node {from_node!r} to retry from; its nodes: {known}"
        ) from None


async def retry(
    store: ServerStore,
    stored: StoredRun,
    request: RetryRequest,
) -> RunRetry:
    """Record the retry and set the nodes back (`request.nodes` from `nodes_to_retry`);
    raises NotRetryable when the run changed meanwhile."""
    done = await store.retry_run(stored.record.id, request)
    if done is None:
        raise NotRetryable(f"run {stored.record.id} changed meanwhile; look again with `show`")
    return done


def retry_request(
    stored: StoredRun,
    by: str,
    at: float,
    from_node: str | None,
    *,
    owner: str = "",
    lease_until: float = 0.0,
) -> RetryRequest:
    """What to ask the store: the nodes to run again, and who executes the run next
    (nobody yet: an agent claims it; or the retrying process, holding a lease)."""
    nodes = nodes_to_retry(stored, from_node)
    return RetryRequest(by, at, nodes, from_node, owner, lease_until)


# -- cancel ----------------------------------------------------------------------------
Cancelled = Literal["cancelled", "requested"]


def executed_elsewhere(stored: StoredRun, now: float) -> bool:
    """A live process executes the run: its owner lives and its lease runs."""
    if stored.record.state is State.SUSPENDED or not stored.owner:
        return False
    return owner_alive(stored.owner) and stored.lease_until >= now


async def cancel(store: Store, stored: StoredRun, by: str, now: float) -> Cancelled:
    """`cancelled`: nobody executed the run (suspended, or its process died), so it is
    ended here, or it was queued and nobody had claimed it. `requested`: its executor is
    asked, through the store, and ends it (`xene run` and `xene serve` watch for that)."""
    record = stored.record
    if record.state.finished:
        raise NotCancellable(f"run {record.id} has ended already ({record.state})")
    server = cast(ServerStore, store)  # every local store is one
    queued = record.state is State.WAITING and not stored.owner
    if queued or executed_elsewhere(stored, now):
        if not await server.request_cancel(record.id):
            raise NotCancellable(f"run {record.id} ended meanwhile")
        fresh = await store.get_run(record.id)  # a queued run is cancelled at once
        finished = fresh is not None and fresh.record.state.finished
        return "cancelled" if finished else "requested"
    await store.commit(record.id, _cancelled(record, f"cancelled by {by}", now))
    return "cancelled"


def _cancelled(record: RunRecord, reason: str, now: float) -> Batch:
    """The run and its unfinished nodes and steps, Cancelled; the lease released."""
    nodes, steps = [], []
    for node in record.nodes.values():
        if node.state in _LIVE:
            node.state, node.ended_at = State.CANCELLED, now
            nodes.append(rows.node_row(node))
        for index, step in enumerate(node.steps):
            if step.state is State.RUNNING:
                step.state, step.ended_at = State.CANCELLED, now
                steps.append(rows.step_row(node.key, index, step))
    run = RunRow(record.id, State.CANCELLED, reason, record.started_at, now)
    return Batch(run=run, nodes=nodes, steps=steps, lease_until=0.0)
