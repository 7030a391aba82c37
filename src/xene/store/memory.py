"""`MemoryStore`: the Store in dicts, for unit tests and `--store memory://`.

It passes the same contract suite as the SQL stores: values go through the same JSON
and row conversions (rows.py), so what comes back is what SQL would give back. States,
modes and decisions are kept as the enums they come in as: there is no word to convert.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xene.core.records import NodeRecord, RunRecord
from xene.core.states import Decision, PipelineMode, State
from xene.store import fencing, groups, owners, rows, wakeups
from xene.store.agents import AgentRecord
from xene.store.base import (
    BY_HAND,
    AppliedWorkflow,
    ApprovalRecord,
    Batch,
    BreakerState,
    IdKind,
    LogChunk,
    MachineInstance,
    NewRun,
    NodeRow,
    RunFilter,
    RunRetry,
    RunSummary,
    ServerStore,
    StepRow,
    StoredRun,
)
from xene.store.groups import NodeGroup
from xene.store.memory_agents import MemoryAgentOps
from xene.store.memory_breaker import MemoryBreakerOps
from xene.store.memory_pressure import MemoryPressureOps
from xene.store.memory_secrets import MemorySecretOps
from xene.store.memory_server import MemoryServerOps
from xene.store.memory_tokens import MemoryTokenOps
from xene.store.pressure import SkippedFire
from xene.store.secrets import StoredSecret
from xene.store.server_roles import Labels
from xene.store.tokens import TokenRecord


@dataclass(slots=True)
class _Run:
    new: NewRun
    input_json: str
    state: State = State.NOT_EXECUTED
    error: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    owner: str = ""
    lease_until: float = 0.0
    epoch: int = 0
    commit_seq: int = 0
    cancel_requested: bool = False
    retries: list[RunRetry] = field(default_factory=list)
    nodes: dict[str, NodeRow] = field(default_factory=dict)
    steps: dict[tuple[str, int], StepRow] = field(default_factory=dict)
    logs: list[tuple[int, LogChunk, str]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.state.finished

    def claimed(self, owner: str, lease_until: float) -> None:
        """Taken by `owner`: a new epoch, whose commits are numbered afresh."""
        self.owner, self.lease_until = owner, lease_until
        self.epoch, self.commit_seq = self.epoch + 1, 0

    def summary(self) -> RunSummary:
        n = self.new
        return RunSummary(
            n.id, n.workflow, n.pipeline, self.state, n.created_at, self.started_at,
            self.ended_at, self.error, self.owner, self.lease_until, n.trigger,
        )  # fmt: skip


class MemoryStore(
    MemoryAgentOps,
    MemoryServerOps,
    MemoryBreakerOps,
    MemoryPressureOps,
    MemorySecretOps,
    MemoryTokenOps,
    ServerStore,
):
    """Every method completes without awaiting, so each is atomic on the event loop.
    The `ServerStore` operations are in memory_server.py, secrets in memory_secrets.py,
    tokens in memory_tokens.py."""

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}
        self._keys: dict[tuple[str, str, str], str] = {}
        """(workflow, pipeline, idempotency key) -> run id."""
        self._approvals: dict[str, ApprovalRecord] = {}
        self._fires: dict[tuple[str, str], float] = {}
        self._machines: dict[str, str] = {}
        self._instances: dict[str, MachineInstance] = {}
        self._workflows: dict[str, AppliedWorkflow] = {}
        self._modes: dict[tuple[str, str], PipelineMode] = {}
        self._breakers: dict[tuple[str, str], BreakerState] = {}
        self._secrets: dict[str, StoredSecret] = {}
        self._tokens: dict[str, TokenRecord] = {}
        self._skipped: dict[tuple[str, str], SkippedFire] = {}
        self._agents: dict[str, AgentRecord] = {}
        self.wakeups = wakeups.LocalWakeups()

    async def migrate(self) -> None:
        return None

    async def close(self) -> None:
        return None

    # -- runs ---------------------------------------------------------------------------
    async def create_run(self, run: NewRun) -> tuple[str, bool]:
        key = _key(run)
        if key is not None and key in self._keys:
            return self._keys[key], False
        if run.id in self._runs:
            raise KeyError(f"run {run.id!r} exists already")
        input_json = rows.dumps(run.input)
        self._runs[run.id] = _Run(
            run, input_json, state=run.state, owner=run.owner, lease_until=run.lease_until,
            epoch=fencing.created_epoch(run),
        )  # fmt: skip
        if key is not None:
            self._keys[key] = run.id
        self.wakeups.notify(wakeups.created(run))
        return run.id, True

    async def commit(self, run_id: str, batch: Batch) -> None:
        run = self._runs.get(run_id)
        if run is None:
            if batch:
                raise KeyError(f"no run {run_id!r} in the store")
            return
        if not (batch and fencing.applies(run_id, batch, run.epoch, run.commit_seq)):
            return  # nothing, or a duplicate
        if batch.seq is not None:
            run.commit_seq = batch.seq
        if batch.run is not None:
            r = batch.run
            run.state, run.error, run.started_at, run.ended_at = (
                r.state,
                r.error,
                r.started_at,
                r.ended_at,
            )
        run.nodes.update((node.key, node) for node in batch.nodes)
        for p in batch.progress:
            if p.key in run.nodes:
                run.nodes[p.key] = dataclasses.replace(
                    run.nodes[p.key], progress_json=p.progress_json
                )
        run.steps.update(((step.node_key, step.index), step) for step in batch.steps)
        self._append_logs(run, batch.logs)
        for approval in batch.approvals:
            self._upsert_approval(approval)
        if batch.lease_until is not None:
            run.lease_until = batch.lease_until
        self.wakeups.notify(wakeups.committed(run_id, batch))

    def _append_logs(self, run: _Run, chunks: list[LogChunk]) -> None:
        last = run.logs[-1][0] if run.logs else 0
        for chunk in (c for c in chunks if c.lines):
            last += 1
            run.logs.append((last, chunk, "\n".join(chunk.lines)))

    def _upsert_approval(self, new: ApprovalRecord) -> None:
        new = _json_copy(new)
        old = self._approvals.get(new.hook_id)
        if old is not None:  # a decision is changed only by `decide`
            new = dataclasses.replace(
                old,
                node=new.node,
                metadata=new.metadata,
                timeout_at=new.timeout_at,
                timeout_action=new.timeout_action,
            )
        self._approvals[new.hook_id] = new

    async def get_run(self, run_id: str) -> StoredRun | None:
        run = self._runs.get(run_id)
        return None if run is None else _stored(run)

    async def get_run_grouped(self, run_id: str) -> tuple[StoredRun, list[NodeGroup]] | None:
        stored = await self.get_run(run_id)
        if stored is None:
            return None
        record, made = stored.record, groups.group_records(stored.record.nodes.values())
        outside = {k: n for k, n in record.nodes.items() if not groups.in_body(k)}
        grouped = dataclasses.replace(record, nodes=outside)
        return dataclasses.replace(stored, record=grouped), made

    async def node_records(
        self, run_id: str, node: str, offset: int = 0, limit: int = 50
    ) -> tuple[int, list[NodeRecord]]:
        stored = await self.get_run(run_id)
        found = (
            [] if stored is None else [n for n in stored.record.nodes.values() if n.node_id == node]
        )
        return len(found), found[offset : offset + limit]

    async def claim_stored_runs(
        self, owner: str, limit: int, lease_until: float, now: float, labels: Labels = ()
    ) -> list[StoredRun]:
        claimed = await self.claim_runs(owner, limit, lease_until, now, labels)
        return [_stored(self._runs[run_id]) for run_id in claimed]

    async def list_runs(self, flt: RunFilter) -> list[RunSummary]:
        found = []
        for run_id in sorted(self._runs, reverse=True):
            summary = self._runs[run_id].summary()
            if matches(flt, summary):
                found.append(summary)
                if len(found) == flt.limit:
                    break
        return found

    async def run_summary(self, run_id: str) -> RunSummary | None:
        run = self._runs.get(run_id)
        return None if run is None else run.summary()

    async def unfinished_runs(self) -> list[RunSummary]:
        return [self._runs[i].summary() for i in sorted(self._runs) if not self._runs[i].finished]

    async def claim_run(self, run_id: str, owner: str, lease_until: float, now: float) -> bool:
        run = self._runs.get(run_id)
        if run is None or run.finished:
            return False
        free = run.lease_until < now or run.owner == owner or not owners.owner_alive(run.owner)
        if free:
            run.claimed(owner, lease_until)
        return free

    async def renew_leases(
        self, owner: str, held: Mapping[str, int], lease_until: float
    ) -> set[str]:
        renewed = set()
        for run_id, epoch in held.items():
            run = self._runs.get(run_id)
            if run and run.owner == owner and run.epoch == epoch and not run.finished:
                run.lease_until = lease_until
                renewed.add(run_id)
        return renewed

    async def read_logs(
        self,
        run_id: str,
        *,
        node: str | None = None,
        step: str | None = None,
        after: int = 0,
        limit: int = 1000,
    ) -> list[LogChunk]:
        run = self._runs.get(run_id)
        found = [
            dataclasses.replace(chunk, lines=tuple(text.split("\n")), seq=seq)
            for seq, chunk, text in (run.logs if run else ())
            if seq > after
            and (node is None or chunk.node == node)
            and (step is None or chunk.step == step)
        ]
        return found[:limit]

    async def delete_runs(self, ended_before: float) -> int:
        old = [
            run_id
            for run_id, run in self._runs.items()
            if run.finished and run.ended_at is not None and run.ended_at < ended_before
        ]
        for run_id in old:
            key = _key(self._runs.pop(run_id).new)
            if key is not None:
                self._keys.pop(key, None)
        gone = set(old)
        self._approvals = {h: s for h, s in self._approvals.items() if s.run_id not in gone}
        return len(old)

    async def find_ids(self, kind: IdKind, prefix: str, limit: int = 3) -> list[str]:
        known: dict[str, Iterable[str]] = {
            "run": self._runs,
            "hook": self._approvals,
            "instance": self._instances,
        }
        ids = known[kind]
        wanted = prefix.lower()
        return sorted(i for i in ids if i.lower().startswith(wanted))[:limit]

    # -- approvals ----------------------------------------------------------------------
    async def list_approvals(self, *, pending: bool = True) -> list[ApprovalRecord]:
        found = (s for s in self._approvals.values() if not pending or s.decision is None)
        return sorted(found, key=lambda s: (s.created_at, s.hook_id))

    async def get_approval(self, hook_id: str) -> ApprovalRecord | None:
        return self._approvals.get(hook_id)

    async def decide(
        self, hook_id: str, decision: Decision, data: Any, reason: str, at: float
    ) -> ApprovalRecord | None:
        old = self._approvals.get(hook_id)
        if old is None or old.decision is not None:
            return None
        new = dataclasses.replace(
            old, decision=decision, data=_json(data), reason=reason, decided_at=at
        )
        self._approvals[hook_id] = new
        return new

    # -- triggers -----------------------------------------------------------------------
    async def record_fire(self, trigger_id: str, fire_key: str, at: float) -> bool:
        if (trigger_id, fire_key) in self._fires:
            return False
        self._fires[(trigger_id, fire_key)] = at
        return True

    async def last_fire(self, trigger_id: str) -> float | None:
        times = [at for (trigger, _), at in self._fires.items() if trigger == trigger_id]
        return max(times, default=None)

    # -- state machines -----------------------------------------------------------------
    async def define_machine(self, name: str, definition: dict[str, Any], at: float) -> bool:
        if name in self._machines:
            return False
        self._machines[name] = rows.dumps(definition)
        return True

    async def get_machine(self, name: str) -> dict[str, Any] | None:
        text = self._machines.get(name)
        return None if text is None else dict(rows.loads(text))

    async def list_machines(self) -> list[str]:
        return sorted(self._machines)

    async def create_instance(self, instance: MachineInstance) -> None:
        if instance.id in self._instances:
            raise KeyError(f"instance {instance.id!r} exists already")
        self._instances[instance.id] = instance

    async def move_instance(
        self, instance_id: str, event: str, from_state: str, to_state: str, at: float
    ) -> bool:
        old = self._instances.get(instance_id)
        if old is None or old.state != from_state:
            return False
        history = (*old.history, (event, from_state, to_state, at))
        self._instances[instance_id] = dataclasses.replace(
            old, state=to_state, updated_at=at, history=history
        )
        return True

    async def get_instance(self, instance_id: str) -> MachineInstance | None:
        return self._instances.get(instance_id)

    async def list_instances(self, machine: str) -> list[MachineInstance]:
        found = (i for i in self._instances.values() if i.machine == machine)
        return [
            dataclasses.replace(i, history=())
            for i in sorted(found, key=lambda i: (i.created_at, i.id))
        ]


def _key(run: NewRun) -> tuple[str, str, str] | None:
    """Idempotency keys are scoped to the run's workflow and pipeline."""
    key = run.idempotency_key
    return None if key is None else (run.workflow, run.pipeline, key)


