"""Remote agents: `xene serve --no-agent` on PostgreSQL and `xene agent` processes over
mutual TLS, all on this machine.

    python benchmarks/agents.py [--only throughput,latency,chain,rss] [--runs 400]
                                [--agents 1,2,4] [--capacity 4] [--samples 50] [--repeat 3]

throughput  trivial one-node runs queued beforehand, then 1, 2 and 4 agents started:
            completed runs per second from the moment all are online (the runs ended
            since, over the time since), and the server's CPU seconds per run (utime +
            stime from /proc over the same time: claims, commits, heartbeats, long
            polls), the agents' beside it.
latency     one run at a time with an idle agent waiting (long-polling): queued ->
            started (the run's `created_at` -> `started_at`), p50 and p99; target p99
            <= 50 ms. Beside it the built-in agent of a server, and the floor: an HTTPS
            round trip to the server (`GET /health`).
chain       chain-500 (500 no-op nodes in a chain) through a remote agent and through the
            built-in one, the run's queued -> end (and start -> end), median of 3 x
            --repeat runs; target <= 2x. The floor: the same chain as asyncio tasks.
rss         an idle agent's resident memory once registered (target <= 30 MiB), and
            after it ran a run (the engine loaded); the floor: a bare Python process.

PostgreSQL: a database named after the one in `XENE_BENCH_PG` (default
postgresql://postgres@127.0.0.1:5432/test) with `_agents` added (`XENE_BENCH_DB` names
another), made anew for each server. Ports: free ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import floors
import webhooks
import workloads

from xene import certs

XENE = [sys.executable, "-m", "xene.cli.main"]
TRIVIAL = {
    "name": "trivial",
    "version": "1.0",
    "nodes": {"n": {"type": workloads.NOOP, "config": workloads.NOOP_CONFIG}},
}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """The process's CPU seconds so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"process {pid} has no VmRSS")


def percentile(values: Sequence[float], q: float) -> float:
    return webhooks.percentile(list(values), q)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


class Home:
    """A XENE_HOME with a CA, a server certificate for 127.0.0.1 and agents' ones."""

    def __init__(self, folder: Path, agents: int) -> None:
        self.dir = folder
        now = dt.datetime.now(dt.UTC)
        ca = certs.new_ca("Xene bench CA", now)
        self._write("ca", ca)
        self._write("server", certs.issue(ca, "server", "localhost", now, hosts=["127.0.0.1"]))
        for i in range(agents):
            self._write(f"agent-{i}", certs.issue(ca, "agent", f"bench-{i}", now))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("XENE_")}
        self.env["XENE_HOME"] = str(folder)

    def _write(self, stem: str, pair: certs.Pair) -> None:
        (self.dir / f"{stem}.pem").write_bytes(pair.cert_pem)
        key = self.dir / f"{stem}.key"
        key.write_bytes(pair.key_pem)
        key.chmod(0o600)

    def file(self, name: str) -> str:
        return str(self.dir / name)

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.file("ca.pem"))


def spawn(home: Home, *argv: str) -> subprocess.Popen[bytes]:
    with open(home.dir / "processes.log", "ab") as log:
        return subprocess.Popen([*XENE, *argv], stdout=log, stderr=log, env=home.env)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for(
    check: Callable[[], bool], what: str, deadline_s: float = 60, every_s: float = 0.01
) -> None:
    end = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > end:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(every_s)


