"""`xene show RUN`: one run as a tree of its tasks or nodes, their steps and outcomes."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from xene.cli import retried, stores
from xene.cli.display import first_line
from xene.core.states import State

if TYPE_CHECKING:
    from xene.core.records import NodeRecord, RunRecord, StepRecord
    from xene.store.base import RunRetry, ServerStore, StoredRun

HELP = "show one run: its tasks or nodes, their steps, outputs and errors"
DESCRIPTION = """\
Show one run from the store as a tree: each task (manifests) or node (flows) with its
state, duration, attempts, output and error, and under it its steps. The nodes that ran
once per item of a split or per iteration of a loop are grouped under that split or loop,
item by item.

RUN is a run id as `xene runs` prints it; the start of an id is enough when no other run
starts the same way.

Exit codes: 0 shown, 1 the store cannot be opened, 2 no such run (or an unknown store URL).

Examples:
  xene show 01hz3k4w7r…
  xene show 01hz3k --json | jq '.nodes[] | select(.state == "Error")'
"""

INDENT = "  "
OUTPUT_WIDTH = 100
SHOWN_ITEMS = 5
"""Split items or loop iterations shown in full before the rest are summed up."""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "show",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", metavar="RUN", help="the run's id, or a unique start of it")
    parser.add_argument(
        "--json", action="store_true", help="print the run record and its source as JSON"
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help=f"every split item and loop iteration (else the first {SHOWN_ITEMS}, and "
        "those that did not succeed)",
    )
    stores.add_store_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: show(args))


async def show(args: argparse.Namespace) -> int:
    async with stores.opened(args) as store:
        stored = await stores.find_run(store, args.run)
        waiting = await waiting_for(store, stored)
    if args.json:
        print(json.dumps(as_json(stored) | {"waiting_for": waiting}, indent=2, default=str))
    else:
        print_run(stored, every_item=args.all, waiting_for=waiting)
    return stores.EXIT_OK


async def waiting_for(store: stores.Opened, stored: StoredRun) -> str | None:
    """Why a queued run is not taken yet (no agent with its labels, or they are busy):
    as the server says (`--server`), else from the agents a server's store knows; None
    for any other run."""
    if stored.record.state is not State.WAITING:
        return None
    if not stores.is_local(store):
        return store.waiting_for(stored.record.id)
    return (await waiting_reasons(store, [stored])).get(stored.record.id)


async def waiting_reasons(store: ServerStore, queued: Sequence[StoredRun]) -> dict[str, str]:
    """`waiting_for` of each of the runs, with one read of the agents."""
    import time

    from xene.engine.options import LEASE_S
    from xene.service import agents

    needed = {s.record.id: labels_needed(s) for s in queued if s.record.state is State.WAITING}
    return await agents.waiting_reasons(store, needed, time.time(), LEASE_S)


def labels_needed(stored: StoredRun) -> tuple[str, ...]:
    """The labels the run's pipeline needs its agent to have."""
    from xene.engine.durable import pipeline_of_source

    try:
        return pipeline_of_source(stored.source).labels_needed
    except Exception:  # a definition that no longer loads: the run will say so
        return ()


def as_json(stored: StoredRun) -> dict[str, Any]:
    source = stored.source
    return stored.record.to_dict() | {
        "source": {
            "path": source.path,
            "format": source.format,
            "workflow": source.workflow,
            "pipeline": source.pipeline,
        },
        "started_at": stored.record.started_at,
        "ended_at": stored.record.ended_at,
        "owner": stored.owner,
        "owner_gone": _owner_gone(stored),
        "idempotency_key": stored.idempotency_key,
        "retries": [dataclasses.asdict(retry) for retry in stored.retries],
    }


def _owner_gone(stored: StoredRun) -> str | None:
    import time

    from xene.store.owners import owner_gone

    return owner_gone(stored.record.state, stored.owner, stored.lease_until, time.time())


def print_run(
    stored: StoredRun, *, every_item: bool = False, waiting_for: str | None = None
) -> None:
    run = stored.record
    where = f"{run.workflow}/{run.pipeline}" if run.workflow else run.pipeline
    state = f"{stores.glyph(run.state)} {run.state}"
    took = stores.elapsed(run.started_at, run.ended_at)
    print(f"run {run.id}  {where}  {state}  {took}".rstrip())
    _field("started", stores.when(run.started_at), 1)
    gone = _owner_gone(stored)
    if gone:
        from xene.store.owners import resume_hint

        _field("owner", f"gone: {gone}; {resume_hint(run.id)}", 1)
    if waiting_for:
        _field("waiting", waiting_for, 1)
    _field("source", f"{stored.source.path} ({stored.source.format})", 1)
    if run.input is not None:
        _field("input", short_json(run.input), 1)
    if run.error:
        _field("error", first_line(run.error), 1)
    for retry in stored.retries:
        _field(f"retry {retry.number}", retried.retry_line(retry), 1)
    print()
    Tree(run, every_item=every_item, retries=stored.retries).print()


