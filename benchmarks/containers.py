"""The container executor on this machine's Docker engine, beside its floors measured in
the same run: the Docker SDK's own calls, and plain subprocesses.

    python benchmarks/containers.py [--only overhead,shell100] [--samples 10] [--repeat 3]

overhead  a one-task pipeline whose one step is `echo started`, run in process
          (`Engine().run`, memory store) in a container and locally: start -> the
          step's first line seen (the container and its workspace volume made and
          started, the exec begun), then -> the run's end (the container and volume
          removed); median of --samples runs, on the default `bridge` network and on
          `none`. The floor: the same with the SDK alone (volume and container
          created, started, `exec echo started`, removed), as the executor's calls are.
shell100  shell-100 (100 tasks each `true`, 2 at a time) in one container (network
          `none`: execs need none) against the same locally; median of --repeat runs.
          The floors: 2 threads exec'ing `true` 100 times with the SDK in one container
          (made and removed in the time), and a pool of 2 subprocess workers
          (`/bin/sh -c true`).

The image is the tests' busybox one, imported from this machine's busybox when absent
(tests/docker/engine.py: no registry is reachable). Containers are labelled
`xene.scope=bench:<uuid>`: no sweep elsewhere touches them, nor this one theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import workloads
from tests.docker import engine as test_engine

from xene.core.records import Listener, NodeRecord, RunRecord
from xene.engine.engine import Engine
from xene.engine.options import EngineOptions
from xene.ir import TASK, ContainerConfig, Executor, Node, Pipeline, Step

SCOPE = f"bench:{uuid.uuid4()}"
IDLE = ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"]
"""An idle entry point that ends on SIGTERM, as the executor's does."""


class Failed(Exception):
    """A benchmark's run did not succeed: the message says why."""


class FirstLine(Listener):
    """When the run's first line of output came (perf_counter)."""

    def __init__(self) -> None:
        self.at: float | None = None

    def log(self, run: RunRecord, node: NodeRecord, step: str | None, line: str) -> None:
        if self.at is None:
            self.at = time.perf_counter()


def one_step(network: str | None, image: str) -> Pipeline:
    """A pipeline of one task echoing one line: in a container (on `network`), or
    locally when `network` is None."""
    node = Node("t", TASK, steps=(Step("echo", cmd="echo started"),), join="all")
    pipeline = Pipeline(name="one-step", nodes=(node,))
    if network is None:
        return pipeline
    config = ContainerConfig(image, pull="never", network=network)
    return replace(pipeline, executor=Executor("container", config))


def in_container(pipeline: Pipeline, image: str) -> Pipeline:
    config = ContainerConfig(image, pull="never", network="none")
    return replace(pipeline, executor=Executor("container", config))


def engine_run(pipeline: Pipeline) -> tuple[float, float]:
    """(start -> first line, start -> end) of one run of `pipeline`, in process."""
    first = FirstLine()
    engine = Engine(EngineOptions(listeners=(first,), container_scope=SCOPE))
    start = time.perf_counter()
    run = asyncio.run(engine.run(pipeline, {}))
    end = time.perf_counter()
    if not run.succeeded:
        errors = [node.error for node in run.nodes.values() if node.error]
        raise Failed(f"the {pipeline.name} run failed: {run.error or errors}")
    return (first.at or end) - start, end - start


def sdk_run(client: Any, image: str, network: str) -> tuple[float, float]:
    """(start -> the exec's line, start -> removed) with the SDK alone."""
    name = f"xene-bench-{uuid.uuid4().hex[:12]}"
    labels = {"xene.scope": SCOPE, "xene.run": name}
    start = time.perf_counter()
    volume = client.volumes.create(name=name, labels=labels)
    container = client.containers.create(
        image, IDLE, name=name, labels=labels, init=True, network_mode=network,
        volumes={name: {"bind": "/workspace", "mode": "rw"}}, working_dir="/workspace",
    )  # fmt: skip
    container.start()
    _, output = container.exec_run(["/bin/sh", "-c", "echo started"], stream=True)
    next(iter(output))
    first = time.perf_counter()
    for _ in output:
        pass
    container.remove(force=True)
    volume.remove(force=True)
    return first - start, time.perf_counter() - start


def medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def bench_overhead(client: Any, image: str, args: argparse.Namespace) -> None:
    print(f"\nper-run container overhead: one step, median of {args.samples} runs, in process")
    print(f"  {'':<28} {'-> first line':>13} {'-> end':>10}   (end: the container removed)")
    local = one_step(None, image)
    engine_run(local)  # warm: imports, the executor's thread pool
    here = medians([engine_run(local) for _ in range(args.samples)])
    overhead_row("local, xene", here)
    for network in ("bridge", "none"):
        pipeline = one_step(network, image)
        try:
            engine_run(pipeline)  # warm
            boxed = medians([engine_run(pipeline) for _ in range(args.samples)])
            floor = medians([sdk_run(client, image, network) for _ in range(args.samples)])
        except Exception as exc:  # e.g. the engine's bridge is gone: the other network goes on
            print(f"  {network} network: not measured: {str(exc)[-300:]}")
            continue
        note = f"overhead {ms(boxed[1] - here[1])} per run, {boxed[1] / floor[1]:4.2f}x the SDK"
        overhead_row(f"{network} network, xene", boxed, note)
        overhead_row(f"{network} network, SDK (floor)", floor)


def overhead_row(what: str, times: tuple[float, float], note: str = "") -> None:
    print(f"  {what:<28} {ms(times[0]):>13} {ms(times[1]):>10}   {note}".rstrip())


def sdk_shell(client: Any, image: str, n: int, concurrency: int) -> float:
    """One container made, `true` exec'd n times by `concurrency` threads, removed."""
    name = f"xene-bench-{uuid.uuid4().hex[:12]}"
    start = time.perf_counter()
    labels = {"xene.scope": SCOPE, "xene.run": name}
    container = client.containers.create(image, IDLE, name=name, labels=labels, init=True,
                                         network_mode="none")  # fmt: skip
    container.start()
    with ThreadPoolExecutor(concurrency) as pool:
        codes = list(pool.map(lambda _: container.exec_run(["/bin/sh", "-c", "true"])[0],
                              range(n)))  # fmt: skip
    container.remove(force=True)
    if any(codes):
        raise SystemExit(f"an exec of `true` failed: exit codes {set(codes)}")
    return time.perf_counter() - start


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_shell100(client: Any, image: str, args: argparse.Namespace) -> None:
    n, concurrency = 100, 2
    print(f"\nshell-{n} ({n} x `true`, {concurrency} at a time), median of {args.repeat}")
    local = workloads.shell(n, concurrency)
    boxed = in_container(local, image)

    def pool() -> None:
        with ThreadPoolExecutor(concurrency) as ex:
            list(ex.map(lambda _: subprocess.run(["/bin/sh", "-c", "true"], check=True), range(n)))

    floor_local = timed(pool, args.repeat)
    engine_run(local)
    here = timed(lambda: engine_run(local), args.repeat)
    floor_boxed = statistics.median(
        sdk_shell(client, image, n, concurrency) for _ in range(args.repeat)
    )
    engine_run(boxed)
    inside = timed(lambda: engine_run(boxed), args.repeat)
    print(f"  pool of {concurrency} subprocess workers (floor)    {ms(floor_local)}")
    print(f"  xene engine, local                     {ms(here)}   "
          f"{here / floor_local:5.2f}x the pool")  # fmt: skip
    print(f"  SDK: {n} execs in one container (floor) {ms(floor_boxed)}   "
          f"{floor_boxed / n * 1000:5.1f} ms per exec")  # fmt: skip
    print(f"  xene engine, in one container          {ms(inside)}   "
          f"{inside / floor_boxed:5.2f}x the SDK   {inside / here:5.2f}x local")  # fmt: skip


BENCHES = {"overhead": bench_overhead, "shell100": bench_shell100}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=",".join(BENCHES), help="which, comma separated")
    parser.add_argument("--samples", type=int, default=10, help="runs for overhead")
    parser.add_argument("--repeat", type=int, default=3, help="runs for shell100")
    args = parser.parse_args()
    try:
        client = test_engine.client()
        image = test_engine.busybox_image(client)
    except test_engine.NoEngine as exc:  # scripts/bench goes on: say so loudly
        print(f"\n!!! container benchmarks NOT RUN: no Docker engine: {exc}", file=sys.stderr)
        return
    try:
        for name in args.only.split(","):
            BENCHES[name](client, image, args)
    finally:
        for container in client.containers.list(all=True, filters={"label": f"xene.scope={SCOPE}"}):
            container.remove(force=True)
        client.close()
        test_engine.stop_started()


if __name__ == "__main__":
    main()
