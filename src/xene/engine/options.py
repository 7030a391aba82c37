"""How an engine is put together: clock, ids, listeners, approvals, secrets, limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any

from xene.core.records import Listener
from xene.core.states import Decision
from xene.engine.clock import Clock, SystemClock, new_id
from xene.frozen import frozen

if TYPE_CHECKING:
    from xene.executors.base import ContainersFactory, Executor

LEASE_S = 15.0
"""The default lease."""
PORT_OF_DECISION: dict[Decision, str] = {
    Decision.APPROVE: "out",
    Decision.REJECT: "rejected",
    Decision.ESCALATE: "escalated",
}


@frozen
class ApprovalRequest:
    """A `std::wait` node asking a person to decide."""

    run_id: str
    node: str
    hook_id: str
    metadata: Mapping[str, Any]
    timeout_s: float | None
    timeout_action: Decision


@frozen
class Approval:
    """A decision on a `std::wait` node, with what the decider adds."""

    decision: Decision
    data: Any = None
    reason: str = ""


Approver = Callable[[ApprovalRequest], Awaitable[Approval]]
SecretSource = Callable[[Collection[str]], Awaitable[Mapping[str, str]]]
"""Resolves secret names to values (raising for an unknown name): a store's vault."""


def _random() -> float:
    """`random.random()`, the module imported on first use: a run that retries nothing
    never needs it (importing it is nearly 1% of `xene run`'s start)."""
    import random

    return random.random()


@frozen
class EngineOptions:
    """How an engine runs: its clock and ids, who hears of changes, who decides approvals."""

    clock: Clock = field(default_factory=SystemClock)
    new_id: Callable[[], str] = new_id
    random: Callable[[], float] = _random
    listeners: tuple[Listener, ...] = ()
    approver: Approver | None = None
    """Asked when a `std::wait` node runs; None: such a node fails, saying how to decide."""
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Secret values by name, given in process; once a run starts, exactly the secrets
    its pipeline names (see xene.secrets.inject)."""
    secret_source: SecretSource | None = None
    """Resolves the names a pipeline needs that `secrets` lacks, once, at a run's start."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Added to every step's environment, over the pipeline's `envs`."""
    executors: Mapping[str, Executor] = field(default_factory=dict)
    """Executors by type (`local`, `container`) in place of the built-in ones."""
    containers: ContainersFactory | None = None
    """Makes a run's containers; None: on the Docker engine (`xene.executors.container`)."""
    container_scope: str = ""
    """The `xene.scope` label of the runs' containers: who may sweep them. '' : this
    process alone (`xene.store.owners.owner_id`)."""
    max_concurrency: int | None = None
    """Caps every run's concurrency (the agent's limit); None: the pipeline's own."""
    step_timeout_s: float = 30 * 60
    run_timeout_s: float = 100 * 60
    grace_s: float = 5.0
    """Between SIGTERM and SIGKILL when a step is cancelled or times out."""
    lease_s: float = LEASE_S
    """How long a run stays this process's without a commit renewing it (at a third of
    it); past it, another process (a server, an agent) may take the run over."""
