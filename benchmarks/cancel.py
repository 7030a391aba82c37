"""Cancel → step stopped, through a real `xene serve`.

    python benchmarks/cancel.py [--runs 20] [--store sqlite|postgres|peers]

A run whose one step sleeps is started; once the step runs (it has written its pid),
cancel is asked through the API (`POST /runs/{id}/cancel`), and the time is taken until
the step's process is gone and until the run is recorded Cancelled (`ended_at`), p50
and p99. `peers`: two servers on one PostgreSQL (benchmarks/peers.py): the run executes
on B, the cancel is asked of A, so it reaches B through the store. The floor, in the
same run: a plain `sleep` subprocess killed (SIGTERM) and reaped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers
import webhooks


def gone(pid: int) -> bool:
    """The process has exited (a zombie not yet reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def until_final(client: httpx.Client, run_id: str) -> dict[str, object]:
    while True:
        record: dict[str, object] = client.get(f"/api/v1/runs/{run_id}").json()
        if record.get("state") in webhooks.FINAL:
            return record
        time.sleep(0.005)


def one(starter: httpx.Client, canceller: httpx.Client, pid_dir: Path) -> tuple[float, float]:
    """(cancel asked → step gone, cancel asked → run recorded Cancelled), in seconds."""
    run_id = peers.start_nap(starter)
    pid = peers.pid_of(pid_dir, run_id)
    asked = time.time()
    canceller.post(f"/api/v1/runs/{run_id}/cancel").raise_for_status()
    while not gone(pid):
        time.sleep(0.001)
    stopped = time.time()
    record = until_final(starter, run_id)
    if record["state"] != "Cancelled":
        raise SystemExit(f"run {run_id} ended {record['state']}, not Cancelled")
    return stopped - asked, float(record["ended_at"] or 0) - asked  # type: ignore[arg-type]


def floor(count: int) -> float:
    times = []
    for _ in range(count):
        proc = subprocess.Popen(["sleep", "600"])
        start = time.perf_counter()
        proc.terminate()
        proc.wait()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextmanager
def servers(kind: str, pid_dir: Path) -> Iterator[tuple[str, str]]:
    """(URL runs are started through, URL cancels are asked of)."""
    pg = os.environ.get("XENE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
    if kind == "peers":
        with peers.pair(webhooks.fresh_db(pg), pid_dir) as (url_a, url_b):
            yield url_b, url_a
        return
    store = f"sqlite:///{pid_dir / 'runs.db'}" if kind == "sqlite" else webhooks.fresh_db(pg)
    port = webhooks.free_port()
    proc = webhooks.serve(store, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            peers.apply(client, peers.sleepy(pid_dir), "sleepy.yaml")
        yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}"
    finally:
        peers.stop(proc)


def sample(kind: str, pid_dir: Path, runs: int) -> list[tuple[float, float]]:
    with (
        servers(kind, pid_dir) as (start_url, cancel_url),
        httpx.Client(base_url=start_url, timeout=30) as starter,
        httpx.Client(base_url=cancel_url, timeout=30) as canceller,
    ):
        return [one(starter, canceller, pid_dir) for _ in range(runs)]


def measure(kind: str, runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="xene-cancel-") as tmp:
        samples = sample(kind, Path(tmp), runs)
    where = "run on B, cancel asked of A" if kind == "peers" else "one server"
    print(f"\ncancel -> step stopped, {kind} store ({where})")
    for i, what in enumerate(("step process gone", "run Cancelled    ")):
        values = [sample[i] for sample in samples]
        print(f"  cancel -> {what}  p50 {peers.ms(statistics.median(values))}   "
              f"p99 {peers.ms(webhooks.percentile(values, 0.99))}")  # fmt: skip
    print(f"  floor: kill + reap a sleep  p50 {peers.ms(floor(runs))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--store", choices=("sqlite", "postgres", "peers"), action="append")
    args = parser.parse_args()
    for kind in args.store or ["sqlite", "postgres", "peers"]:
        measure(kind, args.runs)


if __name__ == "__main__":
    main()
