"""One shell step exec'd in a run's container.

The exec runs a small wrapper (`WRAPPER`) under `/bin/sh -c`: it tells Xene the step's
pid (every exec is a session leader, so its pid names its process group), makes and
enters the working directory, runs the step's command under `/bin/sh -c` with its
stderr joined to stdout, then tells its exit code and hands the `$XENE_OUTPUT` file (in
the workspace) back, all on the exec's stderr (`xene.executors.container_stream`): no
exec but the step's own, unless it must be ended. A timeout or a cancel ends the step's
whole group with another exec, as root: SIGTERM, the grace period, SIGKILL. The wrapper
outlives the step's processes on SIGTERM (it waits for them): the engine holds every
exec of the container for seconds when an exec's first process ends before those
holding its output.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import posixpath
import secrets
from typing import TYPE_CHECKING, Any

from xene.errors import NodeFailed
from xene.executors import docker_engine
from xene.executors.base import Command, CommandResult
from xene.executors.container_setup import ROOT, Box
from xene.executors.container_stream import ExecStream
from xene.frozen import frozen

if TYPE_CHECKING:
    import docker
    from xene.executors.base import ContainerRun

log = logging.getLogger("xene.executors.container")

TIMED_OUT = 124
"""Exit code reported for a step ended by its timeout (as a local step's)."""
KILLED = 137
WATCH_AFTER_S = 0.1
"""A step still running this long is named to `on_group` (recorded for recovery)."""
OOM = """oom() { n=-; for f in /sys/fs/cgroup/memory/memory.oom_control \
/sys/fs/cgroup/memory.events; do if [ -r "$f" ]; then while read -r k v; do
[ "$k" = oom_kill ] && n=$v; done < "$f"; return; fi; done; }
"""
"""Sets `n` to the container's count of OOM kills (cgroup v1 or v2), without a fork."""
WRAPPER = (
    OOM
    + """exec 3>&2 2>&1
t=; trap 't=1' TERM
read -r _ _ _ _ g _ < /proc/$$/stat
oom
echo "pid $$ $g $n" >&3
case $2 in "~") d=$HOME ;; "~/"*) d=$HOME/${2#"~/"} ;; *) d=$2 ;; esac
if [ ! -d "$d" ]; then e=$(mkdir -p -- "$d" 2>&1) || { echo "dir $e" >&3; exit 126; }; fi
cd -- "$d" || { echo "dir cannot enter it" >&3; exit 126; }
[ -d "${XENE_OUTPUT%/*}" ] || mkdir -p -- "${XENE_OUTPUT%/*}"
[ -z "$t" ] || exit 143
/bin/sh -c "$1" 3>&-
c=$?
oom
echo "end $c $n" >&3
if [ -f "$XENE_OUTPUT" ]; then echo out >&3; cat -- "$XENE_OUTPUT" >&3; rm -f -- "$XENE_OUTPUT"; fi
exit $c
"""
)
SIGNAL = 'kill -"$1" "$2" 2>/dev/null; [ -z "$3" ] || rm -f -- "$3"; exit 0'


@frozen
class Told:
    """What the wrapper said on its channel."""

    pid: int = 0
    pgid: int = 0
    oom_before: int | None = None
    code: int | None = None
    oom_after: int | None = None
    outputs: dict[str, str] | None = None
    dir_error: str | None = None


async def run_step(
    api: docker.APIClient, box: Box, run: ContainerRun, command: Command
) -> CommandResult:
    """Run `command` in `box` to its end (or its timeout); cancelling ends it."""
    step = _Running(api, box, run, command)
    try:
        await step.start()
        return await step.wait()
    except NodeFailed:
        raise
    except Exception as error:  # the engine refused: the container stopped, or is gone
        raise _cannot_run(error, box) from None


def _directory(cwd: str | None, workdir: str) -> str:
    """Where the step runs in the container: a relative workingDir is under the
    workspace, `~` is the user's home (the wrapper expands it there)."""
    if cwd is None:
        return workdir
    if cwd == "~" or cwd.startswith("~/"):
        return cwd
    return posixpath.normpath(posixpath.join(workdir, cwd))


class _Running:
    def __init__(
        self, api: docker.APIClient, box: Box, run: ContainerRun, command: Command
    ) -> None:
        self.api, self.box, self.run, self.command = api, box, run, command
        self.loop = asyncio.get_running_loop()
        self.output = f"{run.config.workdir}/.xene/out/{secrets.token_hex(8)}"
        self.stream = ExecStream(self.loop, command.on_line, command.control.pace)
        self.exec_id = ""

    async def start(self) -> None:
        command, workdir = self.command, self.run.config.workdir
        argv = ["/bin/sh", "-c", WRAPPER, "xene", command.cmd, _directory(command.cwd, workdir)]
        env = {**command.env, "XENE_OUTPUT": self.output}
        made = await docker_engine.call(self.api.exec_create, self.box.id, argv, environment=env)
        self.exec_id = made["Id"]
        self.stream.start(self.api, self.exec_id)

    async def wait(self) -> CommandResult:
        timer = self.loop.call_later(WATCH_AFTER_S, self._name_group)
        try:
            try:
                async with asyncio.timeout(self.command.timeout_s) as scope:
                    await asyncio.shield(self.stream.done)
            except TimeoutError:
                if not scope.expired():
                    raise
                await self._end()
                return CommandResult(TIMED_OUT, {}, timed_out=True)
            except asyncio.CancelledError:
                await asyncio.shield(self._end())
                raise
        finally:
            timer.cancel()
        return await self._result()

    def _name_group(self) -> None:
        """Told once the step has run for a moment (short steps are never named)."""
        if self.stream.done.done() or self.command.control.on_group is None:
            return
        if not self.stream.first.done():
            self.loop.call_later(WATCH_AFTER_S, self._name_group)
            return
        told = parse(self.stream.first.result().encode())
        if told.pid:
            self.command.control.on_group(f"container:{self.box.id[:12]}:{told.pid}")

    async def _result(self) -> CommandResult:
        told = parse(self.stream.control)
        if told.dir_error is not None:
            raise NodeFailed(
                f"cannot create workingDir {self.command.cwd!r} in container "
                f"{self.box.name}: {told.dir_error}"
            )
        code = told.code if told.code is not None else await exit_code(self.api, self.exec_id)
        error = None
        if code == KILLED and await self._out_of_memory(told):
            limit = self.run.config.memory
            error = f"killed: out of memory (limit {limit})" if limit else "killed: out of memory"
        return CommandResult(code, told.outputs or {}, error=error)

    async def _out_of_memory(self, told: Told) -> bool:
        """Did the container's count of OOM kills grow while the step ran?"""
        after = told.oom_after
        if after is None:  # the wrapper itself was killed: ask the container
            with contextlib.suppress(Exception):
                _, said = await quick(self.api, self.box.id, OOM + 'oom; echo "$n"')
                after = int(said.strip()) if said.strip().isdigit() else None
        return told.oom_before is not None and after is not None and after > told.oom_before

    async def _end(self) -> None:
        """SIGTERM the step's group, SIGKILL what is left after the grace period."""
        grace = self.command.control.grace_s
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.stream.first), max(grace, 5.0))
        first = self.stream.first.result() if self.stream.first.done() else ""
        target = _target(parse(first.encode()))
        try:
            if target:
                await quick(self.api, self.box.id, SIGNAL, "TERM", target, "")
                await asyncio.wait([self.stream.done], timeout=grace)
                # Whatever of the group ignored SIGTERM or closed its output, and the
                # step's $XENE_OUTPUT file, its wrapper gone.
                await quick(self.api, self.box.id, SIGNAL, "KILL", target, self.output)
                await asyncio.wait([self.stream.done], timeout=1.0)
        except Exception as error:  # the engine or the container went away
            log.warning("could not end a step in container %s: %s", self.box.name, error)
        finally:
            if self.stream.done.done() and not self.stream.done.cancelled():
                self.stream.done.exception()  # retrieved: an ended step's error is moot
            self.stream.abandon()


