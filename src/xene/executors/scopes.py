"""Who may sweep a container: its `xene.scope` label.

The processes sharing one store (`xene run`, `xene serve` and its built-in agent) sweep
the containers of that store's runs, asking the store which still run; a remote agent
sweeps only its own, knowing which runs it holds. Two stores on one Docker engine never
touch each other's containers.
"""

from __future__ import annotations

import hashlib


def store_scope(location: str) -> str:
    """The scope of runs kept in the store at `location` (its URL or file path, as the
    processes sharing it name it)."""
    return "store:" + hashlib.sha256(location.encode()).hexdigest()[:16]


def agent_scope(name: str) -> str:
    """The scope of the runs a remote agent named `name` holds."""
    return f"agent:{name}"
