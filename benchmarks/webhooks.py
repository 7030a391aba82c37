"""Webhook-started runs of a three-node flow, through a real `xene serve`.

    python benchmarks/webhooks.py [--runs 200] [--store sqlite|postgres]

Latency: from sending the webhook to the run's recorded start (`started_at`, same
machine clock), p50 and p99, one webhook at a time. Throughput: webhooks sent 8 at a
time, runs per second until every run has ended.

XENE_BENCH_PORT: the first port servers listen on (else free ones); XENE_BENCH_DB: the
name of the PostgreSQL database made anew for each measurement (default xene_bench),
so that benchmarks run side by side do not share one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

FLOW = """\
name: hooked
version: "1.0"
triggers:
  - {id: order, type: webhook}
nodes:
  check: {type: std::switch, config: {condition: {type: greater_than, field: total, value: 100}}}
  big: {type: std::map, config: {mappings: [{from: total, to: amount}]}}
  small: {type: std::map, config: {mappings: [{from: total, to: amount}]}}
edges:
  - {from: order, to: check}
  - {from: check.true, to: big}
  - {from: check.false, to: small}
"""
FINAL = {"Success", "Error", "Cancelled"}


def free_port(offset: int = 0) -> int:
    """$XENE_BENCH_PORT + offset, else a free port."""
    if os.environ.get("XENE_BENCH_PORT"):
        return int(os.environ["XENE_BENCH_PORT"]) + offset
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


async def wait_all(client: httpx.AsyncClient, ids: list[str]) -> dict[str, dict[str, object]]:
    done: dict[str, dict[str, object]] = {}
    while len(done) < len(ids):
        for run_id in ids:
            if run_id in done:
                continue
            record = (await client.get(f"/api/v1/runs/{run_id}")).json()
            if record.get("state") in FINAL:
                done[run_id] = record
        await asyncio.sleep(0.02)
    return done


async def fire(client: httpx.AsyncClient, total: int) -> str:
    response = await client.post("/api/v1/hooks/hooked/order", json={"total": total})
    response.raise_for_status()
    return str(response.json()["runs"][0])


async def latency(client: httpx.AsyncClient, count: int) -> list[float]:
    sent, ids = [], []
    for i in range(count):
        sent.append(time.time())
        ids.append(await fire(client, i))
        await wait_all(client, ids[-1:])
    records = await wait_all(client, ids)
    return [float(records[r]["started_at"] or 0) - s for r, s in zip(ids, sent, strict=True)]


async def throughput(client: httpx.AsyncClient, count: int) -> float:
    gate = asyncio.Semaphore(8)

    async def one(i: int) -> str:
        async with gate:
            return await fire(client, i)

    start = time.perf_counter()
    ids = await asyncio.gather(*(one(i) for i in range(count)))
    await wait_all(client, list(ids))
    return count / (time.perf_counter() - start)


async def measure(url: str, runs: int) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.post(
            "/api/v1/workflows",
            params={"filename": "hooked.yaml"},
            content=FLOW,
            headers={"Content-Type": "application/yaml"},
        )
        response.raise_for_status()
        lat = await latency(client, max(runs // 4, 20))
        rate = await throughput(client, runs)
    print(
        f"  webhook -> run started  p50 {statistics.median(lat) * 1000:7.1f} ms   "
        f"p99 {percentile(lat, 0.99) * 1000:7.1f} ms"
    )
    print(f"  sustained               {rate:7.1f} runs/s (8 webhooks in flight)")


def serve(store: str, port: int, *options: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "xene.cli.main", "serve", "--no-auth", "--port",
               str(port), "--store", store, "--capacity", "8", "--rate-limit", "0",
               *options]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("xene serve did not become ready")


def fresh_db(url: str) -> str:
    """An empty database $XENE_BENCH_DB (`xene_bench`) on the server of `url`, made anew."""
    import psycopg

    name = os.environ.get("XENE_BENCH_DB", "xene_bench")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--store", choices=("sqlite", "postgres"), action="append")
    args = parser.parse_args()
    pg = os.environ.get("XENE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
    for kind in args.store or ["sqlite", "postgres"]:
        with tempfile.TemporaryDirectory(prefix="xene-hooks-") as tmp:
            store = f"sqlite:///{Path(tmp) / 'runs.db'}" if kind == "sqlite" else fresh_db(pg)
            port = free_port()
            print(f"\nwebhooks, three-node flow, {kind} store")
            proc = serve(store, port)
            try:
                asyncio.run(measure(f"http://127.0.0.1:{port}", args.runs))
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
