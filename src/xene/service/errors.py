"""The two ways a use case refuses a valid request; every front-end shows them its way
(the API as 404 and 409, the CLI as an exit code and a line)."""

from __future__ import annotations

from xene.errors import XeneError


class NotFound(XeneError, LookupError):
    """No such workflow, pipeline, run or approval."""


class Conflict(XeneError, RuntimeError):
    """The request is valid but the current state refuses it (a paused pipeline, ...)."""
