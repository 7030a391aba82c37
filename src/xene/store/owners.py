"""Who executes a run: `host:pid` owners, and whether such a process still lives."""

from __future__ import annotations

import os
import socket

from xene.core.states import State


def owner_id() -> str:
    """This process as a run owner: `host:pid`."""
    return f"{socket.gethostname()}:{os.getpid()}"


AGENT_PREFIX = "agent:"
"""Of the owner of a run a remote agent holds: `agent:NAME`, never `host:pid`."""


def agent_owner(name: str) -> str:
    """The owner of the runs the remote agent `name` holds."""
    return AGENT_PREFIX + name


def owner_alive(owner: str) -> bool:
    """False only for an owner of this host whose process has ended.

    An owner of another host, a remote agent (`agent:NAME`, whatever this host is
    called), or one that does not look like `host:pid` is assumed alive: only its lease
    can tell.
    """
    if owner.startswith(AGENT_PREFIX):
        return True
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    return True


def owner_gone(state: State, owner: str, lease_until: float, now: float) -> str | None:
    """Why nobody executes an unfinished run any more, or None (it runs, it waits in a
    queue or for a decision, or it has ended)."""
    if state.finished or state is State.SUSPENDED or not owner:
        return None
    if not owner_alive(owner):
        return f"its process ({owner}) has ended"
    if lease_until < now:
        return f"its owner ({owner}) stopped renewing its lease"
    return None


def resume_hint(run_id: str) -> str:
    return f"continue it with `xene resume {run_id}` (a `xene serve` on this store takes it over)"
