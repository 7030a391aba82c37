"""`xene cancel RUN`: stop a run, on this machine's store or on a server."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import TYPE_CHECKING, Any

from xene.cli import stores
from xene.core.states import State

if TYPE_CHECKING:
    from xene.cli.stores import Opened
    from xene.store.base import StoredRun
    from xene.store.roles import RunReader

HELP = "cancel a run: its running steps are stopped, its state becomes Cancelled"
DESCRIPTION = """\
Cancel an unfinished run. A run executed by a live process (`xene run` in another
terminal, or a server's agent) is asked to stop through the store: its running steps get
SIGTERM, then SIGKILL after the grace period, and their states become Cancelled; this
command waits for that (--no-wait: it only asks). A run nobody executes (suspended on
an approval, queued, or whose process died) is marked Cancelled at once.

With --server (or $XENE_SERVER), the server cancels it.

RUN is a run id as `xene runs` prints it, or a unique start of one (in any case).

Exit codes: 0 cancelled (or asked, with --no-wait), 1 the run had ended already, ended
otherwise before the cancel reached it, or did not stop within --timeout, 2 no such run.

Examples:
  xene cancel 01hz3k
  xene cancel 01hz3k --server http://127.0.0.1:6060
"""
POLL_S = 0.2


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "cancel",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", metavar="RUN", help="the run's id, or a unique start of it")
    parser.add_argument(
        "--no-wait", action="store_true", help="ask its executor to stop it; do not wait"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="wait at most S seconds for the run to stop (default 60)",
    )
    stores.add_store_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: cancel(args))


async def cancel(args: argparse.Namespace) -> int:
    async with stores.opened(args) as store:
        stored = await stores.find_run(store, args.run)
        run_id = stored.record.id
        outcome = await _ask(store, stored)
        if outcome == "cancelled":
            print(f"run {run_id} cancelled")
            return stores.EXIT_OK
        who = f" ({stored.owner})" if stored.owner else ""
        print(f"run {run_id}: cancel requested; its executor{who} stops it", file=sys.stderr)
        if args.no_wait:
            return stores.EXIT_OK
        state = await _final_state(store, run_id, args.timeout)
    if state is None:
        print(
            f"xene: run {run_id} has not stopped after {args.timeout:g} s; it ends once its "
            "executor has stopped its steps (`xene show` tells)",
            file=sys.stderr,
        )
        return stores.EXIT_REFUSED
    if state != State.CANCELLED:
        print(f"xene: run {run_id} ended {state} before the cancel reached it", file=sys.stderr)
        return stores.EXIT_REFUSED
    print(f"run {run_id} cancelled")
    return stores.EXIT_OK


async def _ask(store: Opened, stored: StoredRun) -> str:
    """`cancelled` or `requested`; CommandError (exit 1) for a run that has ended."""
    from xene.service import runs

    if not stores.is_local(store):  # the server's agent stops it
        from xene.client.api import api_path

        await store.api.post(api_path("runs", stored.record.id, "cancel"))
        return "requested"
    try:
        return await runs.cancel(store, stored, runs.os_user(), time.time())
    except runs.NotCancellable as exc:
        raise stores.CommandError(str(exc), stores.EXIT_REFUSED) from exc


async def _final_state(store: RunReader, run_id: str, timeout: float) -> str | None:
    """The run's state once final; None if it is not within `timeout` seconds."""
    with_deadline = asyncio.timeout(timeout)
    try:
        async with with_deadline:
            while True:
                stored = await store.get_run(run_id)
                if stored is None:
                    return "deleted"
                if stored.record.state.finished:
                    return str(stored.record.state)
                await asyncio.sleep(POLL_S)
    except TimeoutError:
        return None
