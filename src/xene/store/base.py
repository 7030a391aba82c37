"""The Store: where every durable fact lives. One protocol of domain operations, not SQL.

Implementations: `MemoryStore` (tests, `--store memory://`), `SqliteStore` (the default,
`$XENE_HOME/xene.db`) and `PostgresStore` (many machines). The SQL ones share their
queries; one contract suite (tests/store) runs against all of them.

The engine writes through `commit(Batch)`: every run, node and step change of one
scheduling step, and the log chunks that arrived meanwhile, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from xene.core.records import RunRecord
from xene.core.states import State
from xene.store.pressure import PressureStore
from xene.store.secrets import SecretStore
from xene.store.tokens import TokenStore


@dataclass(frozen=True, slots=True)
class RunSource:
    """What a run was started from, so that it can be resumed by another process."""

    path: str
    """The definition file (absolute), or "" for a pipeline built in process."""
    text: str
    """The file's text when the run started: resuming does not depend on later edits."""
    format: str
    workflow: str
    pipeline: str


@dataclass(frozen=True, slots=True)
class NewRun:
    id: str
    workflow: str
    pipeline: str
    input: Any
    source: RunSource
    created_at: float
    owner: str
    """`host:pid` of the process executing it."""
    lease_until: float
    idempotency_key: str | None = None
    state: str = State.NOT_EXECUTED.value
    """The state it is stored in: `NotExecuted` for a run its creator executes at once,
    `WaitingForExecutor` for a run queued for `ServerStore.claim_runs`."""

    @classmethod
    def of(
        cls, run_id: str, source: RunSource, input: Any, now: float, key: str | None = None
    ) -> NewRun:
        """A run of `source`'s pipeline, queued for an executor to claim (`executed_by`:
        executed at once instead), with its idempotency key. The one place a new run is
        assembled."""
        return cls(
            run_id, source.workflow, source.pipeline, input, source, now,
            owner="", lease_until=0.0, idempotency_key=key, state=State.WAITING.value,
        )  # fmt: skip

    def executed_by(self, owner: str, lease_until: float) -> NewRun:
        """The run executed at once by `owner` (`host:pid`), whose lease runs until then."""
        state = State.NOT_EXECUTED.value
        return replace(self, owner=owner, lease_until=lease_until, state=state)


@dataclass(frozen=True, slots=True)
class LogChunk:
    """Consecutive output lines of one step (or a node's own messages: `step` None)."""

    run_id: str
    node: str
    step: str | None
    at: float
    lines: tuple[str, ...]
    seq: int = 0
    """Assigned by the store: increasing within a run, in commit order."""


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """An approval: a `std::wait` node's request for a person's decision (its run is
    Suspended until then), and the decision once made. Kept in the `suspensions` table."""

    hook_id: str
    run_id: str
    node: str
    metadata: dict[str, Any]
    created_at: float
    timeout_at: float | None
    timeout_action: str
    decision: str | None = None
    data: Any = None
    reason: str = ""
    decided_at: float | None = None


@dataclass(frozen=True, slots=True)
class RunRow:
    """A run's changing fields, as committed."""

    id: str
    state: str
    error: str | None
    started_at: float | None
    ended_at: float | None


@dataclass(frozen=True, slots=True)
class NodeRow:
    """A node record as committed; JSON fields are encoded text (snapshotted in the
    engine's thread, so a later change cannot tear them)."""

    key: str
    node_id: str
    type: str
    scope_json: str
    state: str
    attempt: int
    input_json: str
    output_json: str
    ports_json: str
    error: str | None
    started_at: float | None
    ended_at: float | None
    progress_json: str


@dataclass(frozen=True, slots=True)
class NodeProgress:
    """A split's or loop's progress alone, for a node already committed: one small
    update per item ended, where the whole row would carry the split's every item."""

    key: str
    progress_json: str


@dataclass(frozen=True, slots=True)
class StepRow:
    node_key: str
    index: int
    name: str
    state: str
    exit_code: int | None
    error: str | None
    started_at: float | None
    ended_at: float | None
    process: str | None = None


@dataclass(slots=True)
class Batch:
    """Changes of one scheduling step of one run, committed in one transaction."""

    run: RunRow | None = None
    nodes: list[NodeRow] = field(default_factory=list)
    progress: list[NodeProgress] = field(default_factory=list)
    """Applied after `nodes`; a key with no committed row changes nothing."""
    steps: list[StepRow] = field(default_factory=list)
    logs: list[LogChunk] = field(default_factory=list)
    approvals: list[ApprovalRecord] = field(default_factory=list)
    lease_until: float | None = None

    def __bool__(self) -> bool:
        changes = (
            self.run or self.nodes or self.progress or self.steps or self.logs or self.approvals
        )
        return bool(changes) or self.lease_until is not None


