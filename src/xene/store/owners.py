"""Who executes a run: `host:pid` owners, and whether such a process still lives."""

from __future__ import annotations

import os
import socket


def owner_id() -> str:
    """This process as a run owner: `host:pid`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str) -> bool:
    """False only for an owner of this host whose process has ended.

    An owner of another host (or one that does not look like `host:pid`) is assumed alive:
    only its lease can tell.
    """
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
