"""`xene trigger WORKFLOW PIPELINE`: start a run on a server now, and maybe follow it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xene.cli import remote, stores
from xene.core.states import State

HELP = "start a run of a pipeline on a server now"
DESCRIPTION = """\
Queue a run of PIPELINE of a workflow applied to the server, with --input as its input;
the server's agent executes it. Prints the run's id (alone on stdout, so that
`RUN=$(xene trigger ci build)` works); `xene show RUN`, `xene logs RUN` and
`xene runs` read it back with --server.

With --follow, print the run's log lines as they come (`task/step │ line`) until it
ends. A run that waits for an approval keeps the stream open until someone decides
(`xene approve HOOK` from another terminal).

--idempotency-key K: a second trigger with the same key starts nothing and prints the
first run's id (say, a delivery or an order number).

Exit codes: 0 queued (with --follow: the run succeeded), 1 the run failed (--follow),
or the server is unreachable or refused (a paused pipeline, a token without the manager
role), 2 bad input (no such workflow or pipeline, --input not JSON, no server given).

Examples:
  xene trigger ci build
  xene trigger orders process --input '{"items": [{"sku": "a", "price": 30}]}' --follow
  xene trigger orders process --input @order.json --idempotency-key order-7
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "trigger",
        help=HELP,
        description=DESCRIPTION,
        epilog=remote.SERVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("workflow", metavar="WORKFLOW", help="the workflow's name")
    parser.add_argument("pipeline", metavar="PIPELINE", help="the pipeline to run")
    parser.add_argument(
        "-i", "--input", metavar="JSON", help="the run's input: JSON text, or @file.json"
    )
    parser.add_argument("--idempotency-key", metavar="K", help="start at most one run for this key")
    parser.add_argument(
        "-f", "--follow", action="store_true", help="print its log live until it ends"
    )
    remote.add_server_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from xene.cli.common import UsageError, fail_usage, parse_input

    try:
        data = parse_input(args.input)
    except UsageError as exc:
        return fail_usage(str(exc))
    return stores.run_command(lambda: trigger(args, data))


async def trigger(args: argparse.Namespace, data: Any) -> int:
    from xene.client.api import api_path

    path = api_path("workflows", args.workflow, "pipelines", args.pipeline, "runs")
    headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else None
    async with remote.connected(args, "trigger") as api:
        answer = await api.post(path, json_body=data, headers=headers)
        run_id: str = answer["run_id"]
        print(run_id, flush=True)
        if not answer["created"]:
            print(f"the key {args.idempotency_key!r} started run {run_id} before", file=sys.stderr)
        if not args.follow:
            return stores.EXIT_OK
        state = await remote.follow(api, run_id, None, None)
    return stores.EXIT_OK if state == State.SUCCESS else stores.EXIT_REFUSED
