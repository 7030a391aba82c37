"""`xene agent drain|forget NAME`: act on an agent a server knows (admins)."""

from __future__ import annotations

import argparse
from typing import Any

from xene.cli import remote, stores

HELP = "drain or forget an agent of a server"
DESCRIPTION = """\
  drain NAME    the agent takes no new runs; the ones it runs finish. It stays draining
                until it restarts (and registers again).
  forget NAME   drop an agent that is gone for good from `xene agents`. One that is still
                running registers again at its next heartbeat.

Both need an admin token. `xene agents` lists the agents and their state.

Exit codes: 0 done, 1 the server is unreachable or refused, 2 no such agent (or no server).
"""
ACTIONS = ("drain", "forget")


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "agent",
        help=HELP,
        description=DESCRIPTION,
        epilog=remote.SERVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=ACTIONS, metavar="ACTION", help=" | ".join(ACTIONS))
    parser.add_argument("name", metavar="NAME", help="the agent's name, as `xene agents` shows")
    remote.add_server_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: act(args))


async def act(args: argparse.Namespace) -> int:
    from xene.client.api import api_path

    async with remote.connected(args, f"agent {args.action}") as api:
        if args.action == "drain":
            answer = await api.post(api_path("agents", args.name, "drain"))
            print(f"{args.name}: draining ({answer['running']} runs still running)")
        else:
            await api.delete(api_path("agents", args.name))
            print(f"{args.name}: forgotten")
    return stores.EXIT_OK