def _json(value: Any) -> Any:
    return rows.loads(rows.dumps(value))


def _json_copy(s: ApprovalRecord) -> ApprovalRecord:
    return dataclasses.replace(s, metadata=_json(s.metadata) or {}, data=_json(s.data))


def _stored(run: _Run) -> StoredRun:
    n = run.new
    record = RunRecord(
        id=n.id, workflow=n.workflow, pipeline=n.pipeline, input=rows.loads(run.input_json),
        state=run.state, error=run.error, started_at=run.started_at,
        ended_at=run.ended_at,
    )  # fmt: skip
    for key, node in run.nodes.items():
        record.nodes[key] = rows.node_record(node)
    for (key, _), step in sorted(run.steps.items()):
        if key in record.nodes:
            record.nodes[key].steps.append(rows.step_record(step))
    return StoredRun(
        record, n.source, run.owner, run.lease_until, n.idempotency_key, tuple(run.retries),
        run.epoch,
    )  # fmt: skip


def matches(flt: RunFilter, run: RunSummary) -> bool:
    """Whether `run` passes every filter of `flt` given (as the SQL stores' terms)."""
    wanted = {"workflow": flt.workflow, "pipeline": flt.pipeline, "state": flt.state}
    if any(v is not None and getattr(run, k) != v for k, v in wanted.items()):
        return False
    if flt.trigger is not None and (run.trigger or BY_HAND) != flt.trigger:
        return False
    if flt.before is not None and run.id >= flt.before:
        return False
    if flt.id_prefix and not run.id.startswith(flt.id_prefix.lower()):
        return False
    if flt.created_after is not None and run.created_at < flt.created_after:
        return False
    return flt.created_before is None or run.created_at < flt.created_before
