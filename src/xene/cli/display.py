"""How `xene run` shows a run: plain lines (pipes, CI logs), quiet, or JSON.

The live terminal view is in `xene.cli.live`; it shares the summary and the glyphs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TextIO

from xene.core.records import Listener, NodeRecord, RunRecord, StepRecord, seconds_text
from xene.core.states import State

GLYPH = {
    State.NOT_EXECUTED: "·",
    State.WAITING: "…",
    State.CONFIGURING: "…",
    State.RUNNING: "▶",
    State.SUCCESS: "✓",
    State.ERROR: "✗",
    State.ERROR_CONFIGURING: "✗",
    State.SUSPENDED: "⏸",
    State.CANCELLED: "⊘",
    State.SKIPPED: "↷",
}


class Display(Listener):
    """A listener that also frames each run and prints the end."""

    def begin(self, run: RunRecord) -> None:
        """A run is about to start."""

    def end(self, run: RunRecord) -> None:
        """A run has ended."""

    def summary(self, runs: Sequence[RunRecord]) -> None:
        """Every run has ended."""

    def pause(self) -> None:
        """Stop drawing (a question is about to be asked on the terminal)."""

    def resume(self) -> None:
        """Draw again."""


def duration(node: NodeRecord | RunRecord | StepRecord) -> str:
    if node.started_at is None:
        return ""
    if node.ended_at is None:
        return "…"
    return seconds_text(node.ended_at - node.started_at)


def describe_node(node: NodeRecord) -> str:
    """`✓ build  Success  1.2s  attempt 2` — one line for a node."""
    parts = [node.key, str(node.state), duration(node), details(node)]
    return f"{GLYPH[node.state]} " + "  ".join(p for p in parts if p)


def details(node: NodeRecord) -> str:
    """Progress of a split or loop, the attempt number, the error."""
    parts = []
    if node.progress is not None and node.type == "std::split":
        parts.append(f"{node.progress[0]}/{node.progress[1]} items")
    elif node.progress is not None and node.type == "std::loop":
        parts.append(f"iteration {node.progress[0]}")
    if node.attempt > 1:
        parts.append(f"attempt {node.attempt}")
    if node.error and node.state is not State.SUCCESS:
        parts.append(f"— {first_line(node.error)}")
    return "  ".join(parts)


def first_line(text: str) -> str:
    """An error's first line: a Python task's traceback follows it (`xene show`)."""
    return text.split("\n", 1)[0]


def run_line(run: RunRecord) -> str:
    where = f"{run.workflow}/{run.pipeline}" if run.workflow else run.pipeline
    text = f"{GLYPH[run.state]} run {run.id} ({where}) {run.state} in {duration(run)}"
    return f"{text}: {first_line(run.error)}" if run.error else text


def triggers_note(names: Sequence[str]) -> str:
    listed = ", ".join(names)
    return (
        f"triggers {listed} are listed, not started: `xene run` runs the pipelines now, "
        "once (cron and webhook triggers fire in server mode)"
    )


class PlainDisplay(Display):
    """One line per event: for logs, pipes and CI, where nothing is redrawn."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def begin(self, run: RunRecord) -> None:
        self._print(f"run {run.id}: {run.workflow}/{run.pipeline}")

    def node_changed(self, run: RunRecord, node: NodeRecord) -> None:
        if node.state is State.RUNNING and not node.scope and node.progress is None:
            if node.attempt <= 1:
                self._print(f"{GLYPH[node.state]} {node.key} started")
        elif node.state.finished and (not node.scope or node.state is State.ERROR):
            self._print(describe_node(node))

    def log(self, run: RunRecord, node: NodeRecord, step: str | None, line: str) -> None:
        where = f"{node.key}/{step}" if step else node.key
        self._print(f"  {where} │ {line}")

    def end(self, run: RunRecord) -> None:
        self._print(run_line(run))

    def summary(self, runs: Sequence[RunRecord]) -> None:
        if len(runs) > 1:
            ok = sum(r.succeeded for r in runs)
            self._print(f"{ok} of {len(runs)} pipelines succeeded")


class QuietDisplay(Display):
    """Only the outcome of each run, and why it failed."""

    def end(self, run: RunRecord) -> None:
        if not run.succeeded:
            for node in run.nodes.values():
                if node.state is State.ERROR and node.error:
                    print(f"{node.key}: {node.error}", file=sys.stderr)
        print(run_line(run))


class JsonDisplay(Display):
    """Nothing while running; the final run records as JSON on stdout."""

    def summary(self, runs: Sequence[RunRecord]) -> None:
        records = [r.to_dict() for r in runs]
        payload = records[0] if len(records) == 1 else records
        print(json.dumps(payload, indent=2, default=str))
