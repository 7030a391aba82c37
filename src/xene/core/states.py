"""States of runs, nodes and steps, and the one table that says what may follow what; and
the two other words the store keeps: a pipeline's mode and a person's decision."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """The original Xene states, plus `Skipped` for a flow branch that was not taken."""

    NOT_EXECUTED = "NotExecuted"
    WAITING = "WaitingForExecutor"
    CONFIGURING = "Configuring"
    RUNNING = "Running"
    SUCCESS = "Success"
    ERROR = "Error"
    ERROR_CONFIGURING = "ErrorConfiguring"
    SUSPENDED = "Suspended"
    CANCELLED = "Cancelled"
    SKIPPED = "Skipped"

    @property
    def finished(self) -> bool:
        """Final: nothing follows it. A run never ends `Skipped` (only a node of a branch
        not taken does), so for a run this is Success, Error, ErrorConfiguring or Cancelled."""
        return self in FINISHED


FINISHED = frozenset(
    {State.SUCCESS, State.ERROR, State.ERROR_CONFIGURING, State.CANCELLED, State.SKIPPED}
)


class PipelineMode(StrEnum):
    """What a server does with a pipeline's triggers and runs."""

    ACTIVE = "active"
    """Triggers fire."""
    PAUSED = "paused"
    """Triggers do not fire; manual runs are refused."""
    DRAINING = "draining"
    """No new runs; running ones finish."""
    STOPPED = "stopped"
    """No new runs; running ones are cancelled."""


class Decision(StrEnum):
    """A person's answer to a `std::wait` node (or its `timeout_action`)."""

    APPROVE = "approve"
    REJECT = "reject"
    ESCALATE = "escalate"


_S = State
TRANSITIONS: dict[State, frozenset[State]] = {
    _S.NOT_EXECUTED: frozenset({_S.WAITING, _S.SKIPPED, _S.CANCELLED, _S.RUNNING}),
    _S.WAITING: frozenset({_S.CONFIGURING, _S.RUNNING, _S.CANCELLED, _S.ERROR}),
    _S.CONFIGURING: frozenset({_S.RUNNING, _S.ERROR_CONFIGURING, _S.CANCELLED}),
    _S.RUNNING: frozenset(
        {_S.SUCCESS, _S.ERROR, _S.SUSPENDED, _S.CANCELLED, _S.WAITING, _S.RUNNING}
    ),
    _S.SUSPENDED: frozenset({_S.RUNNING, _S.SUCCESS, _S.ERROR, _S.CANCELLED}),
    _S.SUCCESS: frozenset(),
    _S.ERROR: frozenset(),
    _S.ERROR_CONFIGURING: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.SKIPPED: frozenset(),
}
"""`RUNNING -> WAITING` is a retry going back to the queue; `RUNNING -> RUNNING` a new attempt."""


class IllegalTransition(ValueError):
    def __init__(self, old: State, new: State) -> None:
        super().__init__(f"illegal state transition {old} -> {new}")
        self.old, self.new = old, new


def can_transition(old: State, new: State) -> bool:
    return new in TRANSITIONS[old]


def transition(old: State, new: State) -> State:
    """Return `new` if the table allows `old -> new`, else raise IllegalTransition."""
    if new not in TRANSITIONS[old]:
        raise IllegalTransition(old, new)
    return new
