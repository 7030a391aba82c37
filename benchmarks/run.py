"""Run every benchmark of DESIGN.md §7 and print medians beside the plain-Python floors.

    python benchmarks/run.py            # all workloads, 7 repeats
    python benchmarks/run.py --repeat 3 --only chain-500,cold-1
    python benchmarks/run.py --repeat 3 --only split-1k,split-10k,split-100k

Each workload is measured inside the process (the engine alone) and, where it says so,
as a whole fresh process (`xene run FILE`), with peak RSS. The floors are measured in the
same run, since the machine is noisy: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import floors
import splits
import workloads

from xene.engine.engine import Engine
from xene.ir import Pipeline

XENE = [sys.executable, "-m", "xene.cli.main"]
STORES = [
    ("memory store", "memory://", 2),
    ("SQLite store", "sqlite:///{dir}/bench.db", 3),
    (
        "PostgreSQL store",
        os.environ.get("XENE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test"),
        6,
    ),
]


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def engine_time(pipeline: Pipeline, repeat: int) -> float:
    engine = Engine()

    def once() -> None:
        run = asyncio.run(engine.run(pipeline, {}))
        assert run.succeeded, run.error

    once()  # warm: imports, plan cache
    return median_time(once, repeat)


def store_time(pipeline: Pipeline, url: str, repeat: int) -> float | None:
    """The same run kept in a store (every change committed, write-ahead); the store is
    opened once, as a process running many runs would."""
    from xene.engine.durable import start_run
    from xene.engine.options import EngineOptions
    from xene.store import open_store
    from xene.store.base import RunSource, Store

    source = RunSource("", "", "python", "bench", pipeline.name)

    async def once(store: Store) -> float:
        start = time.perf_counter()
        execution, _ = await start_run(store, pipeline, {}, source, EngineOptions())
        run = await execution.execute()
        assert run.succeeded, run.error
        return time.perf_counter() - start

    async def measure() -> float:
        store = await open_store(url)
        try:
            await once(store)  # warm
            return statistics.median([await once(store) for _ in range(repeat)])
        finally:
            await store.close()

    try:
        return asyncio.run(measure())
    except OSError as exc:  # a server that is not there: say so, go on
        print(f"  ({url.split(':', maxsplit=1)[0]} unavailable: {exc})")
        return None


TIME = "/usr/bin/time"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Fresh processes as a user starts them: with the bytecode cache Python keeps by default
(some environments turn it off; then every start compiles every module again)."""


