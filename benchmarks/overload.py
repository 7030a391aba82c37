"""Back-pressure: more webhooks than a real `xene serve` can run, for a while.

    python benchmarks/overload.py [--clients 32] [--seconds 10] [--store postgres]
                                  [--max-queued 0,1000,200]

For each bound (0: none), a fresh store and server; `--clients` senders post webhooks of
the three-node flow of webhooks.py as fast as they are answered, for `--seconds`. Printed:
webhooks accepted (202) and refused (503) per second, runs completed per second while
flooded, created -> started p50/p99 of the accepted runs, and how many accepted runs did
not end in Success once the queue drained (must be 0: nothing accepted is lost).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import webhooks

DRAIN_S = 600.0


async def flood(client: httpx.AsyncClient, clients: int, seconds: float) -> tuple[int, int]:
    """Webhooks accepted and refused by the deadline."""
    deadline = time.monotonic() + seconds
    counts = {202: 0, 503: 0}

    async def sender() -> None:
        while time.monotonic() < deadline:
            response = await client.post("/api/v1/hooks/hooked/order", json={"total": 1})
            if response.status_code not in counts:
                raise SystemExit(f"unexpected answer {response.status_code}: {response.text}")
            counts[response.status_code] += 1

    await asyncio.gather(*(sender() for _ in range(clients)))
    return counts[202], counts[503]


async def runs(client: httpx.AsyncClient) -> list[dict[str, object]]:
    """Every run, through the paged list."""
    found: list[dict[str, object]] = []
    cursor: str | None = None
    while True:
        params = {"limit": "500", **({"before": cursor} if cursor else {})}
        page = (await client.get("/api/v1/runs", params=params)).json()
        found += page["runs"]
        cursor = page.get("next")
        if not cursor:
            return found


async def drained(client: httpx.AsyncClient) -> list[dict[str, object]]:
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline:
        found = await runs(client)
        if all(r["state"] in webhooks.FINAL for r in found):
            return found
        await asyncio.sleep(0.5)
    raise SystemExit("the queue did not drain")


async def measure(url: str, clients: int, seconds: float) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        response = await client.post(
            "/api/v1/workflows",
            params={"filename": "hooked.yaml"},
            content=webhooks.FLOW,
            headers={"Content-Type": "application/yaml"},
        )
        response.raise_for_status()
        began = time.time()
        accepted, refused = await flood(client, clients, seconds)
        ended = time.time()
        found = await drained(client)
    done = [r for r in found if r["ended_at"] and float(str(r["ended_at"])) <= ended]
    waits = [float(str(r["started_at"])) - float(str(r["created_at"])) for r in found]
    lost = accepted - sum(1 for r in found if r["state"] == "Success")
    print(
        f"  accepted {accepted / seconds:6.1f}/s  refused (503) {refused / seconds:7.1f}/s  "
        f"completed while flooded {len(done) / (ended - began):6.1f}/s"
    )
    print(
        f"  created -> started  p50 {statistics.median(waits) * 1000:8.1f} ms   "
        f"p99 {webhooks.percentile(waits, 0.99) * 1000:8.1f} ms   lost {lost}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--max-queued", default="0,1000,200")
    args = parser.parse_args()
    pg = os.environ.get("XENE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
    for bound in args.max_queued.split(","):
        with tempfile.TemporaryDirectory(prefix="xene-overload-") as tmp:
            kind = args.store
            store = (
                f"sqlite:///{Path(tmp) / 'runs.db'}" if kind == "sqlite" else webhooks.fresh_db(pg)
            )
            port = webhooks.free_port()
            print(
                f"\n{args.clients} clients for {args.seconds:g} s, {kind} store, "
                f"--max-queued {bound}"
            )
            proc = webhooks.serve(store, port, "--max-queued", bound)
            try:
                asyncio.run(measure(f"http://127.0.0.1:{port}", args.clients, args.seconds))
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)


if __name__ == "__main__":
    main()
