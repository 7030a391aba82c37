"""`xene agents`: the agents a server knows, with their state; and `xene agent drain|forget
NAME` (cli/agent.py)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xene.cli import remote, stores

HELP = "list the agents a server knows: labels, capacity, runs, last heartbeat, state"
DESCRIPTION = """\
Every agent that registered with the server, by name:

  STATE      online (heartbeats come), draining (takes no new runs; its running ones
             finish), lost (no heartbeat within the lease: its runs go to another agent)
  LABELS     what it offers; a pipeline naming labels runs only on an agent with all
  RUNS       runs it holds, of its capacity

`xene agent drain NAME` stops giving an agent new runs; `xene agent forget NAME` drops
one that is gone for good.

Exit codes: 0 listed, 1 the server is unreachable or refused, 2 no server given.
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "agents",
        help=HELP,
        description=DESCRIPTION,
        epilog=remote.SERVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print them as JSON")
    remote.add_server_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: listed(args))


async def listed(args: argparse.Namespace) -> int:
    async with remote.connected(args, "agents") as api:
        found: list[dict[str, Any]] = (await api.get("/api/v1/agents"))["agents"]
    if args.json:
        print(json.dumps(found, indent=2))
        return stores.EXIT_OK
    if not found:
        print("no agents have registered with this server yet")
        return stores.EXIT_OK
    rows = [
        (
            a["name"],
            a["state"],
            ",".join(a["labels"]) or "-",
            f"{a['running']}/{a['capacity']}",
            f"{stores.elapsed(0.0, a['seen_s_ago'])} ago",
            a["version"] or "-",
            a["host"] or "-",
        )
        for a in found
    ]
    stores.print_table(("NAME", "STATE", "LABELS", "RUNS", "HEARTBEAT", "VERSION", "HOST"), rows)
    return stores.EXIT_OK
