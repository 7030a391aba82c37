"""The runs list's query (`GET /api/v1/runs` and the UI's `/runs`): filters from the query
string to a `RunFilter`, the same for both, so a page's URL and the API's agree."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Query
from pydantic import BaseModel, Field

from xene.core.states import State
from xene.core.times import parse_time
from xene.frozen import frozen
from xene.store.base import BY_HAND, BY_HAND_PARAM, RunFilter

WHEN = "seconds since the epoch, or ISO 8601 (`2026-12-01T09:30`, UTC unless it names its offset)"

TIME_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number"},
        {"type": "string", "format": "date-time"},
        {"type": "string", "maxLength": 0},
        {"type": "null"},
    ]
}
"""What the document says a time is (read as text: a form sends `2026-12-01T09:30`, or
nothing for no filter)."""


class RunParams(BaseModel):
    """The query string (an empty value is no filter, as a form sends it)."""

    workflow: str | None = Field(None, max_length=300)
    pipeline: str | None = Field(None, max_length=300)
    state: str | None = Field(None, max_length=40)
    trigger: str | None = Field(
        None, max_length=300, description="a trigger's name; `-`: the runs started by hand"
    )
    created_after: str | None = Field(
        None, max_length=40, description=WHEN, json_schema_extra=TIME_SCHEMA
    )
    created_before: str | None = Field(
        None, max_length=40, description=WHEN, json_schema_extra=TIME_SCHEMA
    )
    id: str | None = Field(None, max_length=26, description="the start of a run's id")
    limit: int = Field(50, ge=1, le=500)
    before: str | None = Field(None, max_length=100, description="a run id: older runs")


@frozen
class RunQuery:
    """What the list was asked for; `flt` None: nothing can match (an unknown state)."""

    flt: RunFilter | None
    limit: int


def parse_when(text: str | None, name: str) -> float | None:
    """A time of the query string (`xene.core.times`); a 422 saying how to write it."""
    if text is None or not text.strip():
        return None
    try:
        return parse_time(text)
    except ValueError as error:
        raise HTTPException(422, f"{name}={error}") from None


async def run_query(params: Annotated[RunParams, Query()]) -> RunQuery:
    """A dependency: the query string's filters."""
    p = params
    wanted = next((s for s in State if s == p.state), None) if p.state else None
    flt = RunFilter(
        workflow=p.workflow or None,
        pipeline=p.pipeline or None,
        state=wanted,
        limit=p.limit,
        before=p.before or None,
        trigger=BY_HAND if p.trigger == BY_HAND_PARAM else (p.trigger or None),
        created_after=parse_when(p.created_after, "created_after"),
        created_before=parse_when(p.created_before, "created_before"),
        id_prefix=(p.id or "").strip().lower() or None,
    )
    # No run is in a state that does not exist.
    return RunQuery(None if p.state and wanted is None else flt, p.limit)