@dataclass(frozen=True, slots=True)
class RunFilter:
    workflow: str | None = None
    pipeline: str | None = None
    state: str | None = None
    limit: int = 50
    before: str | None = None
    """Only runs with an id (time-sortable) below this one: the next page."""


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: str
    workflow: str
    pipeline: str
    state: str
    created_at: float
    started_at: float | None
    ended_at: float | None
    error: str | None
    owner: str
    lease_until: float


@dataclass(frozen=True, slots=True)
class RetriedNode:
    """A node as it was when a retry set it to run again."""

    key: str
    state: str
    attempt: int
    error: str | None
    started_at: float | None
    ended_at: float | None


@dataclass(frozen=True, slots=True)
class RunRetry:
    """One retry of a run: who asked for it and when, and the nodes it ran again."""

    number: int
    """1 for the run's first retry."""
    by: str
    """The OS user (`xene retry` on a store), or the token's name (through a server)."""
    at: float
    from_node: str | None
    """`--from NODE`; None: the nodes that had not succeeded."""
    log_seq: int
    """The run's last log chunk when it was retried: later chunks are of the retry."""
    nodes: tuple[RetriedNode, ...]


@dataclass(frozen=True, slots=True)
class RetryRequest:
    """What `ServerStore.retry_run` is asked to do."""

    by: str
    at: float
    nodes: tuple[str, ...]
    """Keys of the nodes to run again: they go back to `NotExecuted`, their attempt kept
    (so attempt numbers go on counting); every other node is replayed."""
    from_node: str | None = None
    owner: str = ""
    """Who executes the retried run: "" (queued for an agent), or the retrying process."""
    lease_until: float = 0.0


@dataclass(frozen=True, slots=True)
class StoredRun:
    """A run as the store has it: the record tree, where it came from, who runs it."""

    record: RunRecord
    source: RunSource
    owner: str
    lease_until: float
    idempotency_key: str | None
    retries: tuple[RunRetry, ...] = ()
    """Oldest first."""


@dataclass(frozen=True, slots=True)
class AppliedWorkflow:
    """A workflow applied to a server: its definition text, as applied, and its version."""

    name: str
    text: str
    format: str
    """`manifest`, `flow` or `fsm` (the loader's word for it)."""
    filename: str
    """The name errors are reported under (`ci.yaml`); it decides JSON or YAML parsing."""
    version: int
    """1 when first applied, one more each time a different text is applied."""
    applied_at: float


IdKind = Literal["run", "hook", "instance"]

PipelineMode = str
"""`active` (triggers fire), `paused` (triggers do not fire; manual runs are refused),
`draining` (no new runs; running ones finish), `stopped` (no new runs; running ones are
cancelled)."""


@dataclass(frozen=True, slots=True)
class BreakerState:
    """A pipeline's circuit breaker, as the store keeps it beside the pipeline's mode."""

    reason: str = ""
    """Why the breaker paused the pipeline; "" while it has not tripped since it was armed."""
    tripped_at: float | None = None
    armed_at: float = 0.0
    """The breaker counts only runs created at or after this (0: every run)."""


@dataclass(frozen=True, slots=True)
class MachineInstance:
    id: str
    machine: str
    state: str
    created_at: float
    updated_at: float
    history: tuple[tuple[str, str, str, float], ...] = ()
    """(event, from state, to state, at), oldest first."""


class Store(Protocol):
    """Domain operations every backend implements; async, safe to share in one process."""

    async def migrate(self) -> None:
        """Create or upgrade the schema (numbered migrations; idempotent)."""

    async def close(self) -> None: ...

    # -- runs ---------------------------------------------------------------------------
    async def create_run(self, run: NewRun) -> tuple[str, bool]:
        """Insert a run; with an idempotency key already used by a run of the same
        workflow and pipeline, return that run's id and False instead."""

    async def commit(self, run_id: str, batch: Batch) -> None:
        """Apply one batch of changes of a run atomically."""

    async def get_run(self, run_id: str) -> StoredRun | None: ...

    async def list_runs(self, flt: RunFilter) -> list[RunSummary]:
        """Newest first."""

    async def unfinished_runs(self) -> list[RunSummary]:
        """Runs not in a final state (running, waiting, suspended), oldest first."""

    async def claim_run(self, run_id: str, owner: str, lease_until: float, now: float) -> bool:
        """Take over executing an unfinished run whose lease has expired (or is ours)."""

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

    async def delete_runs(self, ended_before: float) -> int:
        """Delete finished runs that ended before the time, with everything they hold."""

    async def find_ids(self, kind: IdKind, prefix: str, limit: int = 3) -> list[str]:
        """Ids of runs, hooks or state-machine instances that start with `prefix`,
        ignoring case (an id copied from a log or a chat may have changed case); at most
        `limit`, in id order."""

    # -- approvals ----------------------------------------------------------------------
    async def list_approvals(self, *, pending: bool = True) -> list[ApprovalRecord]: ...

    async def get_approval(self, hook_id: str) -> ApprovalRecord | None: ...

    async def decide(
        self, hook_id: str, decision: str, data: Any, reason: str, at: float
    ) -> ApprovalRecord | None:
        """Record a decision once (compare-and-set); None if unknown or decided already."""

    # -- triggers -----------------------------------------------------------------------
    async def record_fire(self, trigger_id: str, fire_key: str, at: float) -> bool:
        """True the first time `(trigger_id, fire_key)` is recorded; False for a duplicate."""

    async def last_fire(self, trigger_id: str) -> float | None:
        """When the trigger last fired (its latest recorded fire), if ever."""

    # -- state machines -----------------------------------------------------------------
    async def define_machine(self, name: str, definition: dict[str, Any], at: float) -> bool:
        """False if a machine of that name exists already."""

    async def get_machine(self, name: str) -> dict[str, Any] | None: ...

    async def list_machines(self) -> list[str]: ...

    async def create_instance(self, instance: MachineInstance) -> None: ...

    async def move_instance(
        self, instance_id: str, event: str, from_state: str, to_state: str, at: float
    ) -> bool:
        """Compare-and-set `from_state -> to_state`, with a history row; False if the
        instance is no longer in `from_state`."""

    async def get_instance(self, instance_id: str) -> MachineInstance | None: ...

    async def list_instances(self, machine: str) -> list[MachineInstance]: ...


