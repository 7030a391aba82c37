"""State-machine tasks: which events an instance accepts and where they lead. Pure."""

from __future__ import annotations

from xene.ir import StateMachine


class EventRefused(ValueError):
    def __init__(self, machine: StateMachine, state: str, event: str) -> None:
        self.available = machine.available_events(state)
        allowed = ", ".join(self.available) or "none"
        super().__init__(
            f"event {event!r} is not allowed in state {state!r} of {machine.name!r}; "
            f"available now: {allowed}"
        )


def fire(machine: StateMachine, state: str, event: str) -> str:
    """The state after `event`, or EventRefused (and the state stays as it was)."""
    for candidate in machine.events:
        if candidate.name == event and state in candidate.sources:
            return candidate.destination
    raise EventRefused(machine, state, event)
