"""How large one pipeline may be: the graph limits, overridable from the environment.

The defaults admit a static fan-out of 1 -> 9,998 -> 1 and a chain of 10,000 nodes;
`XENE_MAX_NODES` and `XENE_MAX_EDGES` raise (or lower) them for every command and server
that reads the variables (validation and planning stay linear in the graph's size, so the
limits guard memory and time, not an algorithm).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from xene.frozen import frozen

MAX_NODES = 10_000
MAX_EDGES = 50_000
NODES_ENV = "XENE_MAX_NODES"
EDGES_ENV = "XENE_MAX_EDGES"


@frozen
class GraphLimits:
    """The most nodes and edges one pipeline may hold."""

    nodes: int = MAX_NODES
    edges: int = MAX_EDGES


def from_env(env: Mapping[str, str] | None = None) -> tuple[GraphLimits, list[str]]:
    """The limits the environment sets, and what is wrong with it (a variable that is
    not a whole number >= 1 is named, and its default used)."""
    env = os.environ if env is None else env
    wrong: list[str] = []
    nodes = _read(env, NODES_ENV, MAX_NODES, wrong)
    edges = _read(env, EDGES_ENV, MAX_EDGES, wrong)
    return GraphLimits(nodes, edges), wrong


def _read(env: Mapping[str, str], name: str, default: int, wrong: list[str]) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        wrong.append(
            f'the environment variable {name} is "{text}": set it to a whole number >= 1 '
            f"(default {default}), or unset it"
        )
        return default
    return value
