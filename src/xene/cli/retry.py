"""`xene retry RUN [--from NODE]`: run a failed or cancelled run again, here (on a store)
or on a server."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from xene.cli import stores
from xene.core.states import State

if TYPE_CHECKING:
    from xene.client.api import ApiClient
    from xene.store.base import RunRetry, ServerStore, StoredRun

HELP = "run a failed or cancelled run again, from its failed nodes or from one node"
DESCRIPTION = """\
Run again a run that ended Error or Cancelled: the nodes that did not succeed run again
(what succeeded is not run again: its outputs come back from the store), or, with
--from NODE, that node and everything downstream of it. Attempt numbers go on counting
($XENE_ATTEMPT too), and the retry is recorded: `xene show` says who retried the run and
when, and `xene show` and `xene logs` mark each attempt with a header.

On a store, the run executes here, shown live as by `xene run`. With --server (or
$XENE_SERVER), the server's agent executes it (--follow prints its log as it comes).

RUN is a run id as `xene runs` prints it, or a unique start of one (in any case).

Exit codes: 0 the run succeeded (with --server: retried), 1 it failed again, or it did
not end in Error or Cancelled, 2 no such run or node, 3 it waits for an approval.

Examples:
  xene retry 01hz3k
  xene retry 01hz3k --from build
  xene retry 01hz3k --server http://127.0.0.1:6060 --follow
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "retry",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", metavar="RUN", help="the run's id, or a unique start of it")
    parser.add_argument(
        "--from",
        dest="from_node",
        metavar="NODE",
        help="run NODE (a task or node id) and everything downstream of it again",
    )
    parser.add_argument(
        "-f", "--follow", action="store_true", help="--server: print its log until it ends"
    )
    parser.add_argument("--wait", action="store_true", help="wait for decisions, do not suspend")
    parser.add_argument("--json", action="store_true", help="print the final run record as JSON")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the outcome")
    stores.add_store_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: retry(args))


async def retry(args: argparse.Namespace) -> int:
    async with stores.opened(args) as store:
        stored = await stores.find_run(store, args.run)
        if not stores.is_local(store):
            return await _on_server(store.api, stored.record.id, args)
        return await _here(store, stored, args)


async def _here(store: ServerStore, stored: StoredRun, args: argparse.Namespace) -> int:
    from xene.cli.resume import resume_stored
    from xene.cli.run import make_display
    from xene.cli.session import Session, Settings
    from xene.engine.durable import pipeline_of
    from xene.engine.options import LEASE_S
    from xene.errors import InvalidDefinition
    from xene.service import runs
    from xene.store.owners import owner_id

    run_id, now = stored.record.id, time.time()
    try:
        pipeline_of(stored)  # before anything changes: a definition that no longer loads
        request = runs.retry_request(
            stored, runs.os_user(), now, args.from_node, owner=owner_id(),
            lease_until=now + LEASE_S,
        )  # fmt: skip
        done = await runs.retry(store, stored, request)
    except runs.UnknownNode as exc:
        raise stores.CommandError(str(exc)) from exc
    except (runs.NotRetryable, InvalidDefinition, KeyError, OSError) as exc:
        raise stores.CommandError(f"cannot retry: {exc}", stores.EXIT_REFUSED) from exc
    print(describe(run_id, done), file=sys.stderr)
    settings = Settings(wait=args.wait, container_scope=stores.scope_of(args.store))
    session = Session(make_display(args), settings, store)
    fresh = await store.get_run(run_id)
    assert fresh is not None
    return await resume_stored(fresh, session)


async def _on_server(api: ApiClient, run_id: str, args: argparse.Namespace) -> int:
    from xene.cli import remote
    from xene.client.api import api_path

    body = {"from_node": args.from_node} if args.from_node else None
    await api.post(api_path("runs", run_id, "retry"), json_body=body)
    print(f"the server retries run {run_id} (`xene logs {run_id} --follow`)", file=sys.stderr)
    if not args.follow:
        return stores.EXIT_OK
    run = await api.get(api_path("runs", run_id))
    retries = run.get("retries") or [{"log_seq": 0}]
    state = await remote.follow(api, run_id, None, None, after=retries[-1]["log_seq"])
    return stores.EXIT_OK if state == State.SUCCESS else stores.EXIT_REFUSED


def describe(run_id: str, retry: RunRetry) -> str:
    """`retry 1 of run 01HZ… by alice: build (attempt 3), test (attempt 1) run again`."""
    again = ", ".join(f"{n.key} (attempt {n.attempt + 1})" for n in retry.nodes) or "nothing"
    where = f" from {retry.from_node}" if retry.from_node else ""
    return f"retry {retry.number} of run {run_id}{where} by {retry.by}: {again} run again"
