"""A `xene run` killed with SIGKILL resumes where it stopped, on SQLite and PostgreSQL.

Each workflow counts its side effects in a file. A step blocks (until a RESUMED file
exists) at a chosen point; the test kills `xene run` there, reads which nodes the store
had finished, resumes, and checks that no finished node ran twice and that the outputs
equal an uninterrupted run's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from xene.store import open_store
from xene.store.base import RunFilter

pytestmark = pytest.mark.slow

XENE = [sys.executable, "-m", "xene.cli.main"]


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.db'}"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
def work(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    pidfile = tmp_path / "blocked.pid"  # the step left blocking by the killed run
    if pidfile.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.killpg(int(pidfile.read_text()), signal.SIGKILL)


def write(work: Path, name: str, text: str) -> Path:
    path = work / name
    path.write_text(text.replace("WORK", str(work)))
    return path


def xene(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*XENE, *args], check=False, capture_output=True, text=True, timeout=120)


def kill_when_reached(
    work: Path, *args: str, before_kill: Callable[[int], None] | None = None
) -> None:
    """Start `xene run`, wait until the blocking step is reached, SIGKILL xene (after
    `before_kill(pid)`, if given)."""
    proc = subprocess.Popen([*XENE, "run", *args, "--quiet"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (work / "REACHED").exists():
        assert proc.poll() is None, "xene run ended before reaching the blocking step"
        assert time.monotonic() < deadline, "the blocking step was never reached"
        time.sleep(0.02)
    if before_kill is not None:
        before_kill(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (work / "RESUMED").touch()


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return state.split()[1] not in ("Z", "X")


def wait_until(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def watchdog_of(parent: int) -> int | None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"xene-watchdog" in cmdline:
            return int(entry.name)
    return None


def watched(store_url: str) -> Callable[[int], None]:
    """Wait until the blocking step `b` has run long enough to be named to the watchdog
    and recorded in the store (`xene.executors.local.WATCH_AFTER_S`)."""

    def wait(parent: int) -> None:
        def recorded() -> bool:
            run = stored(store_url)
            b = run.record.nodes.get("b") if run else None
            return bool(b and b.steps and b.steps[0].process)

        assert wait_until(lambda: watchdog_of(parent) is not None and recorded())

    return wait


def kill_watchdog(store_url: str) -> Callable[[int], None]:
    """SIGKILL the watchdog of a xene process, so that only recovery is left to end its
    orphans, and only by their recorded process group."""

    def kill(parent: int) -> None:
        watched(store_url)(parent)
        pid = watchdog_of(parent)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)

    return kill


def stored(url: str) -> Any:
    async def read() -> Any:
        store = await open_store(url)
        try:
            (summary,) = await store.list_runs(RunFilter())
            return await store.get_run(summary.id)
        finally:
            await store.close()

    return asyncio.run(read())


def finished_keys(url: str) -> set[str]:
    run = stored(url)
    return {key for key, node in run.record.nodes.items() if str(node.state) == "Success"}


def outputs_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    record = json.loads(result.stdout)
    return {node["key"]: node["output"] for node in record["nodes"]}


def effects(work: Path) -> list[str]:
    return (work / "EFFECTS").read_text().split()


PIPELINE = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: crash}
spec:
  pipelines:
    p:
      tasks:
        a:
          steps: [{name: s, type: shell, cmd: "echo a >> WORK/EFFECTS; echo v=1 >> $XENE_OUTPUT"}]
        b:
          dependencies: [a]
          steps:
            - name: s
              type: shell
              cmd: >-
                echo b >> WORK/EFFECTS; echo w=2 >> $XENE_OUTPUT;
                echo "$XENE_ATTEMPT $XENE_IDEMPOTENCY_KEY" >> WORK/ATTEMPTS;
                alive() { [ -e /proc/$1 ] && ! grep -q "^State:[[:space:]]*[ZX]" /proc/$1/status; };
                if [ -f WORK/RESUMED ] && alive "$(cat WORK/blocked.pid)";
                then echo OVERLAP >> WORK/EFFECTS; fi;
                if [ ! -f WORK/RESUMED ]; then echo $$ > WORK/blocked.pid;
                touch WORK/REACHED; sleep 60; fi
        c:
          dependencies: [b]
          steps: [{name: s, type: shell, cmd: "echo c >> WORK/EFFECTS"}]
"""


