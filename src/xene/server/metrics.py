"""Prometheus metrics of a server: runs, nodes, queue, triggers, webhooks.

One registry per server (not the process-global default), so tests can build many.
"""

from __future__ import annotations

from collections import Counter as Counter_
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from xene.core.records import Listener, NodeRecord, RunRecord
from xene.core.states import State


class Metrics(Listener):
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.runs_started = Counter(
            "xene_runs_started", "Runs started", ["workflow", "pipeline"], registry=r
        )
        self.runs_finished = Counter(
            "xene_runs_finished", "Runs finished, by final state", ["state"], registry=r
        )
        self.nodes = Counter(
            "xene_node_executions", "Node executions that ended, by state", ["state"], registry=r
        )
        self.node_seconds = Histogram(
            "xene_node_duration_seconds", "Node execution time", registry=r
        )
        self.queue_depth = Gauge("xene_queue_depth", "Runs waiting for an executor", registry=r)
        self.active_runs = Gauge("xene_active_runs", "Runs executing in this server", registry=r)
        self.trigger_fires = Counter(
            "xene_trigger_fires", "Trigger fires that started runs", ["type"], registry=r
        )
        self.refused = Counter(
            "xene_runs_refused",
            "Runs not started because the queue was full, by trigger type",
            ["type"],
            registry=r,
        )
        self.webhook_seconds = Histogram(
            "xene_webhook_latency_seconds", "Webhook request to run created", registry=r
        )
        self._agents(r)

    def _agents(self, r: CollectorRegistry) -> None:
        self.agents = Gauge(
            "xene_agents", "Agents known, by state (online, draining, lost)", ["state"], registry=r
        )
        self.claims = Counter(
            "xene_runs_claimed",
            "Runs claimed by an agent: the built-in one, or a remote one",
            ["agent"],
            registry=r,
        )
        self.lease_expiries = Counter(
            "xene_lease_expiries",
            "Runs claimed from an executor whose lease ended (or that left them)",
            registry=r,
        )
        self.fenced_writes = Counter(
            "xene_fenced_writes",
            "Commits of remote agents refused: the run's lease had moved on",
            registry=r,
        )

    def run_changed(self, run: RunRecord) -> None:
        if run.state.finished:
            self.runs_finished.labels(str(run.state)).inc()

    def node_changed(self, run: RunRecord, node: NodeRecord) -> None:
        if node.state in (State.SUCCESS, State.ERROR, State.CANCELLED) and node.started_at:
            self.nodes.labels(str(node.state)).inc()
            if node.ended_at is not None:
                self.node_seconds.observe(max(node.ended_at - node.started_at, 0.0))

    def count_agents(self, states: Iterable[str]) -> None:
        """The agents gauge from each known agent's state (read as metrics are scraped)."""
        counts = Counter_(states)
        for state in ("online", "draining", "lost"):
            self.agents.labels(state).set(counts.get(state, 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)
