"""`xene logs RUN`: what a run's steps printed, task by task, or live with `--follow`."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from xene.cli import retried, stores
from xene.core.states import State

if TYPE_CHECKING:
    from xene.core.records import NodeRecord
    from xene.store.base import LogChunk, StoredRun
    from xene.store.roles import RunReader

HELP = "print what a run's steps printed"
DESCRIPTION = """\
Print the output of a run's steps from the store. The log is in the run's order: task by
task (node by node in a flow) as the run created them, each step's lines under a header
naming the workflow, pipeline, run, task and step:

  == ci/build run 01hz3k4w7r… task test step unit ==

With --follow, print lines as they are recorded, each prefixed with `task/step │`, until
the run has ended (use it on a run that is still going, from another terminal).

RUN is a run id as `xene runs` prints it, or a unique start of one.

Exit codes: 0 printed, 1 the store cannot be opened, 2 no such run, task or step (or an
unknown store URL).

Examples:
  xene logs 01hz3k
  xene logs 01hz3k --task test --step unit
  xene logs 01hz3k --follow
"""

POLL_S = 0.5
PAGE = 1000
_NO_STEP_YET = object()
sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
"""How `--follow` waits between polls; tests replace it."""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "logs",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", metavar="RUN", help="the run's id, or a unique start of it")
    parser.add_argument(
        "-t",
        "--task",
        metavar="T",
        help="only task (or node) T; a split item by its key, e.g. price[items=3]",
    )
    parser.add_argument("-s", "--step", metavar="S", help="only steps named S")
    parser.add_argument(
        "-f", "--follow", action="store_true", help="keep printing new lines until the run ends"
    )
    stores.add_store_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: logs(args))


async def logs(args: argparse.Namespace) -> int:
    async with stores.opened(args) as store:
        stored = await stores.find_run(store, args.run)
        if args.follow and not stores.is_local(store):  # a server streams its lines
            from xene.cli.remote import follow

            await follow(store.api, stored.record.id, args.task, args.step)
        elif args.follow:  # tasks of splits and loops may not have started yet: no checks
            await Follower(store, stored, args.task, args.step).follow(sleep)
        else:
            nodes = select_nodes(stored, args.task, args.step)
            await print_grouped(store, stored, nodes, args.step)
    return stores.EXIT_OK


def select_nodes(stored: StoredRun, task: str | None, step: str | None) -> list[NodeRecord]:
    """The run's nodes that --task and --step name: in record (creation) order, but the
    nodes of a split's items or a loop's iterations right after their split or loop."""
    from xene.cli.show import Tree

    ordered = Tree(stored.record).ordered()
    nodes = [n for n in ordered if task in (None, n.node_id, n.key)]
    if task is not None and not nodes:
        known = dict.fromkeys(n.node_id for n in stored.record.nodes.values())
        raise stores.CommandError(
            f"run {stored.record.id} has no task {task!r}; it has: {', '.join(known) or 'none'}"
        )
    if step is not None and not any(s.name == step for n in nodes for s in n.steps):
        known = dict.fromkeys(s.name for n in nodes for s in n.steps)
        raise stores.CommandError(f"no step {step!r} here; steps: {', '.join(known) or 'none'}")
    return nodes


async def print_grouped(
    store: RunReader, stored: StoredRun, nodes: list[NodeRecord], step: str | None
) -> None:
    """Node by node in record order, one node's chunks at a time (memory stays bounded);
    a retried node's chunks under a header for each of its attempts."""
    title = _title(stored)
    for node in nodes:
        current: object = _NO_STEP_YET
        ahead = retried.segments(stored.retries, node.key, node.attempt)
        async for chunk in chunks(store, stored.record.id, node=node.key, step=step):
            header = _passed(ahead, chunk.seq)
            if header is not None:
                print(header)
                current = _NO_STEP_YET
            if chunk.step != current:
                current = chunk.step
                print(f"== {title} {_kind(stored)} {node.key}{_step(chunk.step)} ==")
            for line in chunk.lines:
                print(line)


def _passed(ahead: list[retried.Segment], seq: int) -> str | None:
    """The header of the latest segment the chunk `seq` is in, when it was not printed
    yet (the segments it passes are dropped from `ahead`)."""
    header = None
    while ahead and (ahead[0].retry is None or ahead[0].retry.log_seq < seq):
        header = ahead.pop(0).header()
    return header


async def chunks(
    store: RunReader, run_id: str, *, node: str | None = None, step: str | None = None
) -> AsyncIterator[LogChunk]:
    """Every chunk matching, page by page."""
    after = 0
    while page := await store.read_logs(run_id, node=node, step=step, after=after, limit=PAGE):
        for chunk in page:
            yield chunk
        after = page[-1].seq


class Follower:
    """Prints chunks in the order they are committed until the run has ended."""

    def __init__(self, store: RunReader, stored: StoredRun, task: str | None, step: str | None):
        self.store, self.run_id = store, stored.record.id
        self.task, self.step = task, step
        self.after = 0
        self.warned = False
        self.retries = list(stored.retries)
        """Retries whose header is not printed yet: before the first chunk after each."""

    async def follow(self, wait: Callable[[float], Awaitable[None]]) -> None:
        while True:
            state = await self._state()  # before reading: all it logged is then read
            await self._drain()
            if state is None or state.finished:
                print(f"run {self.run_id} ended: {state or 'deleted'}", file=sys.stderr)
                return
            if state is State.SUSPENDED:
                print(_SUSPENDED.format(run=self.run_id), file=sys.stderr)
                return
            await wait(POLL_S)

    async def _drain(self) -> None:
        while page := await self.store.read_logs(
            self.run_id, step=self.step, after=self.after, limit=PAGE
        ):
            self.after = page[-1].seq
            for chunk in page:
                self._print(chunk)

    def _print(self, chunk: LogChunk) -> None:
        while self.retries and self.retries[0].log_seq < chunk.seq:
            done = self.retries.pop(0)
            print(f"── retry {done.number} by {done.by} at {retried.clock_time(done.at)} ──")
        if self.task not in (None, chunk.node, chunk.node.split("[", 1)[0]):
            return
        where = f"{chunk.node}/{chunk.step}" if chunk.step else chunk.node
        for line in chunk.lines:
            print(f"{where} │ {line}", flush=True)

    async def _state(self) -> State | None:
        stored = await self.store.get_run(self.run_id)
        if stored is None:
            return None
        state = stored.record.state
        if not self.warned and not state.finished and stored.lease_until < time.time():
            self.warned = True
            print(_ORPHANED.format(run=self.run_id), file=sys.stderr)
        return state


_ORPHANED = (
    "run {run} is not finished but no process has renewed its lease: it may have died; "
    "`xene resume {run}` continues it (still following)"
)
_SUSPENDED = (
    "run {run} is suspended: it waits for a decision (`xene approvals` lists it); "
    "follow it again once decided"
)


def _title(stored: StoredRun) -> str:
    run = stored.record
    where = f"{run.workflow}/{run.pipeline}" if run.workflow else run.pipeline
    return f"{where} run {run.id}"


def _kind(stored: StoredRun) -> str:
    return "node" if stored.source.format == "flow" else "task"


def _step(step: str | None) -> str:
    return f" step {step}" if step else ""