def test_a_run_killed_mid_pipeline_resumes_without_rerunning_finished_tasks(
    work: Path, store_url: str
) -> None:
    """Killed at once: the blocking step is neither watched nor recorded yet, so resume
    finds the orphan by its environment, and ends it before `b` runs again."""
    flow = write(work, "p.yaml", PIPELINE)
    kill_when_reached(work, str(flow), "--store", store_url)
    assert finished_keys(store_url) == {"a"}
    run_id = stored(store_url).record.id
    resumed = xene("resume", run_id, "--store", store_url, "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert effects(work) == ["a", "b", "b", "c"]
    (work / "EFFECTS").unlink()
    fresh = xene("run", str(flow), "--store", "memory://", "--json")
    assert outputs_of(resumed) == outputs_of(fresh)


def attempts_of_b(work: Path) -> list[tuple[str, str]]:
    lines = (work / "ATTEMPTS").read_text().splitlines()
    return [(attempt, key) for attempt, key in (line.split() for line in lines)]


def test_a_step_begins_only_once_its_attempt_is_committed_and_a_rerun_counts_on(
    work: Path, store_url: str
) -> None:
    flow = write(work, "p.yaml", PIPELINE)
    kill_when_reached(work, str(flow), "--store", store_url)
    b = stored(store_url).record.nodes["b"]
    assert (str(b.state), b.attempt) == ("Running", 1)  # committed before its effect
    resumed = xene("resume", stored(store_url).record.id, "--store", store_url, "--json")
    assert resumed.returncode == 0, resumed.stderr
    (first, key1), (second, key2) = attempts_of_b(work)
    assert (first, second) == ("1", "2")
    assert key1 == key2  # one node, one idempotency key, whatever the attempt


def test_a_killed_runs_steps_die_with_it(work: Path, store_url: str) -> None:
    flow = write(work, "p.yaml", PIPELINE)
    kill_when_reached(work, str(flow), "--store", store_url, before_kill=watched(store_url))
    orphan = int((work / "blocked.pid").read_text())
    assert wait_until(lambda: not alive(orphan)), "the step outlived the killed xene run"


def test_resume_ends_an_orphaned_step_before_running_it_again(work: Path, store_url: str) -> None:
    flow = write(work, "p.yaml", PIPELINE)
    kill_when_reached(work, str(flow), "--store", store_url, before_kill=kill_watchdog(store_url))
    orphan = int((work / "blocked.pid").read_text())
    assert alive(orphan)  # nothing ended it: no watchdog left
    resumed = xene("resume", stored(store_url).record.id, "--store", store_url, "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert not alive(orphan)
    assert "OVERLAP" not in effects(work)
    assert effects(work) == ["a", "b", "b", "c"]


SPLIT = """\
name: split200
version: "1.0"
settings: {max_concurrent_executions: 4}
nodes:
  split: {type: std::split, config: {field: items}}
  work:
    type: std::shell
    config:
      command: >-
        echo ${split.item} >> WORK/EFFECTS;
        if [ ${split.item} = 120 ] && [ ! -f WORK/RESUMED ]; then
        echo $$ > WORK/blocked.pid; touch WORK/REACHED; sleep 60; fi
  total: {type: std::aggregate, config: {operation: count, output_field: count}}
edges:
  - {from: split, to: work}
  - {from: split.done, to: total}
"""


def test_a_run_killed_in_a_200_item_split_resumes_without_rerunning_finished_items(
    work: Path, store_url: str
) -> None:
    flow = write(work, "split.yaml", SPLIT)
    items = json.dumps({"items": list(range(200))})
    kill_when_reached(work, str(flow), "--store", store_url, "--input", items)
    done_before = {k for k in finished_keys(store_url) if k.startswith("work[")}
    resumed = xene("resume", stored(store_url).record.id, "--store", store_url, "--json")
    assert resumed.returncode == 0, resumed.stderr
    counts = {item: effects(work).count(item) for item in set(effects(work))}
    assert set(counts) == {str(i) for i in range(200)}
    for key in done_before:
        item = key.split("=")[1].rstrip("]")
        assert counts[item] == 1, f"{key} had finished before the kill and ran again"
    assert outputs_of(resumed)["total"]["count"] == 200


def test_a_killed_splits_stored_progress_lags_its_finished_items_by_a_hundredth_at_most(
    work: Path, store_url: str
) -> None:
    flow = write(work, "split.yaml", SPLIT)
    items = json.dumps({"items": list(range(200))})
    kill_when_reached(work, str(flow), "--store", store_url, "--input", items)
    done = len({k for k in finished_keys(store_url) if k.startswith("work[")})
    progress = stored(store_url).record.nodes["split"].progress
    assert progress[1] == 200
    assert done - 2 <= progress[0] <= done  # committed by hundredths, never ahead


LOOP = """\
name: loop5
version: "1.0"
nodes:
  loop: {type: std::loop, config: {max_iterations: 5}}
  body:
    type: std::shell
    config:
      command: >-
        echo ${loop.iteration} >> WORK/EFFECTS;
        if [ ${loop.iteration} = 2 ] && [ ! -f WORK/RESUMED ]; then
        echo $$ > WORK/blocked.pid; touch WORK/REACHED; sleep 60; fi
  after: {type: std::log, config: {message: "looped"}}
edges:
  - {from: loop.continue, to: body}
  - {from: body, to: loop, loop_back: true}
  - {from: loop.exit, to: after}
"""


def test_a_run_killed_inside_a_loop_resumes_at_the_iteration_it_was_in(
    work: Path, store_url: str
) -> None:
    flow = write(work, "loop.yaml", LOOP)
    kill_when_reached(work, str(flow), "--store", store_url)
    assert {"body[loop=0]", "body[loop=1]"} <= finished_keys(store_url)
    resumed = xene("resume", stored(store_url).record.id, "--store", store_url, "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert effects(work) == ["0", "1", "2", "2", "3", "4"]
    (work / "EFFECTS").unlink()
    fresh = xene("run", str(flow), "--store", "memory://", "--json")
    assert outputs_of(resumed) == outputs_of(fresh)
