"""The store's roles: each a small protocol of the operations one kind of user needs.

A front-end asks for the role it needs in its types (`xene runs` a `RunReader`, an
execution an `ExecutionStore`, the engine's start and resume a `Store`, `xene serve` a
`ServerStore`); a backend declares the roles it has by
naming them as its bases, so mypy holds it to each and `isinstance` answers at run time
(the protocols are `runtime_checkable`). Every local backend (memory, SQLite,
PostgreSQL) has them all; a server's `RemoteStore` has the readers and `ApprovalStore`.

`Store` and `ServerStore`, the unions of these roles, are in base.py beside the records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Mapping

    from xene.core.records import NodeRecord
    from xene.core.states import Decision
    from xene.store.base import (
        ApprovalRecord,
        Batch,
        IdKind,
        LogChunk,
        MachineInstance,
        NewRun,
        RunFilter,
        RunSummary,
        StoredRun,
    )
    from xene.store.groups import NodeGroup


@runtime_checkable
class RunReader(Protocol):
    """Runs and their logs, read: what the history commands need."""

    async def get_run(self, run_id: str) -> StoredRun | None: ...

    async def get_run_grouped(self, run_id: str) -> tuple[StoredRun, list[NodeGroup]] | None:
        """The run with only the records of nodes outside splits and loops, and those
        inside summarised: a `NodeGroup` per node, in the order they began."""

    async def node_records(
        self, run_id: str, node: str, offset: int = 0, limit: int = 50
    ) -> tuple[int, list[NodeRecord]]:
        """How many records pipeline node `node` has in the run, and `limit` of them
        from `offset`, in the order they began (with their steps)."""

    async def list_runs(self, flt: RunFilter) -> list[RunSummary]:
        """Newest first."""

    async def read_logs(
        self,
        run_id: str,
        *,
        node: str | None = None,
        step: str | None = None,
        after: int = 0,
        limit: int = 1000,
    ) -> list[LogChunk]:
        """Chunks with `seq > after`, in order."""

    async def find_ids(self, kind: IdKind, prefix: str, limit: int = 3) -> list[str]:
        """Ids of runs, hooks or state-machine instances that start with `prefix`,
        ignoring case (an id copied from a log or a chat may have changed case); at most
        `limit`, in id order."""


@runtime_checkable
class RunStore(RunReader, Protocol):
    """Runs created, committed, taken over and deleted: what executing them needs."""

    async def create_run(self, run: NewRun) -> tuple[str, bool]:
        """Insert a run; with an idempotency key already used by a run of the same
        workflow and pipeline, return that run's id and False instead."""

    async def commit(self, run_id: str, batch: Batch) -> None:
        """Apply one batch of changes of a run atomically. A batch whose `epoch` is not
        the run's raises `Fenced` and writes nothing; one whose `seq` the run has applied
        already (in this epoch) writes nothing. KeyError: no such run."""

    async def unfinished_runs(self) -> list[RunSummary]:
        """Runs not in a final state (running, waiting, suspended), oldest first."""

    async def run_summary(self, run_id: str) -> RunSummary | None:
        """The run's state, owner and lease, without reading its nodes (a remote agent's
        every commit is checked against its owner)."""

    async def claim_run(self, run_id: str, owner: str, lease_until: float, now: float) -> bool:
        """Take over executing an unfinished run whose lease has expired (or is ours, or
        whose owner on this host has died); a new epoch (`StoredRun.epoch`, read it with
        `get_run`): the previous owner's commits are refused."""

    async def renew_leases(
        self, owner: str, held: Mapping[str, int], lease_until: float
    ) -> set[str]:
        """Extend to `lease_until` the lease of each run of `held` (run id -> epoch) that
        `owner` holds at that epoch and that has not finished; the ids renewed (the
        others are lost to `owner`: claimed again, ended or gone)."""

    async def delete_runs(self, ended_before: float) -> int:
        """Delete finished runs that ended before the time, with everything they hold."""


@runtime_checkable
class ExecutionStore(Protocol):
    """What executing a run needs (`Engine.recover`, the journal, wait nodes): commit its
    changes, and read and make the decisions of its wait nodes. A remote agent's store,
    which reaches a server, has only these; every `Store` has them too."""

    async def commit(self, run_id: str, batch: Batch) -> None:
        """As `RunStore.commit`: `Fenced` for a batch of an epoch not the run's."""

    async def get_approval(self, hook_id: str) -> ApprovalRecord | None: ...

    async def decide(
        self, hook_id: str, decision: Decision, data: Any, reason: str, at: float
    ) -> ApprovalRecord | None:
        """As `ApprovalStore.decide`."""


@runtime_checkable
class ApprovalStore(Protocol):
    """The `std::wait` nodes waiting for a person, and their decisions."""

    async def list_approvals(self, *, pending: bool = True) -> list[ApprovalRecord]: ...

    async def get_approval(self, hook_id: str) -> ApprovalRecord | None: ...

    async def decide(
        self, hook_id: str, decision: Decision, data: Any, reason: str, at: float
    ) -> ApprovalRecord | None:
        """Record a decision once (compare-and-set); None if unknown or decided already."""


@runtime_checkable
class FireStore(Protocol):
    """Trigger fires, deduplicated across machines."""

    async def record_fire(self, trigger_id: str, fire_key: str, at: float) -> bool:
        """True the first time `(trigger_id, fire_key)` is recorded; False for a duplicate."""

    async def last_fire(self, trigger_id: str) -> float | None:
        """When the trigger last fired (its latest recorded fire), if ever."""


@runtime_checkable
class MachineReader(Protocol):
    """State machines and their instances, read."""

    async def get_machine(self, name: str) -> dict[str, Any] | None: ...

    async def list_machines(self) -> list[str]: ...

    async def get_instance(self, instance_id: str) -> MachineInstance | None: ...

    async def list_instances(self, machine: str) -> list[MachineInstance]: ...


@runtime_checkable
class MachineStore(MachineReader, Protocol):
    """State machines defined, and their instances created and moved by compare-and-set."""

    async def define_machine(self, name: str, definition: dict[str, Any], at: float) -> bool:
        """False if a machine of that name exists already."""

    async def create_instance(self, instance: MachineInstance) -> None: ...

    async def move_instance(
        self, instance_id: str, event: str, from_state: str, to_state: str, at: float
    ) -> bool:
        """Compare-and-set `from_state -> to_state`, with a history row; False if the
        instance is no longer in `from_state`."""
