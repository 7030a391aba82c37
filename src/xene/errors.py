"""One exception hierarchy; each class docstring is its default message."""

from __future__ import annotations

from collections.abc import Iterable

from xene.frozen import frozen
from xene.ir import Location


class XeneError(Exception):
    """Xene failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


@frozen
class Problem:
    """One located validation error: `file:line: path.to.key: message`."""

    loc: Location
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}"


class InvalidDefinition(XeneError):
    """The definition is invalid."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class NotRunnable(InvalidDefinition):
    """The definition is valid but holds what cannot run yet."""


class NodeFailed(XeneError):
    """A node failed."""


class StepTimeout(XeneError):
    """A step ran past its timeout."""


class RunCancelled(XeneError):
    """The run was cancelled."""


class ApprovalRequired(XeneError):
    """A std::wait node needs a decision, and none could be asked for."""


class Suspend(XeneError):
    """The node is left waiting: its decision comes later (`xene approve`)."""