class Tree:
    """Top-level nodes in record order; scoped ones under the split or loop they ran in."""

    def __init__(
        self, run: RunRecord, *, every_item: bool = False, retries: Sequence[RunRetry] = ()
    ) -> None:
        self.run = run
        self.every_item = every_item
        self.retries = retries
        self.groups: dict[str, dict[int, list[NodeRecord]]] = defaultdict(dict)
        self.top: list[NodeRecord] = []
        for node in run.nodes.values():
            self._place(node)

    def _place(self, node: NodeRecord) -> None:
        from xene.core.planner import instance_key

        if not node.scope:
            self.top.append(node)
            return
        (construct, index), outer = node.scope[-1], node.scope[:-1]
        owner = instance_key(construct, outer)
        if owner not in self.run.nodes:  # the construct has no record: show it at the top
            self.top.append(node)
            return
        self.groups[owner].setdefault(index, []).append(node)

    def ordered(self) -> list[NodeRecord]:
        """Every node, each split or loop followed by its items' nodes, item by item."""
        found: list[NodeRecord] = []
        for node in self.top:
            self._visit(node, found)
        return found

    def _visit(self, node: NodeRecord, found: list[NodeRecord]) -> None:
        found.append(node)
        for _, members in sorted(self.groups.get(node.key, {}).items()):
            for member in members:
                self._visit(member, found)

    def print(self) -> None:
        for node in self.top:
            self._node(node, 0)

    def _node(self, node: NodeRecord, depth: int) -> None:
        name = node.node_id if depth else node.key
        print(INDENT * depth + node_line(node, name))
        for line in (node.error or "").splitlines()[1:]:  # a Python task's traceback
            print(INDENT * (depth + 2) + line)
        _field("note", node.note or "", depth + 2)  # e.g. it ran again on recovery
        for segment in retried.segments(self.retries, node.key, node.attempt):
            print(INDENT * (depth + 2) + segment_line(segment))
        for step in node.steps:
            print(INDENT * (depth + 2) + step_line(step))
        if node.output not in (None, {}, []):
            _field("output", short_json(node.output), depth + 2)
        items = sorted(self.groups.get(node.key, {}).items())
        label = "iteration" if node.type == "std::loop" else "item"
        hidden: Counter[str] = Counter()
        for position, (index, members) in enumerate(items):
            if not self._shown(position, members):
                hidden.update(str(m.state) for m in members)
                continue
            print(INDENT * (depth + 1) + f"{label} {index}")
            for member in members:
                self._node(member, depth + 2)
        if hidden:
            counts = ", ".join(f"{n} {state}" for state, n in sorted(hidden.items()))
            print(INDENT * (depth + 1) + f"… and more {label}s: {counts} (--all shows them)")

    def _shown(self, position: int, members: list[NodeRecord]) -> bool:
        """The first items, and every item where something did not succeed."""
        if self.every_item or position < SHOWN_ITEMS:
            return True
        return any(m.state not in (State.SUCCESS, State.SKIPPED) for m in members)


def node_line(node: NodeRecord, name: str) -> str:
    """`✓ build  Success  1.2s  attempt 2 — why it failed`."""
    from xene.cli.display import details

    parts = [name, str(node.state), stores.elapsed(node.started_at, node.ended_at)]
    parts.append(details(node))
    return f"{stores.glyph(node.state)} " + "  ".join(p for p in parts if p)


def segment_line(segment: retried.Segment) -> str:
    """A past segment's header and how it ended; the current one's header alone."""
    ended = segment.ended
    if ended is None:
        return segment.header()
    took = stores.elapsed(ended.started_at, ended.ended_at)
    error = f"— {first_line(ended.error)}" if ended.error else ""
    parts = [segment.header(), f"{stores.glyph(ended.state)} {ended.state}", took, error]
    return "  ".join(p for p in parts if p)


def step_line(step: StepRecord) -> str:
    parts = [f"step {step.name}", str(step.state), stores.elapsed(step.started_at, step.ended_at)]
    if step.exit_code is not None:
        parts.append(f"exit {step.exit_code}")
    if step.error and step.state is not State.SUCCESS:
        parts.append(f"— {step.error}")
    return f"{stores.glyph(step.state)} " + "  ".join(p for p in parts if p)


def short_json(value: Any, width: int = OUTPUT_WIDTH) -> str:
    text = json.dumps(value, default=str, separators=(", ", ": "), ensure_ascii=False)
    return stores.shorten(text, width)


def _field(name: str, value: str, depth: int) -> None:
    if value:
        print(f"{INDENT * depth}{name}: {value}")
