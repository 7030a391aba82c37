"""`xene runs`: the runs the store holds, newest first, with their outcome."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import TYPE_CHECKING, Any

from xene.cli import stores

if TYPE_CHECKING:
    from xene.core.states import State
    from xene.store.base import RunSummary

HELP = "list past and current runs, newest first"
DESCRIPTION = """\
List the runs kept in the store, newest first: each run's id, its workflow and pipeline,
its state, when it started, how long it took and, when it failed, why.

Every `xene run` is recorded in the store (see --store), so this is your history; pass a
run's id (or the start of it) to `xene show` for its tasks and to `xene logs` for its output.

States: NotExecuted, WaitingForExecutor, Running, Suspended (waiting for an approval),
Success, Error, ErrorConfiguring, Cancelled. --status takes any of them, in any case.

Exit codes: 0 listed, 1 the store cannot be opened, 2 bad input (an unknown state or
store URL).

Examples:
  xene runs
  xene runs --workflow ci --status error --limit 5
  xene runs --trigger nightly --since 2026-12-01T00:00 --until 2026-12-02T00:00
  xene runs --id 01m8s
  xene runs --json | jq '.[0].id'
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "runs",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-w", "--workflow", metavar="W", help="only runs of workflow W")
    parser.add_argument("-p", "--pipeline", metavar="P", help="only runs of pipeline P")
    parser.add_argument("-s", "--status", metavar="S", help="only runs in state S, e.g. error")
    parser.add_argument(
        "--trigger", metavar="T", help="only runs a fire of trigger T queued (-: by hand)"
    )
    parser.add_argument(
        "--since", metavar="TIME", help="only runs created at or after TIME (ISO 8601, UTC)"
    )
    parser.add_argument("--until", metavar="TIME", help="only runs created before TIME")
    parser.add_argument("--id", metavar="PREFIX", help="only runs whose id starts so")
    parser.add_argument(
        "-n", "--limit", type=int, default=20, metavar="N", help="show at most N runs (20)"
    )
    parser.add_argument("--json", action="store_true", help="print the runs as JSON")
    stores.add_store_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: list_runs(args))


async def list_runs(args: argparse.Namespace) -> int:
    from xene.store.base import BY_HAND, BY_HAND_PARAM, RunFilter

    if args.limit < 1:
        raise stores.CommandError(f"--limit {args.limit}: give a number of runs, 1 or more")
    flt = RunFilter(
        workflow=args.workflow,
        pipeline=args.pipeline,
        state=parse_state(args.status),
        limit=args.limit,
        trigger=BY_HAND if args.trigger == BY_HAND_PARAM else args.trigger,
        created_after=_time(args.since, "--since"),
        created_before=_time(args.until, "--until"),
        id_prefix=args.id,
    )
    async with stores.opened(args) as store:
        runs = await store.list_runs(flt)
        waiting = await waiting_reasons(store, runs)
    if args.json:
        listed = [dataclasses.asdict(r) | {"waiting_for": waiting.get(r.id)} for r in runs]
        print(json.dumps(listed, indent=2, default=str))
    elif runs:
        print_runs(runs, waiting)
    else:
        print("no runs match" if _filtered(args) else "no runs yet: `xene run FILE` starts one")
    return stores.EXIT_OK


def _time(text: str | None, option: str) -> float | None:
    from xene.core.times import parse_time

    try:
        return None if text is None else parse_time(text)
    except ValueError as error:
        raise stores.CommandError(f"{option} {error}") from None


def parse_state(text: str | None) -> State | None:
    """`error`, `ERROR` or `Error` -> `State.ERROR`; an unknown state is a CommandError."""
    if text is None:
        return None
    from xene.core.states import State

    known = {s.value.lower(): s for s in State}
    state = known.get(text.lower())
    if state is None:
        raise stores.CommandError(
            f"--status {text}: no such state; use one of {', '.join(known.values())}"
        )
    return state


async def waiting_reasons(store: stores.Opened, runs: list[RunSummary]) -> dict[str, str]:
    """Why each queued run is not taken: as the server said (`--server`), else from the
    agents the store knows."""
    from xene.cli import show
    from xene.core.states import State

    queued = [r.id for r in runs if r.state is State.WAITING]
    if not stores.is_local(store):
        reasons = {run_id: store.waiting_for(run_id) for run_id in queued}
        return {run_id: why for run_id, why in reasons.items() if why}
    found = [await store.get_run(run_id) for run_id in queued]
    return await show.waiting_reasons(store, [s for s in found if s is not None])


def print_runs(runs: list[RunSummary], waiting: dict[str, str] | None = None) -> None:
    """The table; under each queued run that no agent takes, why."""
    import time

    from xene.store.owners import owner_gone

    now = time.time()
    gone = {r.id for r in runs if owner_gone(r.state, r.owner, r.lease_until, now)}
    rows = [
        (
            run.id,
            f"{run.workflow}/{run.pipeline}" if run.workflow else run.pipeline,
            f"{stores.glyph(run.state)} {run.state}" + (" (owner gone)" if run.id in gone else ""),
            stores.when(run.started_at or run.created_at),
            stores.elapsed(run.started_at, run.ended_at),
            stores.shorten(run.error, 50),
        )
        for run in runs
    ]
    headers = ("ID", "WORKFLOW/PIPELINE", "STATE", "STARTED", "DURATION", "ERROR")
    lines = stores.table_lines(headers, rows)
    print(lines[0])
    for run, line in zip(runs, lines[1:], strict=True):
        print(line)
        if waiting and run.id in waiting:
            print(f"  {'':{len(run.id)}}waiting: {waiting[run.id]}")
    if gone:
        print(
            f"\n{len(gone)} unfinished run(s) have no live owner: continue one with "
            "`xene resume ID` (a `xene serve` on this store takes them over)"
        )


def _filtered(args: argparse.Namespace) -> bool:
    return bool(
        args.workflow
        or args.pipeline
        or args.status
        or args.trigger
        or args.since
        or args.until
        or args.id
    )
