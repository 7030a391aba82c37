"""`xene pipeline pause|resume|drain|stop WORKFLOW PIPELINE`: a pipeline's mode on a server."""

from __future__ import annotations

import argparse
from typing import Any

from xene.cli import remote, stores

HELP = "pause, resume, drain or stop a pipeline on a server"
DESCRIPTION = """\
Set the mode of a pipeline of a workflow applied to the server:

  pause    its triggers do not fire and manual runs are refused; running runs go on
  resume   active again: triggers fire, runs can be started; a circuit breaker that
           paused it is re-armed and counts only runs from now on
  drain    no new runs; running ones finish
  stop     no new runs; running ones are cancelled

`xene get WORKFLOW` shows each pipeline's mode, and why a circuit breaker paused it.

Exit codes: 0 done, 1 the server is unreachable or refused (a token without the manager
role), 2 no such workflow or pipeline (or no server given).

Examples:
  xene pipeline pause ci build
  xene pipeline resume ci build
"""
ACTIONS = ("pause", "resume", "drain", "stop")


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "pipeline",
        help=HELP,
        description=DESCRIPTION,
        epilog=remote.SERVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=ACTIONS, metavar="ACTION", help=" | ".join(ACTIONS))
    parser.add_argument("workflow", metavar="WORKFLOW", help="the workflow's name")
    parser.add_argument("pipeline", metavar="PIPELINE", help="the pipeline's name")
    remote.add_server_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: set_mode(args))


async def set_mode(args: argparse.Namespace) -> int:
    from xene.client.api import api_path

    path = api_path("workflows", args.workflow, "pipelines", args.pipeline, args.action)
    async with remote.connected(args, "pipeline") as api:
        answer = await api.post(path)
    print(f"{args.workflow}/{args.pipeline}: {answer['mode']}")
    return stores.EXIT_OK
