"""`xene delete WORKFLOW`: forget a workflow on a server and stop its triggers."""

from __future__ import annotations

import argparse
from typing import Any

from xene.cli import remote, stores

HELP = "delete a workflow from a server (its triggers stop; its runs stay)"
DESCRIPTION = """\
Forget WORKFLOW on the server: its triggers stop firing and no new runs of it can be
started. Its past and running runs stay (`xene runs --workflow WORKFLOW`).

Exit codes: 0 deleted, 1 the server is unreachable or refused (a token without the
manager role), 2 no such workflow (or no server given).

Example:
  xene delete ci --server http://127.0.0.1:6060
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "delete",
        help=HELP,
        description=DESCRIPTION,
        epilog=remote.SERVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("workflow", metavar="WORKFLOW", help="the workflow's name")
    remote.add_server_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: delete(args))


async def delete(args: argparse.Namespace) -> int:
    from xene.client.api import api_path

    async with remote.connected(args, "delete") as api:
        await api.delete(api_path("workflows", args.workflow))
    print(f"deleted {args.workflow} (its runs stay)")
    return stores.EXIT_OK
