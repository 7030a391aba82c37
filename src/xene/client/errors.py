"""What can go wrong talking to a server: one exception, printed by the CLI as
`xene: <message>` (then each located problem on its own line).

Kept free of httpx so the CLI can catch it without importing the HTTP stack.
"""

from __future__ import annotations

from collections.abc import Sequence

INVALID_STATUSES = frozenset({400, 404, 413, 415, 422})
"""Answers that mean the input was wrong: the command exits 2, like bad local input."""


class ApiError(Exception):
    """The server refused the request, failed, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        problems: Sequence[str] = (),
        code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status; 0 when no answer came (unreachable, timed out, bad URL)."""
        self.problems = tuple(problems)
        """Located messages (`file:line: path: message`) of an invalid definition."""
        self._code = code

    @property
    def exit_code(self) -> int:
        """2 for bad input (400, 404, 413, 415, 422), else 1 (unreachable, refused, failed)."""
        if self._code is not None:
            return self._code
        return 2 if self.status in INVALID_STATUSES else 1

    def lines(self) -> list[str]:
        """What the CLI prints: the message, then the problems."""
        return [f"xene: {self}", *self.problems]
