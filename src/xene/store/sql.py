"""`SqlStore`: the Store over SQL, shared by SQLite and PostgreSQL.

The logic is in transactions (sql_runs, sql_approvals, sql_machines, sql_server,
sql_breaker, sql_secrets, sql_tokens; see txn.py) written once over named queries
(queries/*.sql). A subclass only says how to run a transaction (`_run`) and how to close.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from xene.core.records import NodeRecord
from xene.core.states import Decision, PipelineMode, State
from xene.store import (
    owners,
    sql_approvals,
    sql_machines,
    sql_retries,
    sql_runs,
    sql_server,
    sqlfiles,
    wakeups,
)
from xene.store.base import (
    AppliedWorkflow,
    ApprovalRecord,
    Batch,
    IdKind,
    LogChunk,
    MachineInstance,
    NewRun,
    RetryRequest,
    RunFilter,
    RunRetry,
    RunSummary,
    ServerStore,
    StoredRun,
)
from xene.store.groups import NodeGroup
from xene.store.server_roles import Labels
from xene.store.sql_agents import SqlAgentOps
from xene.store.sql_breaker import SqlBreakerOps
from xene.store.sql_pressure import SqlPressureOps
from xene.store.sql_secrets import SqlSecretOps
from xene.store.sql_tokens import SqlTokenOps
from xene.store.txn import Stmt, Txn

T = TypeVar("T")


class SqlStore(
    SqlAgentOps, SqlBreakerOps, SqlPressureOps, SqlSecretOps, SqlTokenOps, ServerStore, abc.ABC
):
    """Every role (`ServerStore`); SQLite and PostgreSQL differ in `_run` and `close`."""

    dialect: ClassVar[str]

    def __init__(self) -> None:
        self._q = sqlfiles.load_queries(self.dialect)
        self.wakeups: wakeups.Dispatch = wakeups.LocalWakeups()
        """Who waits for a change (store/wakeups.py); told by `_write`."""
        self.returning = self.dialect == "postgres"
        """Claims and commits use UPDATE ... RETURNING, one statement for several (on
        PostgreSQL; SQLite before 3.35 has none, and its statements cost no round trip)."""
        self.commit_returning = self.returning
        """Commits update the run row with one UPDATE ... RETURNING (see `SqliteStore`)."""

    @abc.abstractmethod
    async def _run(self, txn: Txn[T], *, write: bool, alone: bool = False) -> T:
        """Run a transaction: all of it or, when it raises, nothing. `alone`: each of
        its statements may commit on its own (each is atomic, none needs another's
        isolation, and one that fails leaves nothing that matters done before it)."""

    async def _read_small(self, make: Callable[[], Txn[T]]) -> T:
        """Run the reading transaction `make()` gives, of a few rows (a workflow, its
        modes): SQLite makes it on the loop's thread when it can (sqlite.py)."""
        return await self._run(make(), write=False)

    async def _write(
        self, txn: Txn[T], wakes: Callable[[T], Sequence[wakeups.Wake]], *, alone: bool = False
    ) -> T:
        """Run a writing transaction whose commit wakes the waiters `wakes(its value)`
        names: by a statement within the transaction (`_notify`: delivered only if it
        commits; with `alone`, see `_run`, just after it) and once it has committed
        (`_committed`)."""
        found: list[wakeups.Wake] = []

        def noting() -> Txn[T]:
            value = yield from txn
            found.extend(wakes(value))
            notify = self._notify(found) if found else None
            if notify is not None:
                yield notify
            return value

        value = await self._run(noting(), write=True, alone=alone)
        if found:
            self._committed(found)
        return value

    def _notify(self, wakes: Sequence[wakeups.Wake]) -> Stmt | None:
        """The statement that notifies (some of) `wakes` within their transaction."""
        return None

    def _committed(self, wakes: Sequence[wakeups.Wake]) -> None:
        """`wakes` have committed: every writer is in this process, tell its waiters."""
        if isinstance(self.wakeups, wakeups.LocalWakeups):
            self.wakeups.notify(wakes)

    @abc.abstractmethod
    async def close(self) -> None: ...

    async def migrate(self) -> None:
        await self._run(self._migrate(time.time()), write=True)

    async def schema_version(self) -> int:
        """The latest migration applied (0 for an empty database)."""
        return await self._run(self._version(), write=True)

    def _migrate(self, now: float) -> Txn[None]:
        """Every migration not applied yet, in order; also one numbered below the latest
        applied (branches developed side by side each take their own number)."""
        yield Stmt(self._q["lock_migrations"])
        yield Stmt(self._q["create_schema_version"])
        found = yield Stmt(self._q["applied_versions"])
        applied = {int(row[0]) for row in found.rows}
        for migration in sqlfiles.load_migrations(self.dialect):
            if migration.version not in applied:
                for statement in migration.statements:
                    yield Stmt(statement, None)
                yield Stmt(self._q["record_version"], (migration.version, now))

    def _version(self) -> Txn[int]:
        yield Stmt(self._q["create_schema_version"])
        version: int = (yield Stmt(self._q["schema_version"])).scalar
        return version

    # -- runs ---------------------------------------------------------------------------
    async def create_run(self, run: NewRun) -> tuple[str, bool]:
        wakes = wakeups.created(run)
        txn = sql_runs.create_run(self._q, run)
        # alone: the insert creates the run or nothing; only then is it looked up by key.
        # A run with labels is one transaction: no claimer sees it without them.
        alone = not run.labels
        return await self._write(txn, lambda done: wakes if done[1] else (), alone=alone)

    async def commit(self, run_id: str, batch: Batch) -> None:
        if batch:
            wakes = wakeups.committed(run_id, batch)
            txn = sql_runs.commit(self._q, run_id, batch, returning=self.commit_returning)
            await self._write(txn, lambda _: wakes)

    async def get_run(self, run_id: str) -> StoredRun | None:
        return await self._run(sql_runs.get_run(self._q, run_id), write=False)

    async def get_run_grouped(self, run_id: str) -> tuple[StoredRun, list[NodeGroup]] | None:
        return await self._run(sql_runs.get_run_grouped(self._q, run_id), write=False)

    async def node_records(
        self, run_id: str, node: str, offset: int = 0, limit: int = 50
    ) -> tuple[int, list[NodeRecord]]:
        txn = sql_runs.node_records(self._q, run_id, node, offset, limit)
        return await self._run(txn, write=False)

    async def list_runs(self, flt: RunFilter) -> list[RunSummary]:
        return await self._run(sql_runs.list_runs(self._q, flt), write=False)

    async def run_summary(self, run_id: str) -> RunSummary | None:
        return await self._run(sql_runs.run_summary(self._q, run_id), write=False)

    async def unfinished_runs(self) -> list[RunSummary]:
        return await self._run(sql_runs.unfinished_runs(self._q), write=False)

    async def claim_run(self, run_id: str, owner: str, lease_until: float, now: float) -> bool:
        txn = sql_runs.claim_run(self._q, run_id, owner, lease_until, now, owners.owner_alive)
        return await self._run(txn, write=True)

    async def renew_leases(
        self, owner: str, held: Mapping[str, int], lease_until: float
    ) -> set[str]:
        txn = sql_runs.renew_leases(
            self._q, owner, held, lease_until, returning=self.commit_returning
        )
        return await self._run(txn, write=True, alone=self.returning)  # one statement

    async def read_logs(
        self,
        run_id: str,
        *,
        node: str | None = None,
        step: str | None = None,
        after: int = 0,
        limit: int = 1000,
    ) -> list[LogChunk]:
        txn = sql_runs.read_logs(self._q, run_id, node, step, after, limit)
        return await self._run(txn, write=False)

    async def delete_runs(self, ended_before: float) -> int:
        return await self._run(sql_runs.delete_runs(self._q, ended_before), write=True)

    async def find_ids(self, kind: IdKind, prefix: str, limit: int = 3) -> list[str]:
        return await self._run(sql_runs.find_ids(self._q, kind, prefix, limit), write=False)

    # -- approvals ----------------------------------------------------------------------
    async def list_approvals(self, *, pending: bool = True) -> list[ApprovalRecord]:
        return await self._run(sql_approvals.list_approvals(self._q, pending), write=False)

    async def get_approval(self, hook_id: str) -> ApprovalRecord | None:
        return await self._run(sql_approvals.get_approval(self._q, hook_id), write=False)

    async def decide(
        self, hook_id: str, decision: Decision, data: Any, reason: str, at: float
    ) -> ApprovalRecord | None:
        txn = sql_approvals.decide(self._q, hook_id, decision, data, reason, at)
        return await self._run(txn, write=True)

    # -- triggers -----------------------------------------------------------------------
    async def record_fire(self, trigger_id: str, fire_key: str, at: float) -> bool:
        txn = sql_runs.record_fire(self._q, trigger_id, fire_key, at)
        return await self._run(txn, write=True)

    async def last_fire(self, trigger_id: str) -> float | None:
        return await self._run(sql_runs.last_fire(self._q, trigger_id), write=False)

    # -- state machines -----------------------------------------------------------------
    async def define_machine(self, name: str, definition: dict[str, Any], at: float) -> bool:
        txn = sql_machines.define_machine(self._q, name, definition, at)
        return await self._run(txn, write=True)

    async def get_machine(self, name: str) -> dict[str, Any] | None:
        return await self._run(sql_machines.get_machine(self._q, name), write=False)

    async def list_machines(self) -> list[str]:
        return await self._run(sql_machines.list_machines(self._q), write=False)

    async def create_instance(self, instance: MachineInstance) -> None:
        await self._run(sql_machines.create_instance(self._q, instance), write=True)

    async def move_instance(
        self, instance_id: str, event: str, from_state: str, to_state: str, at: float
    ) -> bool:
        txn = sql_machines.move_instance(self._q, instance_id, event, from_state, to_state, at)
        return await self._run(txn, write=True)

    async def get_instance(self, instance_id: str) -> MachineInstance | None:
        return await self._run(sql_machines.get_instance(self._q, instance_id), write=False)

    async def list_instances(self, machine: str) -> list[MachineInstance]:
        return await self._run(sql_machines.list_instances(self._q, machine), write=False)

    # -- server (ServerStore) -----------------------------------------------------------
    async def apply_workflow(
        self, name: str, text: str, format: str, filename: str, at: float
    ) -> tuple[AppliedWorkflow, bool]:
        txn = sql_server.apply_workflow(self._q, name, text, format, filename, at)
        return await self._run(txn, write=True)

    async def get_workflow(self, name: str) -> AppliedWorkflow | None:
        return await self._read_small(lambda: sql_server.get_workflow(self._q, name))

    async def workflow_and_modes(
        self, name: str
    ) -> tuple[AppliedWorkflow, dict[str, PipelineMode]] | None:
        return await self._read_small(lambda: sql_server.workflow_and_modes(self._q, name))

    async def list_workflows(self) -> list[AppliedWorkflow]:
        return await self._run(sql_server.list_workflows(self._q), write=False)

    async def delete_workflow(self, name: str) -> bool:
        return await self._run(sql_server.delete_workflow(self._q, name), write=True)

    async def set_pipeline_mode(self, workflow: str, pipeline: str, mode: PipelineMode) -> None:
        txn = sql_server.set_pipeline_mode(self._q, workflow, pipeline, mode)
        await self._run(txn, write=True)

    async def pipeline_modes(self, workflow: str) -> dict[str, PipelineMode]:
        return await self._read_small(lambda: sql_server.pipeline_modes(self._q, workflow))

    async def claim_runs(
        self, owner: str, limit: int, lease_until: float, now: float, labels: Labels = ()
    ) -> list[str]:
        returning = self.returning
        claim = sql_server.Claim(owner, limit, lease_until, now, labels)
        txn = sql_server.claim_runs(self._q, claim, returning=returning)
        return await self._run(txn, write=True, alone=returning)  # one UPDATE ... RETURNING

    async def claim_stored_runs(
        self, owner: str, limit: int, lease_until: float, now: float, labels: Labels = ()
    ) -> list[StoredRun]:
        # A write: on SQLite the claim and its reads are made on the loop's thread when
        # the lock is free (a queued run is a few rows); on PostgreSQL the claim commits
        # alone, as above, and the reads follow in the same hop.
        returning = self.returning
        claim = sql_server.Claim(owner, limit, lease_until, now, labels)
        txn = sql_server.claim_stored_runs(self._q, claim, returning=returning)
        return await self._run(txn, write=True, alone=returning)

    async def retry_run(self, run_id: str, request: RetryRequest) -> RunRetry | None:
        wakes = wakeups.queued(run_id)
        txn = sql_retries.retry_run(self._q, run_id, request)
        return await self._write(txn, lambda done: wakes if done is not None else ())

    async def requeue_run(self, run_id: str) -> bool:
        wakes = wakeups.queued(run_id)
        txn = sql_server.requeue_run(self._q, run_id)
        return await self._write(txn, lambda done: wakes if done else ())

    async def request_cancel(self, run_id: str) -> bool:
        wakes = wakeups.cancel_requested(run_id)
        txn = sql_server.request_cancel(self._q, run_id, time.time())
        return await self._write(txn, lambda done: wakes if done else ())

    async def cancel_requested(self, run_id: str) -> bool:
        return await self._run(sql_server.cancel_requested(self._q, run_id), write=False)

    async def cancels_requested(self, run_ids: Collection[str]) -> set[str]:
        if not run_ids:
            return set()
        return await self._run(sql_server.cancels_requested(self._q, run_ids), write=False)

    async def count_runs(self) -> dict[State, int]:
        return await self._run(sql_server.count_runs(self._q), write=False)
