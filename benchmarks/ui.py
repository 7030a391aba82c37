"""The web UI's figures, through a real `xene serve`.

    python benchmarks/ui.py [--only runs-list] [--repeat 7] [--runs 100000]

runs-list: GET /runs (the page, as a browser asks for it) and GET /api/v1/runs with
100,000 stored runs, on SQLite and PostgreSQL (`XENE_BENCH_PG`), for the first page, a
page 50,000 runs deep (the cursor) and each filter, alone and combined: median of
`--repeat` requests after one to warm up (target: under 200 ms). The runs are written
straight into the store's tables after it is migrated (as the store writes them, ids
time-sortable), so filling it takes seconds, not the hours 100,000 real runs would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers
import webhooks

from xene.engine.clock import new_id
from xene.store import open_store

PG = os.environ.get("XENE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm: the server's caches, the database's pages
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


# -- runs-list (the runs list, /runs, with 100,000 stored runs) ---------------------------
WORKFLOWS = [("ci", "build"), ("ci", "test"), ("nightly", "report"), ("deploy", "ship")]
TRIGGERS = ["push", "nightly", None]
T0 = 1_764_000_000.0
COLUMNS = (
    "id, workflow, pipeline, state, input_json, error, created_at, started_at, ended_at, "
    "source_path, source_text, source_format, owner, lease_until, epoch, trigger_name"
)


def run_rows(count: int) -> list[tuple[Any, ...]]:
    """`count` ended runs, oldest first, one every 6 s: 2% failed, 0.5% cancelled."""
    rows = []
    for i in range(count):
        at = T0 + i * 6
        workflow, pipeline = WORKFLOWS[i % len(WORKFLOWS)]
        state, error = "Success", None
        if i % 50 == 7:
            state, error = "Error", "work: step 'fail' exited with code 3"
        elif i % 200 == 11:
            state = "Cancelled"
        rows.append((
            new_id(at), workflow, pipeline, state, json.dumps({"n": i}), error, at, at + 1,
            at + 3, "flow.yaml", "name: x", "flow", "", 0.0, 1, TRIGGERS[i % 3],
        ))  # fmt: skip
    return rows


async def fill(store_url: str, rows: list[tuple[Any, ...]]) -> None:
    store = await open_store(store_url)  # migrated: the schema as a server has it
    await store.close()
    marks = ", ".join("?" for _ in range(16))
    if store_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(store_url.removeprefix("sqlite:///")) as db:
            db.executemany(
                f"INSERT INTO runs ({COLUMNS}, run_key) VALUES ({marks}, ?)",
                [(*row, key) for key, row in enumerate(rows, 1)],
            )
            db.execute("ANALYZE")
        return
    import psycopg

    with psycopg.connect(store_url, autocommit=True) as db:
        with db.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO runs ({COLUMNS}) VALUES ({marks.replace('?', '%s')})", rows
            )
        db.execute("VACUUM ANALYZE runs")


def list_queries(rows: list[tuple[Any, ...]]) -> list[tuple[str, dict[str, str]]]:
    middle = rows[len(rows) // 2]
    mid_time = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(middle[6]))
    return [
        ("first page", {}),
        ("50,000 runs deep (cursor)", {"before": middle[0]}),
        ("state=Error (2%)", {"state": "Error"}),
        ("state=Cancelled (0.5%)", {"state": "Cancelled"}),
        ("workflow + pipeline", {"workflow": "ci", "pipeline": "test"}),
        ("trigger=nightly", {"trigger": "nightly"}),
        ("trigger=- (by hand)", {"trigger": "-"}),
        ("id prefix (10 chars)", {"id": middle[0][:10]}),
        ("created_after (newer half)", {"created_after": mid_time}),
        ("created_before (older half)", {"created_before": mid_time}),
        ("workflow + Error + before", {"workflow": "ci", "state": "Error",
                                       "created_before": mid_time}),
        ("Cancelled, 2nd page", {"state": "Cancelled", "before": middle[0]}),
    ]  # fmt: skip


@contextmanager
def serving(store_url: str) -> Iterator[httpx.Client]:
    port = webhooks.free_port()
    proc = webhooks.serve(store_url, port, "--no-agent")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        peers.stop(proc)


def runs_list(repeat: int, count: int) -> None:
    rows = run_rows(count)
    print(f"\nruns-list: GET /runs with {count:,} stored runs, median of {repeat} (ms)")
    with tempfile.TemporaryDirectory() as tmp:
        stores = [("SQLite", f"sqlite:///{tmp}/runs.db"), ("PostgreSQL", None)]
        for name, given in stores:
            try:
                url = given or webhooks.fresh_db(PG)
            except Exception as error:  # no PostgreSQL here: say so, measure the rest
                print(f"  {name}: skipped ({error})")
                continue
            started = time.perf_counter()
            asyncio.run(fill(url, rows))
            print(f"  {name} (filled in {time.perf_counter() - started:.1f} s)")
            print(f"    {'query':32} {'page /runs':>11} {'API':>8} {'rows':>5}")
            with serving(url) as client:
                for label, params in list_queries(rows):
                    _one(client, label, params, repeat)


def _one(client: httpx.Client, label: str, params: dict[str, str], repeat: int) -> None:
    page = client.get("/runs", params=params, headers={"accept": "text/html"})
    assert page.status_code == 200, page.text[:300]
    api = client.get("/api/v1/runs", params=params)
    shown = len(api.json()["runs"])
    page_ms = median_ms(
        lambda: client.get("/runs", params=params, headers={"accept": "text/html"}), repeat
    )
    api_ms = median_ms(lambda: client.get("/api/v1/runs", params=params), repeat)
    print(f"    {label:32} {page_ms:11.1f} {api_ms:8.1f} {shown:5}")


# -- main -------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated parts: runs-list")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--runs", type=int, default=100_000, help="runs stored (runs-list)")
    args = parser.parse_args()
    wanted = set(filter(None, args.only.split(",")))
    if not wanted or "runs-list" in wanted:
        runs_list(args.repeat, args.runs)


if __name__ == "__main__":
    main()
