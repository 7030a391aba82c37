"""Webhook-started runs of a three-node flow, through a real `xene serve`.

    python benchmarks/webhooks.py [--runs 200] [--store memory|sqlite|postgres] [--repeat 5]
                                  [--port N] [--client lean|httpx]

Latency: from sending the webhook to the run's recorded start (`started_at`, same
machine clock), p50 and p99, one webhook at a time. Throughput: webhooks sent 8 at a
time, runs per second until no run is unfinished (polled with one request per state,
not per run). The memory store is the floor: the same server and client with nothing
kept. Each figure is the median of `--repeat` servers, each started anew on an empty
store.

The client shares the cores with the server: the webhooks go out on kept-alive sockets
(keepalive.py), since httpx would cost the cores about as much per webhook as the
server's whole run (`--client httpx` measures it that way all the same).

PostgreSQL: a database named after the one in `XENE_BENCH_PG` (default
postgresql://postgres@127.0.0.1:5432/test) with `_hooks` added, dropped and made anew
for each server (`XENE_BENCH_DB` names another). The port: `--port`, else
`XENE_BENCH_PORT` (the first of the ports servers listen on), else one the system picks.
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
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from keepalive import KeepAlive

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
HOOK = "/api/v1/hooks/hooked/order"
CLIENTS = 8


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


Fire = Callable[[int], Awaitable[str]]
"""Sends one webhook (its `total`), returns the id of the run it started."""


def httpx_fire(client: httpx.AsyncClient) -> Fire:
    async def fire(total: int) -> str:
        response = await client.post(HOOK, json={"total": total})
        response.raise_for_status()
        return str(response.json()["runs"][0])

    return fire


def lean_fire(lean: KeepAlive) -> Fire:
    async def fire(total: int) -> str:
        status, answer = await lean.post_json(HOOK, {"total": total})
        if status != 202:
            raise SystemExit(f"the webhook answered {status}: {answer}")
        return str(answer["runs"][0])

    return fire


async def latency(client: httpx.AsyncClient, fire: Fire, count: int) -> list[float]:
    sent, ids = [], []
    for i in range(count):
        sent.append(time.time())
        ids.append(await fire(i))
        await wait_all(client, ids[-1:])
    records = await wait_all(client, ids)
    return [float(records[r]["started_at"] or 0) - s for r, s in zip(ids, sent, strict=True)]


async def throughput(client: httpx.AsyncClient, fire: Fire, count: int) -> float:
    gate = asyncio.Semaphore(CLIENTS)

    async def one(i: int) -> str:
        async with gate:
            return await fire(i)

    start = time.perf_counter()
    ids = await asyncio.gather(*(one(i) for i in range(count)))
    await wait_idle(client)
    elapsed = time.perf_counter() - start
    await wait_all(client, list(ids))  # every run has ended, as a check (not timed)
    return count / elapsed


UNFINISHED = ("WaitingForExecutor", "Running")
"""The states a webhook's run passes through before it ends (no approvals here)."""


async def wait_idle(client: httpx.AsyncClient) -> None:
    """Until no run of the workflow is unfinished: one cheap request per state and poll,
    where asking for each run would make the client (on the same cores) the bottleneck."""
    while True:
        for state in UNFINISHED:
            page = await client.get(
                "/api/v1/runs", params={"workflow": "hooked", "state": state, "limit": 1}
            )
            if page.json()["runs"]:
                break
        else:
            return
        await asyncio.sleep(0.02)


async def measure(port: int, runs: int, client_kind: str) -> tuple[float, float, float]:
    """(p50 latency, p99 latency, runs per second)."""
    url = f"http://127.0.0.1:{port}"
    lean = KeepAlive("127.0.0.1", port, CLIENTS)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        fire = httpx_fire(client) if client_kind == "httpx" else lean_fire(lean)
        response = await client.post(
            "/api/v1/workflows",
            params={"filename": "hooked.yaml"},
            content=FLOW,
            headers={"Content-Type": "application/yaml"},
        )
        response.raise_for_status()
        lat = await latency(client, fire, max(runs // 4, 20))
        rate = await throughput(client, fire, runs)
    await lean.close()
    return statistics.median(lat), percentile(lat, 0.99), rate


def report(figures: list[tuple[float, float, float]]) -> None:
    p50, p99, rate = (statistics.median(f[i] for f in figures) for i in range(3))
    each = ", ".join(f"{f[2]:.0f}" for f in figures)
    print(f"  webhook -> run started  p50 {p50 * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms")
    print(f"  sustained               {rate:7.1f} runs/s (8 webhooks in flight; each: {each})")


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
    """An empty database named after the one in `url` plus `_hooks`, made anew each
    time: benchmarks beside each other (each with its own `XENE_BENCH_PG`) do not meet."""
    import psycopg

    base, _, name = url.partition("?")[0].rpartition("/")
    fresh = os.environ.get("XENE_BENCH_DB") or f"{name or 'xene'}_hooks"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{fresh}"')
    return f"{base}/{fresh}"


def store_url(kind: str, directory: Path, pg: str) -> str:
    if kind == "memory":
        return "memory://"
    return f"sqlite:///{directory / 'runs.db'}" if kind == "sqlite" else fresh_db(pg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--store", choices=("memory", "sqlite", "postgres"), action="append")
    parser.add_argument(
        "--client",
        choices=("lean", "httpx"),
        default="lean",
        help="what sends the webhooks: kept-alive sockets (default) or httpx, which "
        "costs the shared cores about as much per request as the server's whole run",
    )
    parser.add_argument("--repeat", type=int, default=5, help="servers per store (median)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("XENE_BENCH_PORT", "0")))
    args = parser.parse_args()
    pg = os.environ.get("XENE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
    for kind in args.store or ["memory", "sqlite", "postgres"]:
        print(f"\nwebhooks, three-node flow, {kind} store, median of {args.repeat} servers")
        figures = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="xene-hooks-") as tmp:
                port = args.port or free_port()
                proc = serve(store_url(kind, Path(tmp), pg), port)
                try:
                    figures.append(asyncio.run(measure(port, args.runs, args.client)))
                finally:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=30)
        report(figures)


if __name__ == "__main__":
    main()
