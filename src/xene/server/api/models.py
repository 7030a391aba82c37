"""What the API answers, as pydantic models: they are the OpenAPI document's schemas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


# -- errors ---------------------------------------------------------------------------
class ErrorOut(Model):
    error: str


class QueueFullOut(Model):
    error: str = Field(description="why, and how to raise the bound")
    queued: int = Field(description="runs waiting for an executor at the last count")
    max_queued: int = Field(description="the server's bound (`xene serve --max-queued`)")


class ProblemsOut(Model):
    error: str
    problems: list[str] = Field(
        default_factory=list,
        description="each `file:line: path: message` or `where: message`",
    )


class RefusedOut(Model):
    error: str
    available: list[str] = Field(description="the events the instance accepts now")


# -- workflows --------------------------------------------------------------------------
class AppliedOut(Model):
    name: str
    version: int
    changed: bool


class SkippedOut(Model):
    at: float = Field(description="when the trigger last fired and started nothing")
    reason: str = Field(description="why (the server's queue was full)")
    count: int = Field(description="fires of this trigger skipped so far")


class TriggerOut(Model):
    name: str
    type: str
    enabled: bool
    params: dict[str, Any] = Field(description="secrets and tokens are masked")
    skipped: SkippedOut | None = Field(
        default=None, description="its last skipped fire (cron, filesystem); null if none"
    )


class BreakerOut(Model):
    threshold: float | None = Field(description="circuit_breaker_threshold; null if removed")
    window: int | None = Field(description="how many recent runs it counts")
    tripped: bool = Field(description="it paused the pipeline (until `resume`)")
    reason: str = Field(description="why it paused the pipeline; empty while it has not")
    tripped_at: float | None = None


class PipelineOut(Model):
    name: str
    description: str
    mode: str = Field(description="active, paused, draining or stopped")
    triggers: list[TriggerOut]
    breaker: BreakerOut | None = Field(
        default=None, description="its circuit breaker; null when it has none (and never tripped)"
    )


class WorkflowSummaryOut(Model):
    name: str
    version: int
    applied_at: float
    format: str
    pipelines: list[str]


class WorkflowListOut(Model):
    workflows: list[WorkflowSummaryOut]


class WorkflowOut(Model):
    name: str
    version: int
    applied_at: float
    format: str
    filename: str
    description: str
    text: str
    pipelines: list[PipelineOut]


class DeletedOut(Model):
    name: str
    deleted: bool = True


class ModeOut(Model):
    workflow: str
    pipeline: str
    mode: str


class TriggeredOut(Model):
    run_id: str
    created: bool = Field(description="false: the Idempotency-Key named an existing run")


# -- runs -----------------------------------------------------------------------------
class RunSummaryOut(Model):
    id: str
    workflow: str
    pipeline: str
    state: str
    created_at: float
    started_at: float | None
    ended_at: float | None
    error: str | None
    owner: str
    trigger: str | None = Field(
        default=None, description="the trigger whose fire queued it; null: started by hand"
    )
    owner_gone: str | None = Field(
        default=None,
        description="unfinished and nobody executes it: why (resume it with `xene resume`)",
    )
    waiting_for: str | None = Field(
        default=None,
        description="queued and not taken: why (no online agent has a label it needs, "
        "or the agents that could run it are busy)",
    )


class RunPageOut(Model):
    runs: list[RunSummaryOut]
    next: str | None = Field(description="pass as `before` for the next page; null: no more")


class StepOut(Model):
    name: str
    state: str
    exit_code: int | None
    error: str | None
    started_at: float | None = None
    ended_at: float | None = None
    duration_s: float | None


class NodeOut(Model):
    key: str
    node: str
    type: str
    state: str
    attempts: int
    ports: list[str]
    output: Any = None
    error: str | None
    started_at: float | None = None
    ended_at: float | None = None
    duration_s: float | None
    steps: list[StepOut]
    note: str | None = Field(
        default=None, description="what to know of how it ran, e.g. that it ran again"
    )


class SourceOut(Model):
    path: str
    format: str
    workflow: str
    pipeline: str


class RetriedNodeOut(Model):
    key: str
    state: str = Field(description="the node's state before the retry")
    attempt: int = Field(description="its last attempt before the retry")
    error: str | None
    started_at: float | None
    ended_at: float | None


class RetryOut(Model):
    number: int = Field(description="1 for the run's first retry")
    by: str = Field(description="the token's name (or the OS user of `xene retry` on a store)")
    at: float
    from_node: str | None = Field(description="null: the nodes that had not succeeded")
    log_seq: int = Field(description="log chunks with a greater seq belong to this retry")
    nodes: list[RetriedNodeOut] = Field(description="the nodes run again, as they were")


class RetryIn(Model):
    from_node: str | None = Field(
        None,
        max_length=300,
        description="run this node and everything downstream of it again (default: the "
        "nodes that did not succeed)",
    )


class NodeGroupOut(Model):
    node: str = Field(description="the pipeline node, run once per split item or loop turn")
    type: str
    total: int = Field(description="its records: one per item or turn that reached it")
    counts: dict[str, int] = Field(description="how many of them are in each state")
    started_at: float | None = Field(description="the first one's start")
    ended_at: float | None = Field(description="the last one's end; null while any runs")
    errors: int = Field(description="how many of them have an error")


class NodeRecordsOut(Model):
    node: str
    total: int
    records: list[NodeOut] = Field(description="from `offset`, in the order they began")


class RunOut(Model):
    id: str
    workflow: str
    pipeline: str
    state: str
    error: str | None
    input: Any = None
    started_at: float | None = None
    ended_at: float | None = None
    duration_s: float | None
    nodes: list[NodeOut]
    source: SourceOut
    owner: str
    lease_until: float
    owner_gone: str | None = Field(
        default=None,
        description="unfinished and nobody executes it: why (resume it with `xene resume`)",
    )
    waiting_for: str | None = Field(
        default=None,
        description="queued and not taken: why (no online agent has a label it needs, "
        "or the agents that could run it are busy)",
    )
    idempotency_key: str | None
    retries: list[RetryOut] = Field(default_factory=list, description="oldest first")
    groups: list[NodeGroupOut] | None = Field(
        default=None,
        description="with `group`: the nodes inside a split or a loop, summarised (their "
        "records are then not in `nodes`: page them at /runs/{id}/nodes/{node})",
    )


class RunActionOut(Model):
    run_id: str
    action: str


class LogChunkOut(Model):
    seq: int
    node: str
    step: str | None
    at: float
    lines: list[str]


class LogPageOut(Model):
    chunks: list[LogChunkOut]
    next_after: int = Field(description="pass as `after` for the chunks committed since")


# -- approvals --------------------------------------------------------------------------
class ApprovalOut(Model):
    hook_id: str
    run_id: str
    node: str
    metadata: dict[str, Any]
    created_at: float
    timeout_at: float | None
    timeout_action: str
    decision: str | None
    data: Any = None
    reason: str
    decided_at: float | None


class ApprovalListOut(Model):
    approvals: list[ApprovalOut]


class SuspensionListOut(Model):
    """The list as the older route `GET /suspensions` gives it."""

    suspensions: list[ApprovalOut]


class DecisionIn(Model):
    data: Any = None
    reason: str = ""


# -- state machines ---------------------------------------------------------------------
class MachineEventOut(Model):
    name: str
    destination: str
    sources: list[str]


class MachineOut(Model):
    name: str
    initial_state: str
    states: list[str]
    events: list[MachineEventOut]
    attributes: dict[str, Any]
    on_enter: dict[str, str]
    workflow: str


class MachineListOut(Model):
    machines: list[MachineOut]


class DefinedOut(Model):
    machines: list[str]


class TransitionOut(Model):
    event: str
    from_: str = Field(alias="from")
    to: str
    at: float


class InstanceOut(Model):
    id: str
    machine: str
    state: str
    available_events: list[str]
    created_at: float
    updated_at: float
    history: list[TransitionOut]


class InstanceListOut(Model):
    instances: list[InstanceOut]


class CreatedInstanceOut(Model):
    id: str
    state: str
    run_id: str | None = Field(None, description="the on_enter run of the initial state")


class MovedOut(Model):
    from_: str = Field(alias="from")
    to: str
    run_id: str | None = Field(None, description="the on_enter run of the new state")


# -- webhooks and system ----------------------------------------------------------------
class HookOut(Model):
    runs: list[str]
    duplicate: bool = Field(description="true: this delivery was seen before; nothing new ran")


class StatusOut(Model):
    status: str