class ServerStore(Store, PressureStore, SecretStore, TokenStore, Protocol):
    """What `xene serve` needs beyond `Store`: applied workflows, queued runs, claiming,
    secrets (`SecretStore`, in secrets.py), API tokens (store/tokens.py) and the queue's
    length with the fires skipped for it (`PressureStore`, in pressure.py).

    A run queued by a trigger is created with `owner=""` and `lease_until=0` and state
    `WaitingForExecutor`; agents take runs with `claim_runs`. A run whose lease expired
    (its agent or server died) is claimable again, which is how nothing is lost.
    """

    async def apply_workflow(
        self, name: str, text: str, format: str, filename: str, at: float
    ) -> tuple[AppliedWorkflow, bool]:
        """Create or update; `False` when the text equals the applied one (no new version)."""

    async def get_workflow(self, name: str) -> AppliedWorkflow | None: ...

    async def list_workflows(self) -> list[AppliedWorkflow]: ...

    async def delete_workflow(self, name: str) -> bool:
        """Forget the workflow and its pipeline modes (its runs stay)."""

    async def set_pipeline_mode(self, workflow: str, pipeline: str, mode: PipelineMode) -> None: ...

    async def pipeline_modes(self, workflow: str) -> dict[str, PipelineMode]:
        """Modes set explicitly; a pipeline not listed is `active`."""

    async def breaker_states(self, workflow: str) -> dict[str, BreakerState]:
        """The breakers of the workflow's pipelines that have a mode set (others: default)."""

    async def trip_breaker(self, workflow: str, pipeline: str, reason: str, at: float) -> bool:
        """Pause an `active` pipeline, saying why; False (nothing changed) if it was not."""

    async def resume_pipeline(self, workflow: str, pipeline: str, at: float) -> None:
        """Mode `active`, and the breaker re-armed: its reason cleared, counting from `at`."""

    async def recent_outcomes(
        self, workflow: str, pipeline: str, since: float, limit: int
    ) -> list[str]:
        """Final states of the pipeline's runs created at or after `since` that ended
        other than `Cancelled`, newest first, at most `limit`."""

    async def claim_runs(self, owner: str, limit: int, lease_until: float, now: float) -> list[str]:
        """Take up to `limit` runs that wait for an executor, or whose lease expired,
        oldest first; never a Suspended or finished run. Safe under concurrency
        (FOR UPDATE SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""

    async def retry_run(self, run_id: str, request: RetryRequest) -> RunRetry | None:
        """A run that ended Error or Cancelled (compare-and-set): the nodes named go back
        to `NotExecuted` with their steps (attempts kept), the retry is recorded, and the
        run goes back to `WaitingForExecutor`, owned as asked, its error and cancel
        request cleared. None if the run is unknown or did not end that way."""

    async def requeue_run(self, run_id: str) -> bool:
        """A Suspended run whose decision came: back to `WaitingForExecutor`, unowned."""

    async def request_cancel(self, run_id: str) -> bool:
        """Ask whoever executes the run to cancel it; False if unknown or finished.
        A queued run nobody executes yet is cancelled at once."""

    async def cancel_requested(self, run_id: str) -> bool: ...

    async def count_runs(self) -> dict[str, int]:
        """Runs by state, for metrics and `/ready`."""


FINAL_STATES: Sequence[str] = ("Success", "Error", "Cancelled", "ErrorConfiguring")
