"""The Store: where every durable fact lives. Domain operations, not SQL, in roles.

Implementations: `MemoryStore` (tests, `--store memory://`), `SqliteStore` (the default,
`$XENE_HOME/xene.db`) and `PostgresStore` (many machines). The SQL ones share their
queries; one contract suite (tests/store) runs against all of them. Here: the records
that cross the store, and `Store` and `ServerStore`, the unions of the roles (roles.py,
server_roles.py) a local backend has.

States, pipeline modes and decisions cross as the enums of `xene.core.states` (str
enums: each is its word, so drivers and JSON take them as they are); each backend turns
the words it reads back into them in one place (rows.py for SQL, client/records.py for
a server's answers).

The engine writes through `commit(Batch)`: every run, node and step change of one
scheduling step, and the log chunks that arrived meanwhile, in one transaction.
"""

from __future__ import annotations

from dataclasses import field, replace
from typing import Any, Literal, Protocol, runtime_checkable

from xene.core.records import RunRecord
from xene.core.states import Decision, State
from xene.errors import XeneError
from xene.frozen import frozen, slotted
from xene.store.agents import AgentStore
from xene.store.pressure import PressureStore
from xene.store.roles import ApprovalStore, FireStore, MachineStore, RunStore
from xene.store.secrets import SecretStore
from xene.store.server_roles import QueueStore, WorkflowStore
from xene.store.tokens import TokenStore


@frozen
class RunSource:
    """What a run was started from, so that it can be resumed by another process."""

    path: str
    """The definition file (absolute), or "" for a pipeline built in process."""
    text: str
    """The file's text when the run started: resuming does not depend on later edits."""
    format: str
    workflow: str
    pipeline: str


@frozen
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
    state: State = State.NOT_EXECUTED
    """The state it is stored in: `NotExecuted` for a run its creator executes at once,
    `WaitingForExecutor` for a run queued for `ServerStore.claim_runs`."""
    labels: tuple[str, ...] = ()
    """What the agent that executes it must have (its pipeline's `agent_labels`)."""
    trigger: str | None = None
    """The name of the workflow trigger whose fire queued it; None: started by hand."""

    @classmethod
    def of(
        cls,
        run_id: str,
        source: RunSource,
        input: Any,
        now: float,
        key: str | None = None,
        labels: tuple[str, ...] = (),
    ) -> NewRun:
        """A run of `source`'s pipeline, queued for an executor to claim (`executed_by`:
        executed at once instead), with its idempotency key. The one place a new run is
        assembled."""
        return cls(
            run_id, source.workflow, source.pipeline, input, source, now,
            owner="", lease_until=0.0, idempotency_key=key, state=State.WAITING,
            labels=labels,
        )  # fmt: skip

    def executed_by(self, owner: str, lease_until: float) -> NewRun:
        """The run executed at once by `owner` (`host:pid`), whose lease runs until then."""
        state = State.NOT_EXECUTED
        return replace(self, owner=owner, lease_until=lease_until, state=state)


class Fenced(XeneError):
    """A commit of a run whose lease has moved on (a later claim): nothing was written,
    and nothing more of the run is the writer's to write; it must stop the run's steps."""


@frozen
class LogChunk:
    """Consecutive output lines of one step (or a node's own messages: `step` None)."""

    run_id: str
    node: str
    step: str | None
    at: float
    lines: tuple[str, ...]
    seq: int = 0
    """Assigned by the store: increasing within a run, in commit order."""


@frozen
class ApprovalRecord:
    """An approval: a `std::wait` node's request for a person's decision (its run is
    Suspended until then), and the decision once made. Kept in the `suspensions` table."""

    hook_id: str
    run_id: str
    node: str
    metadata: dict[str, Any]
    created_at: float
    timeout_at: float | None
    timeout_action: Decision
    decision: Decision | None = None
    data: Any = None
    reason: str = ""
    decided_at: float | None = None


@frozen
class RunRow:
    """A run's changing fields, as committed."""

    id: str
    state: State
    error: str | None
    started_at: float | None
    ended_at: float | None


@frozen
class NodeRow:
    """A node record as committed; JSON fields are encoded text (snapshotted in the
    engine's thread, so a later change cannot tear them)."""

    key: str
    node_id: str
    type: str
    scope_json: str
    state: State
    attempt: int
    input_json: str
    output_json: str
    ports_json: str
    error: str | None
    started_at: float | None
    ended_at: float | None
    progress_json: str
    note: str | None = None
    """(Last, with a default: an agent of an earlier version sends no note.)"""


