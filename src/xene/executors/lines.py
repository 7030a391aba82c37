"""Output cut into lines, as every executor reads a step's output: the local process
pool's pipes, the spawner's and a container exec's stream."""

from __future__ import annotations

MAX_LINE = 64 * 1024
"""A longer line is cut into pieces of this length: a step printing without newlines
cannot make one line of unbounded size."""


def split_lines(pending: bytes, chunk: bytes) -> tuple[list[bytes], bytes]:
    """The complete lines of `pending + chunk` (without their newlines), and the start
    of the line still coming (the `pending` of the next chunk)."""
    *lines, rest = (pending + chunk).split(b"\n")
    while len(rest) > MAX_LINE:
        lines.append(rest[:MAX_LINE])
        rest = rest[MAX_LINE:]
    return lines, rest
