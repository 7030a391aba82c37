"""Two `xene serve` over one PostgreSQL: a webhook sent to server A, its run started by B.

    python benchmarks/peers.py [--runs 40]

A runs with capacity 1, kept busy by a sleeping run, so every run queued through A is
claimed by B: what is measured is how fast B learns of a run queued elsewhere (webhook
sent → the run's recorded `started_at`, p50 and p99, one webhook at a time). Floors in
the same run: an HTTP round trip to A (`GET /health`) and a bare NOTIFY → LISTEN round
trip on the same database. Ports: XENE_BENCH_PORT and the next one (else free ones).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import webhooks

SLEEPY = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: sleepy}
spec:
  triggers:
    go: {type: manual}
  pipelines:
    nap:
      trigger: go
      tasks:
        nap:
          steps: [{name: s, type: shell, cmd: "echo $$ > DIR/$XENE_RUN_ID.pid; exec sleep 600"}]
    busy:
      trigger: go
      tasks:
        # Output every second: a silent step's lease is not renewed on main (12/2026).
        busy:
          steps:
            - name: s
              type: shell
              cmd: "echo $$ > DIR/$XENE_RUN_ID.pid; while :; do echo .; sleep 1; done"
"""


def sleepy(pid_dir: Path) -> str:
    """A workflow whose one step writes its pid to `pid_dir/RUN_ID.pid`, then sleeps."""
    return SLEEPY.replace("DIR", str(pid_dir))


def apply(client: httpx.Client, text: str, filename: str) -> None:
    response = client.post(
        "/api/v1/workflows",
        params={"filename": filename},
        content=text,
        headers={"Content-Type": "application/yaml"},
    )
    response.raise_for_status()


def start_nap(client: httpx.Client, pipeline: str = "nap") -> str:
    response = client.post(f"/api/v1/workflows/sleepy/pipelines/{pipeline}/runs", json={})
    response.raise_for_status()
    return str(response.json()["run_id"])


def pid_of(pid_dir: Path, run_id: str, deadline_s: float = 60) -> int:
    """The pid the run's step wrote, once it has."""
    path = pid_dir / f"{run_id}.pid"
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if text.endswith("\n"):
            return int(text)
        time.sleep(0.002)
    raise SystemExit(f"the step of run {run_id} never started")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def pair(store: str, pid_dir: Path) -> Iterator[tuple[str, str]]:
    """Servers A (capacity 1, busy with a sleeping run) and B (capacity 8): their URLs."""
    url_a, url_b = (f"http://127.0.0.1:{webhooks.free_port(i)}" for i in (0, 1))
    a = webhooks.serve(store, int(url_a.rsplit(":", 1)[1]), "--capacity", "1", "--grace", "0")
    b = None
    try:
        with httpx.Client(base_url=url_a, timeout=30) as client:
            apply(client, sleepy(pid_dir), "sleepy.yaml")
            blocker = start_nap(client, "busy")
            pid_of(pid_dir, blocker)  # A executes it: A claims nothing more
        b = webhooks.serve(store, int(url_b.rsplit(":", 1)[1]), "--grace", "0")
        yield url_a, url_b
    finally:
        for proc in (b, a):
            if proc is not None:
                stop(proc)


def http_floor(url: str, count: int = 50) -> float:
    with httpx.Client(base_url=url, timeout=30) as client:
        times = []
        for _ in range(count):
            start = time.perf_counter()
            client.get("/health").raise_for_status()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


async def notify_floor(url: str, count: int = 50) -> float:
    """A NOTIFY committed on one connection, received by another that LISTENs."""
    import psycopg

    listener = await psycopg.AsyncConnection.connect(url, autocommit=True)
    sender = await psycopg.AsyncConnection.connect(url, autocommit=True)
    try:
        await listener.execute("LISTEN xene_bench_floor")
        times = []
        for _ in range(count):
            start = time.perf_counter()
            async with sender.transaction():
                await sender.execute("SELECT pg_notify('xene_bench_floor', '')")
            async for _ in listener.notifies(stop_after=1):
                times.append(time.perf_counter() - start)
        return statistics.median(times)
    finally:
        await listener.close()
        await sender.close()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


async def hook_latency(url_a: str, count: int) -> list[float]:
    async with httpx.AsyncClient(base_url=url_a, timeout=30) as client:
        response = await client.post(
            "/api/v1/workflows",
            params={"filename": "hooked.yaml"},
            content=webhooks.FLOW,
            headers={"Content-Type": "application/yaml"},
        )
        response.raise_for_status()
        return await webhooks.latency(client, count)


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    pg = os.environ.get("XENE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
    store = webhooks.fresh_db(pg)
    with tempfile.TemporaryDirectory(prefix="xene-peers-") as tmp, pair(store, Path(tmp)) as urls:
        print("\nwebhook sent to server A, run started by server B, postgres store")
        lat = asyncio.run(hook_latency(urls[0], args.runs))
        print(f"  webhook -> run started  p50 {ms(statistics.median(lat))}   "
              f"p99 {ms(webhooks.percentile(lat, 0.99))}")  # fmt: skip
        print(f"  floor: HTTP round trip  p50 {ms(http_floor(urls[0]))}")
        print(f"  floor: NOTIFY -> LISTEN p50 {ms(asyncio.run(notify_floor(store)))}")


if __name__ == "__main__":
    main()
