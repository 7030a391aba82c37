"""Steps die with the engine, even when it is killed with SIGKILL.

Steps run in sessions of their own (a terminal's Ctrl-C must reach Xene, not them), so
nothing ends them when the Xene process dies. A small shell, started once per process
with the first step, holds the read end of a pipe and the list of live step groups; when
the pipe closes — this process ended, however it ended — it sends them SIGTERM, then
SIGKILL after the grace period. Its own session and ignored signals keep it out of
whatever killed us. A step started in a moment the watchdog did not hear of is still
found by recovery (`xene.executors.processes`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

DEFAULT_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)

SCRIPT = r"""
trap '' INT TERM HUP QUIT
groups=' '
while read -r op pg; do
  case "$op" in
    +) groups="$groups$pg " ;;
    -) case "$groups" in *" $pg "*) groups="${groups%% $pg *} ${groups#* $pg }" ;; esac ;;
  esac
done
[ -z "${groups# }" ] && exit 0
for pg in $groups; do kill -s TERM -- "-$pg" 2>/dev/null; done
i=0
while [ "$i" -lt "$1" ]; do
  alive=0
  for pg in $groups; do kill -s 0 -- "-$pg" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && exit 0
  sleep 0.1; i=$((i + 1))
done
for pg in $groups; do kill -s KILL -- "-$pg" 2>/dev/null; done
"""

_LOCK = threading.Lock()
_STATE: dict[str, int] = {}
"""`fd`: the write end of the watchdog's pipe; `pid`: the watchdog (once started)."""


def watch(pgid: int, grace_s: float) -> None:
    """From now on, `pgid` is ended if this process dies before `unwatch(pgid)`."""
    _send(f"+ {pgid}\n", grace_s)


def unwatch(pgid: int) -> None:
    if "fd" in _STATE:
        _send(f"- {pgid}\n", None)


def _send(line: str, grace_s: float | None) -> None:
    with _LOCK:
        fd = _STATE.get("fd")
        if fd is None:
            if grace_s is None or "pid" in _STATE:  # never started, or it failed
                return
            fd = _start(grace_s)
            if fd is None:
                return
        # Full (it is slow to read) or gone: recovery still finds the orphans.
        with contextlib.suppress(OSError):
            os.write(fd, line.encode())


def _start(grace_s: float) -> int | None:
    read_end, write_end = os.pipe()
    ticks = str(max(int(grace_s * 10), 1))
    try:
        pid = os.posix_spawn(
            "/bin/sh",
            ["/bin/sh", "-c", SCRIPT, "xene-watchdog", ticks],
            dict(os.environ),
            file_actions=[
                (os.POSIX_SPAWN_DUP2, read_end, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_CLOSE, read_end),
                (os.POSIX_SPAWN_CLOSE, write_end),
            ],
            setsid=True,
            setsigmask=(),
            setsigdef=DEFAULT_SIGNALS,
        )
    except OSError:
        os.close(read_end)
        os.close(write_end)
        _STATE["pid"] = 0
        return None
    os.close(read_end)
    os.set_blocking(write_end, False)
    _STATE.update(fd=write_end, pid=pid)
    _reap_later(pid)
    return write_end


def _reap_later(pid: int) -> None:
    """The watchdog outlives us normally; if it ends first, do not leave a zombie."""

    def reap() -> None:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, 0)
        with _LOCK:
            fd = _STATE.pop("fd", None)
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)

    threading.Thread(target=reap, name="xene-watchdog-reaper", daemon=True).start()
