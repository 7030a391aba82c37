"""Server-Sent Events read from the lines of a response (the WHATWG format, as much of
it as `xene serve` sends: `id`, `event`, `data`, comments)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from xene.frozen import frozen


@frozen
class Event:
    name: str
    """`message` when the server named none."""
    data: Any
    """The data decoded as JSON, else the text."""
    id: str | None


async def parse(lines: AsyncIterator[str]) -> AsyncIterator[Event]:
    name, event_id = "", None
    data: list[str] = []
    async for line in lines:
        if not line:  # a blank line ends an event
            if data:
                yield Event(name or "message", _decoded("\n".join(data)), event_id)
            name, data, event_id = "", [], None
            continue
        if line.startswith(":"):  # a comment: keep-alive
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            event_id = value


def _decoded(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