def process(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Median wall seconds and the largest peak RSS (MiB) of a fresh process.

    Peak RSS comes from GNU time, which forks the command from its own small process:
    measured from here, a child would inherit this interpreter's high-water mark.
    """
    times, peaks = [], []
    timed = [TIME, "-f", "XENE_RSS_KB %M", *cmd] if os.path.exists(TIME) else cmd
    subprocess.run(timed, env=ENV, capture_output=True, check=False)  # warm: bytecode caches
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(
            timed, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        times.append(time.perf_counter() - start)
        err = proc.stderr.decode(errors="replace")
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {err[-500:]}")
        kb = [line.split()[1] for line in err.splitlines() if line.startswith("XENE_RSS_KB")]
        peaks.append(int(kb[-1]) / 1024 if kb else float("nan"))
    return statistics.median(times), max(peaks)


def row(name: str, value: float, floor: float | None, note: str = "") -> None:
    ratio = f"{value / floor:6.2f}×" if floor else "       "
    print(f"  {name:<34} {value * 1000:10.2f} ms {ratio}  {note}")


def bench_graph(
    name: str,
    pipeline: Pipeline,
    floor_fns: dict[str, Callable[[], object]],
    directory: Path,
    repeat: int,
) -> None:
    n = len(pipeline.nodes)
    print(f"\n{name} ({n} nodes)")
    inside = engine_time(pipeline, repeat)
    loop_floor = median_time(floor_fns["loop"], repeat)
    asyncio_floor = median_time(floor_fns["asyncio"], repeat)
    row("plain Python loop of calls (floor)", loop_floor, None)
    row("asyncio tasks (floor)", asyncio_floor, None)
    row(
        "xene engine, in process",
        inside,
        asyncio_floor,
        f"{inside / n * 1e6:.1f} µs/node (target < 50 ms, ≤ 100 µs/node)",
    )
    for label, url, target in STORES:
        stored = store_time(pipeline, url.format(dir=directory), repeat)
        if stored is not None:
            row(f"xene engine, {label}", stored, inside, f"× in-memory (target < {target}×)")
    path = workloads.write(directory, name, workloads.as_flow(pipeline))
    whole, rss = process([*XENE, "run", str(path), "--quiet", "--store", "memory://"], repeat)
    floor_proc, floor_rss = process([sys.executable, str(Path(floors.__file__)), name], repeat)
    row("asyncio floor, whole process", floor_proc, None, f"peak RSS {floor_rss:.0f} MiB")
    row("xene run, whole process", whole, floor_proc, f"peak RSS {rss:.0f} MiB (target < 6×)")


def bench_large(name: str, small: Pipeline, large: Pipeline, directory: Path, repeat: int) -> None:
    """A graph at the default limits, as whole `xene run` processes beside the same shape
    at a tenth of the size: validation, planning and running must stay linear."""
    print(f"\n{name} ({len(large.nodes)} nodes, `xene run` as a whole process)")
    per_node: dict[str, float] = {}
    for pipeline in (small, large):
        n = len(pipeline.nodes)
        path = workloads.write(directory, pipeline.name, workloads.as_flow(pipeline))
        size = f"{pipeline.name.split('-')[0]}-{n // 1000}k"
        floor, floor_rss = process([sys.executable, str(Path(floors.__file__)), size], repeat)
        row(f"asyncio floor, {n} nodes", floor, None, f"peak RSS {floor_rss:.0f} MiB")
        for label, url in (("memory", "memory://"), ("SQLite", f"sqlite:///{directory}/{n}.db")):
            whole, rss = process([*XENE, "run", str(path), "--quiet", "--store", url], repeat)
            per_node[f"{label} {n}"] = whole / n
            note = f"{whole / n * 1e6:.0f} µs/node, peak RSS {rss:.0f} MiB"
            row(f"xene run, {label} store, {n} nodes", whole, floor, note)
    big, little = len(large.nodes), len(small.nodes)
    for label in ("memory", "SQLite"):
        ratio = per_node[f"{label} {big}"] / per_node[f"{label} {little}"]
        print(f"  per-node cost at {big} / at {little} nodes, {label} store: {ratio:.2f}×")


def bench_plan(repeat: int) -> None:
    """Validation and plan building alone, at 1,000 and 10,000 nodes: the per-node cost
    must not grow (a chain of splits builds one body per split)."""
    from xene.core.plan import Plan
    from xene.spec import validate

    print("\nplan-10k (validate + Plan.build, in process)")
    shapes = {"chain": workloads.chain, "fanout": workloads.fanout}
    shapes["splits"] = workloads.split_chain
    for shape, make in shapes.items():
        cost = {}
        for n in (1000, 10_000):
            pipeline = make(n)
            cost[n] = median_time(lambda p=pipeline: validate.check_pipeline(p), repeat)
            cost[n] += median_time(lambda p=pipeline: Plan.build(p), repeat)
            row(f"{shape}, {n} nodes", cost[n], None, f"{cost[n] / n * 1e6:.1f} µs/node")
        print(f"  per-node cost at 10000 / at 1000 nodes: {cost[10_000] / 10 / cost[1000]:.2f}×")


def bench_shell(directory: Path, repeat: int, n: int, concurrency: int, target: float) -> None:
    pipeline = workloads.shell(n, concurrency)
    print(f"\nshell-{n} ({n} × `true`, {concurrency} at a time)")

    def pool() -> None:
        with ThreadPoolExecutor(concurrency) as ex:
            list(ex.map(lambda _: subprocess.run(["/bin/sh", "-c", "true"], check=True), range(n)))

    floor = median_time(pool, repeat)
    inside = engine_time(pipeline, repeat)
    row(f"pool of {concurrency} subprocess workers (floor)", floor, None)
    row("xene engine, in process", inside, floor, "(target < 1.5×)")
    for label, url, _ in STORES:  # every start and process group committed before it acts
        stored = store_time(pipeline, url.format(dir=directory), repeat)
        if stored is not None:
            note = f"× the pool (target ≤ {target}×)" if label == "SQLite store" else "× the pool"
            row(f"xene engine, {label}", stored, floor, note)


def bench_cold(directory: Path, repeat: int) -> None:
    print("\ncold-1 (`xene run` of a one-node workflow, fresh process)")
    path = workloads.write(directory, "one", workloads.ONE_NODE)
    floor, floor_rss = process([sys.executable, "-c", "pass"], repeat)
    whole, rss = process([*XENE, "run", str(path), "--quiet", "--store", "memory://"], repeat)
    row("python -c pass (floor)", floor, None, f"peak RSS {floor_rss:.0f} MiB")
    version, _ = process([*XENE, "--version"], repeat)
    row("xene --version", version, floor, "(target ≤ 40 ms)")
    row(
        "xene run one.json, memory store",
        whole,
        floor,
        f"peak RSS {rss:.0f} MiB (target < 250 ms, < 60 MiB)",
    )
    db = f"sqlite:///{directory}/cold.db"
    whole, rss = process([*XENE, "run", str(path), "--quiet", "--store", db], repeat)
    row("xene run one.json, SQLite (default)", whole, floor, f"peak RSS {rss:.0f} MiB (≤ 8×)")


def bench_log_flood(directory: Path, repeat: int, megabytes: int = 200) -> None:
    """A step printing far more than memory should hold: peak RSS must stay flat."""
    print(f"\nlog-{megabytes}m (one step printing {megabytes} MB, kept in SQLite)")
    line = "0123456789" * 10
    flow = {
        "name": "flood",
        "nodes": {
            "loud": {
                "type": "std::shell",
                "config": {"command": f"yes {line} | head -c {megabytes * 1_000_000}"},
            }
        },
        "edges": [],
    }
    path = workloads.write(directory, "flood", flow)
    db = f"sqlite:///{directory}/flood.db"
    whole, rss = process([*XENE, "run", str(path), "--quiet", "--store", db], max(repeat // 3, 1))
    row(
        "xene run, whole process",
        whole,
        None,
        f"peak RSS {rss:.0f} MiB for {megabytes} MB of output",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--only",
        default="chain-500,fanout-500,chain-10k,fanout-10k,plan-10k,shell-100,shell-1000,cold-1,"
        "log-200m",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"python {sys.version.split()[0]}, median of {args.repeat} runs")
    with tempfile.TemporaryDirectory(prefix="xene-bench-") as tmp:
        directory = Path(tmp)
        if "chain-500" in only:
            bench_graph("chain-500", workloads.chain(500), floors.CHAIN, directory, args.repeat)
        if "fanout-500" in only:
            bench_graph("fanout-500", workloads.fanout(500), floors.FANOUT, directory, args.repeat)
        if "chain-10k" in only:
            small, large = workloads.chain(1000), workloads.chain(10_000)
            bench_large("chain-10k", small, large, directory, args.repeat)
        if "fanout-10k" in only:
            small, large = workloads.fanout(998), workloads.fanout(9998)
            bench_large("fanout-10k", small, large, directory, args.repeat)
        if "plan-10k" in only:
            bench_plan(args.repeat)
        if "shell-100" in only:
            bench_shell(directory, args.repeat, 100, 2, 1.3)
        if "shell-1000" in only:
            bench_shell(directory, max(args.repeat // 2, 1), 1000, 8, 1.3)
        if "cold-1" in only:
            bench_cold(directory, args.repeat)
        if "log-200m" in only:
            bench_log_flood(directory, args.repeat)
    sizes = [n for label, n in SPLITS.items() if label in only]
    if sizes:  # a fresh process per run (its own peak RSS), on SQLite and PostgreSQL
        splits.bench_sizes(sizes, ["sqlite", "postgres"], max(args.repeat // 2, 1))


SPLITS = {"split-1k": 1000, "split-10k": 10_000, "split-100k": 100_000}


if __name__ == "__main__":
    main()