@contextmanager
def server(home: Home, builtin: bool = False) -> Iterator[tuple[httpx.Client, int]]:
    """A fresh database and `xene serve` on it over mutual TLS (no tokens: the agents are
    named by their certificates): a client of its API and its pid."""
    pg = os.environ.get("XENE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
    port = webhooks.free_port()
    proc = spawn(
        home, "serve", "--no-auth", "--port", str(port), "--store", fresh_db(pg),
        "--tls-cert", home.file("server.pem"), "--tls-key", home.file("server.key"),
        "--client-ca", home.file("ca.pem"), "--rate-limit", "0", "--max-queued", "0",
        "--capacity", "4", "--grace", "0", *([] if builtin else ["--no-agent"]),
    )  # fmt: skip
    root = f"https://127.0.0.1:{port}"
    client = httpx.Client(base_url=root + "/api/v1", verify=home.context(), timeout=30)
    try:
        wait_for(lambda: _ready(client, proc), "xene serve to be ready")
        yield client, proc.pid
    finally:
        client.close()
        stop(proc)


def _ready(client: httpx.Client, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise SystemExit(f"xene serve exited {proc.returncode}: see processes.log")
    try:
        return client.get(root_of(client) + "/ready").is_success
    except httpx.TransportError:
        return False


def root_of(client: httpx.Client) -> str:
    """The server's own URL, without the API's prefix."""
    return str(client.base_url).rstrip("/").removesuffix("/api/v1")


def fresh_db(url: str) -> str:
    import psycopg

    base, _, name = url.partition("?")[0].rpartition("/")
    fresh = os.environ.get("XENE_BENCH_DB") or f"{name or 'xene'}_agents"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{fresh}"')
    return f"{base}/{fresh}"


def agent(home: Home, client: httpx.Client, i: int, capacity: int) -> subprocess.Popen[bytes]:
    """`xene agent` number i, started and waited for until the server lists it online."""
    (proc,) = agents_online(home, client, [i], capacity)
    return proc


def agents_online(
    home: Home, client: httpx.Client, numbers: Sequence[int], capacity: int
) -> list[subprocess.Popen[bytes]]:
    """Agents started at once, returned when the server lists every one online."""
    procs = {i: spawn(home, *agent_argv(home, root_of(client), i, capacity)) for i in numbers}
    for i, proc in procs.items():
        wait_for(partial(_online, client, f"bench-{i}", proc), f"agent bench-{i} online")
    return list(procs.values())


def agent_argv(home: Home, url: str, i: int, capacity: int) -> list[str]:
    return [
        "agent", "--server", url, "--cert", home.file(f"agent-{i}.pem"),
        "--key", home.file(f"agent-{i}.key"), "--ca", home.file("ca.pem"),
        "--capacity", str(capacity), "--grace", "0",
    ]  # fmt: skip


def _online(client: httpx.Client, name: str, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise SystemExit(f"xene agent exited {proc.returncode}: see processes.log")
    listed = {a["name"]: a["state"] for a in client.get("/agents").json()["agents"]}
    return listed.get(name) == "online"


def apply(client: httpx.Client, flow: dict[str, Any]) -> None:
    answer = client.post(
        "/workflows",
        params={"filename": f"{flow['name']}.json"},
        content=json.dumps(flow),
        headers={"Content-Type": "application/json"},
    )
    answer.raise_for_status()


def trigger(client: httpx.Client, name: str) -> str:
    answer = client.post(f"/workflows/{name}/pipelines/{name}/runs", json={})
    answer.raise_for_status()
    return str(answer.json()["run_id"])


def final(client: httpx.Client, run_id: str, every_s: float = 0.01) -> dict[str, Any]:
    """The run once ended (it must succeed). The figures are the run's recorded times,
    so polling seldom costs none of them, where polling often would load the server (the
    built-in agent's own process)."""
    while True:
        run: dict[str, Any] = client.get(f"/runs/{run_id}").json()
        if run["state"] in webhooks.FINAL:
            if run["state"] != "Success":
                raise SystemExit(f"run {run_id} ended {run['state']}: {run['error']}")
            return run
        time.sleep(every_s)


def idle(client: httpx.Client) -> bool:
    """No run unfinished: one cheap request per state (see webhooks.wait_idle)."""
    for state in ("WaitingForExecutor", "Running"):
        if client.get("/runs", params={"state": state, "limit": 1}).json()["runs"]:
            return False
    return True


def throughput(home: Home, agents: int, runs: int, capacity: int) -> tuple[float, float, float]:
    """(runs per second, server CPU s per run, agents' CPU s per run) through `agents`,
    counted from the moment all are online (the first ones start on the queue sooner)."""
    with server(home) as (client, pid):
        apply(client, TRIVIAL)
        for _ in range(runs):
            trigger(client, "trivial")
        procs = agents_online(home, client, range(agents), capacity)
        try:
            pids = [pid, *(p.pid for p in procs)]
            t_on, cpu_on = time.time(), [cpu_s(p) for p in pids]
            # Seldom: the server's CPU answering these polls would count as the runs'.
            wait_for(lambda: idle(client), "every run to end", 600, every_s=0.25)
            cpu = [cpu_s(p) - c for p, c in zip(pids, cpu_on, strict=True)]
        finally:
            for proc in procs:
                stop(proc)
        done = client.get("/runs", params={"limit": runs}).json()["runs"]
    if len(done) != runs or any(r["state"] != "Success" for r in done):
        raise SystemExit(f"{sum(r['state'] == 'Success' for r in done)} of {runs} succeeded")
    ended = [r["ended_at"] for r in done if r["ended_at"] >= t_on]
    if len(ended) < runs // 4:
        raise SystemExit(f"only {len(ended)} runs ended once all agents were online: queue more")
    return len(ended) / (max(ended) - t_on), cpu[0] / len(ended), sum(cpu[1:]) / len(ended)


def queued_to_started(client: httpx.Client, samples: int) -> list[float]:
    apply(client, TRIVIAL)
    final(client, trigger(client, "trivial"))  # warm: the agent's engine imported
    ids = []
    for _ in range(samples):
        time.sleep(0.05)  # the agent is back in its long poll, idle
        ids.append(final(client, trigger(client, "trivial"))["id"])
    listed = client.get("/runs", params={"workflow": "trivial", "limit": samples + 1})
    runs = {r["id"]: r for r in listed.json()["runs"]}
    return [runs[i]["started_at"] - runs[i]["created_at"] for i in ids]


def round_trip(client: httpx.Client, count: int = 50) -> float:
    url = root_of(client) + "/health"
    times = []
    for _ in range(count):
        start = time.perf_counter()
        client.get(url).raise_for_status()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def chain_times(client: httpx.Client, repeat: int) -> list[tuple[float, float]]:
    """(start -> end, queued -> end) of each run of chain-500."""
    apply(client, workloads.as_flow(workloads.chain(500)))
    final(client, trigger(client, "chain-500"))  # warm
    ids = []
    for _ in range(repeat):
        run = final(client, trigger(client, "chain-500"), every_s=0.1)
        if [n["state"] for n in run["nodes"]] != ["Success"] * 500:
            raise SystemExit(f"run {run['id']} did not run its 500 nodes")
        ids.append(run["id"])
    listed = client.get("/runs", params={"workflow": "chain-500", "limit": repeat + 1})
    runs = {r["id"]: r for r in listed.json()["runs"]}
    return [
        (runs[i]["ended_at"] - runs[i]["started_at"], runs[i]["ended_at"] - runs[i]["created_at"])
        for i in ids
    ]


def bench_throughput(home: Home, args: argparse.Namespace) -> None:
    print(f"\ntrivial runs through remote agents (capacity {args.capacity} each), "
          f"{args.runs} queued, postgres store, median of {args.repeat}")  # fmt: skip
    for count in args.agents:
        figures = [throughput(home, count, args.runs, args.capacity) for _ in range(args.repeat)]
        rate, server_cpu, agent_cpu = (statistics.median(f[i] for f in figures) for i in range(3))
        plural = "s" if count > 1 else " "
        print(
            f"  {count} agent{plural}  {rate:7.1f} runs/s   server CPU {server_cpu * 1000:5.2f} "
            f"ms/run   agents' CPU {agent_cpu * 1000:5.2f} ms/run"
        )


def bench_latency(home: Home, args: argparse.Namespace) -> None:
    print(f"\nqueued -> started, one run at a time, {args.samples} runs, postgres store")
    for builtin in (False, True):
        with server(home, builtin) as (client, _):
            procs = [] if builtin else [agent(home, client, 0, 1)]
            try:
                waits = queued_to_started(client, args.samples)
                floor = round_trip(client)
            finally:
                for proc in procs:
                    stop(proc)
        who = "built-in agent      " if builtin else "remote agent (idle) "
        target = "" if builtin else "   (target p99 <= 50 ms)"
        p50, p99 = statistics.median(waits), percentile(waits, 0.99)
        print(f"  {who} p50 {ms(p50)}   p99 {ms(p99)}{target}")
    print(f"  floor: HTTPS round trip (GET /health)  p50 {ms(floor)}")


def bench_chain(home: Home, args: argparse.Namespace) -> None:
    repeat = args.repeat * 3  # a run is milliseconds: more of them
    print(f"\nchain-500, one run at a time, postgres store, median of {repeat}")
    medians = {}
    for builtin in (True, False):
        with server(home, builtin) as (client, _):
            procs = [] if builtin else [agent(home, client, 0, 1)]
            try:
                times = chain_times(client, repeat)
            finally:
                for proc in procs:
                    stop(proc)
        medians[builtin] = [statistics.median(t[i] for t in times) for i in (0, 1)]
    # queued -> end is what a user waits. start -> end leaves out the claim and the
    # pipeline's loading (a remote agent parses the run's source each time), and a remote
    # agent's commits go to its spool, sent behind: no store round trip is inside it.
    for i, what in ((1, "queued -> end"), (0, "start -> end ")):
        ratio = medians[False][i] / medians[True][i]
        target = "   (target <= 2x)" if i else ""
        print(f"  {what}  built-in agent {ms(medians[True][i])}   remote agent "
              f"{ms(medians[False][i])}   {ratio:4.2f}x{target}")  # fmt: skip
    start = time.perf_counter()
    floors.chain_asyncio(500)
    print(f"  floor: 500 asyncio tasks in a chain  {ms(time.perf_counter() - start)}")


def bench_rss(home: Home, args: argparse.Namespace) -> None:
    print("\nagent resident memory (VmRSS)")
    with server(home) as (client, _):
        proc = agent(home, client, 0, 1)
        try:
            time.sleep(2.0)  # a few heartbeats and long polls: settled
            idle_mib = rss_mib(proc.pid)
            apply(client, TRIVIAL)
            final(client, trigger(client, "trivial"))
            after_mib = rss_mib(proc.pid)
        finally:
            stop(proc)
    bare = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.5)
        floor_mib = rss_mib(bare.pid)
    finally:
        bare.kill()
        bare.wait()
    print(f"  idle, registered   {idle_mib:6.1f} MiB   (target <= 30 MiB)")
    print(f"  after one run      {after_mib:6.1f} MiB   (the engine loaded)")
    print(f"  floor: bare python {floor_mib:6.1f} MiB")


BENCHES = {
    "throughput": bench_throughput,
    "latency": bench_latency,
    "chain": bench_chain,
    "rss": bench_rss,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=",".join(BENCHES), help="which, comma separated")
    parser.add_argument("--runs", type=int, default=400, help="runs queued for throughput")
    parser.add_argument("--agents", type=lambda s: [int(n) for n in s.split(",")],
                        default=[1, 2, 4], help="agent counts for throughput")  # fmt: skip
    parser.add_argument("--capacity", type=int, default=4, help="each agent's, for throughput")
    parser.add_argument("--samples", type=int, default=50, help="runs for latency")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xene-agents-") as tmp:
        home = Home(Path(tmp), max([*args.agents, 1]))
        for name in args.only.split(","):
            BENCHES[name](home, args)


if __name__ == "__main__":
    main()
