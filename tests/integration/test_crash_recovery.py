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
from collections.abc import Iterator
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


def kill_when_reached(work: Path, *args: str) -> None:
    """Start `xene run`, wait until the blocking step is reached, SIGKILL xene."""
    proc = subprocess.Popen([*XENE, "run", *args, "--quiet"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (work / "REACHED").exists():
        assert proc.poll() is None, "xene run ended before reaching the blocking step"
        assert time.monotonic() < deadline, "the blocking step was never reached"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (work / "RESUMED").touch()


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
                if [ ! -f WORK/RESUMED ]; then echo $$ > WORK/blocked.pid;
                touch WORK/REACHED; sleep 60; fi
        c:
          dependencies: [b]
          steps: [{name: s, type: shell, cmd: "echo c >> WORK/EFFECTS"}]
"""


def test_a_run_killed_mid_pipeline_resumes_without_rerunning_finished_tasks(
    work: Path, store_url: str
) -> None:
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