@frozen
class NodeProgress:
    """A split's or loop's progress alone, for a node already committed: one small
    update per item ended, where the whole row would carry the split's every item."""

    key: str
    progress_json: str


@frozen
class StepRow:
    node_key: str
    index: int
    name: str
    state: State
    exit_code: int | None
    error: str | None
    started_at: float | None
    ended_at: float | None
    process: str | None = None


@slotted
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
    epoch: int | None = None
    """The lease's epoch the writer holds (`StoredRun.epoch`): a batch whose epoch is no
    longer the run's is refused (`Fenced`) and writes nothing. None: not fenced (a run
    ended from outside its execution, as `give_up` does)."""
    seq: int | None = None
    """An agent's number for this commit within its epoch, counted from 1: a batch whose
    number the run has applied already is skipped, so sending one twice is harmless."""

    def __bool__(self) -> bool:
        changes = (
            self.run or self.nodes or self.progress or self.steps or self.logs or self.approvals
        )
        return bool(changes) or self.lease_until is not None


@frozen
class RunFilter:
    workflow: str | None = None
    pipeline: str | None = None
    state: State | None = None
    limit: int = 50
    before: str | None = None
    """Only runs with an id (time-sortable) below this one: the next page."""
    trigger: str | None = None
    """Only runs a fire of this trigger (by name) queued; `BY_HAND`: those none did."""
    created_after: float | None = None
    """Only runs created at or after this time."""
    created_before: float | None = None
    """Only runs created before this time."""
    id_prefix: str | None = None
    """Only runs whose id starts with this (ids are lower case)."""


BY_HAND = ""
"""`RunFilter.trigger` for the runs no trigger started (the API's run, `xene run`, a
state machine's)."""
BY_HAND_PARAM = "-"
"""`BY_HAND` in a query string (`GET /api/v1/runs?trigger=-`, the UI's `/runs`): no
trigger's name is `-`, and an empty value is a form's "any"."""


@frozen
class RunSummary:
    id: str
    workflow: str
    pipeline: str
    state: State
    created_at: float
    started_at: float | None
    ended_at: float | None
    error: str | None
    owner: str
    lease_until: float
    trigger: str | None = None
    """The trigger whose fire queued it (`NewRun.trigger`)."""


@frozen
class RetriedNode:
    """A node as it was when a retry set it to run again."""

    key: str
    state: State
    attempt: int
    error: str | None
    started_at: float | None
    ended_at: float | None


@frozen
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


@frozen
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


@frozen
class StoredRun:
    """A run as the store has it: the record tree, where it came from, who runs it."""

    record: RunRecord
    source: RunSource
    owner: str
    lease_until: float
    idempotency_key: str | None
    retries: tuple[RunRetry, ...] = ()
    """Oldest first."""
    epoch: int = 0
    """How many times the run has been claimed (created executed counts as one): the
    owner's commits carry it, and a later claim makes them fail (`Fenced`)."""


@frozen
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


@frozen
class BreakerState:
    """A pipeline's circuit breaker, as the store keeps it beside the pipeline's mode."""

    reason: str = ""
    """Why the breaker paused the pipeline; "" while it has not tripped since it was armed."""
    tripped_at: float | None = None
    armed_at: float = 0.0
    """The breaker counts only runs created at or after this (0: every run)."""


@frozen
class MachineInstance:
    id: str
    machine: str
    state: str
    created_at: float
    updated_at: float
    history: tuple[tuple[str, str, str, float], ...] = ()
    """(event, from state, to state, at), oldest first."""


@runtime_checkable
class Store(RunStore, ApprovalStore, FireStore, MachineStore, Protocol):
    """Every role of a local store (roles.py); async, safe to share in one process."""

    async def migrate(self) -> None:
        """Create or upgrade the schema (numbered migrations; idempotent)."""

    async def close(self) -> None: ...


@runtime_checkable
class ServerStore(
    Store, WorkflowStore, QueueStore, PressureStore, SecretStore, TokenStore, AgentStore, Protocol
):
    """What `xene serve` needs beyond `Store`: applied workflows and the queue of runs
    (server_roles.py), secrets (secrets.py), API tokens (tokens.py) and the queue's length
    with the fires skipped for it (pressure.py), and the agents it knows (agents.py).
    Every local backend is one."""