def _target(told: Told) -> str:
    """What to signal: the step's group (its pid, a session leader); the pid alone if
    an engine ever made the exec otherwise; nothing before the wrapper said."""
    if not told.pid:
        return ""
    if told.pgid == told.pid:
        return f"-{told.pid}"
    log.warning("a step's exec is not a session leader (pid %s, group %s)", told.pid, told.pgid)
    return str(told.pid)


def parse(control: bytes) -> Told:
    """The wrapper's channel: `pid P G N`, then `dir MESSAGE` or `end CODE N`, then
    `out` and the $XENE_OUTPUT file."""
    text = control.decode("utf-8", errors="replace")
    head, marker, file = text.partition("\nout\n")
    head, failed, dir_error = head.partition("\ndir ")
    values: dict[str, Any] = {"outputs": _outputs(file) if marker else {}}
    if failed:  # the last thing it said (mkdir's message may span lines)
        values["dir_error"] = dir_error.strip() or "mkdir failed"
    for line in head.split("\n"):
        word, _, rest = line.partition(" ")
        parts = rest.split()
        if word == "pid" and len(parts) == 3:
            values.update(pid=_int(parts[0]) or 0, pgid=_int(parts[1]) or 0)
            values["oom_before"] = _int(parts[2])
        elif word == "end" and len(parts) == 2:
            values.update(code=_int(parts[0]), oom_after=_int(parts[1]))
    return Told(**values)


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _outputs(text: str) -> dict[str, str]:
    """The `key=value` lines of the $XENE_OUTPUT file (as a local step's)."""
    outputs: dict[str, str] = {}
    for line in text.split("\n"):
        key, sep, value = line.partition("=")
        if sep and key.strip():
            outputs[key.strip()] = value
    return outputs


async def exit_code(api: docker.APIClient, exec_id: str) -> int:
    """The exec's exit code: its output ends a moment before the engine has it."""
    for _ in range(200):
        found = await docker_engine.call(api.exec_inspect, exec_id)
        if not found.get("Running") and found.get("ExitCode") is not None:
            return int(found["ExitCode"])
        await asyncio.sleep(0.01)
    raise NodeFailed(f"the Docker engine never told exec {exec_id[:12]}'s exit code")


async def quick(
    api: docker.APIClient, container: str, script: str, *args: str, user: str = ROOT
) -> tuple[int, str]:
    """A short script of Xene's own in `container` (as root): its exit code and output."""
    argv = ["/bin/sh", "-c", script, "xene", *args]
    made = await docker_engine.call(api.exec_create, container, argv, user=user)
    said: bytes = await docker_engine.call(api.exec_start, made["Id"])
    return await exit_code(api, made["Id"]), said.decode("utf-8", errors="replace")


def _cannot_run(error: Exception, box: Box) -> Exception:
    import docker

    if isinstance(error, docker.errors.NotFound):
        return NodeFailed(f"container {box.name} is gone: was it removed while the run ran?")
    if isinstance(error, docker.errors.APIError):
        explained = error.explanation or str(error)
        return NodeFailed(f"cannot run a step in container {box.name}: {explained}")
    return error
