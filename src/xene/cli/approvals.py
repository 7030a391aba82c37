"""`xene suspensions`: the approvals runs wait for, and how to decide them."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import TYPE_CHECKING, Any

from xene.cli import stores

if TYPE_CHECKING:
    from xene.store.base import Suspension

HELP = "list the approvals that runs wait for"
DESCRIPTION = """\
List the std::wait nodes whose runs are suspended until someone decides: the hook id to
decide with, the run and node, since when it waits, when it times out (and what happens
then), and the node's metadata fields (what the person deciding should know).

Decide one with `xene approve HOOK` (or `--reject`, `--escalate`): the run goes on along
the node's `out`, `rejected` or `escalated` port.

Exit codes: 0 listed (even when nothing waits), 1 the store cannot be opened, 2 an unknown
store URL.

Examples:
  xene suspensions
  xene suspensions --all          also the decided ones, with their decision
  xene suspensions --json
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "suspensions",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-a", "--all", action="store_true", help="also list decided ones, with their decision"
    )
    parser.add_argument("--json", action="store_true", help="print them as JSON")
    stores.add_store_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: suspensions(args))


async def suspensions(args: argparse.Namespace) -> int:
    async with stores.opened(args) as store:
        found = await store.list_suspensions(pending=not args.all)
    if args.json:
        print(json.dumps([dataclasses.asdict(s) for s in found], indent=2, default=str))
    elif not found:
        print("nothing waits for a decision" + ("" if args.all else " (--all: decided ones too)"))
    else:
        _print(found, args.all)
    return stores.EXIT_OK


def _print(found: list[Suspension], decided_too: bool) -> None:
    headers = ["HOOK", "RUN", "NODE", "WAITING SINCE", "TIMEOUT", "METADATA"]
    rows = [[s.hook_id, s.run_id, s.node, stores.when(s.created_at), timeout(s)] for s in found]
    for row, suspension in zip(rows, found, strict=True):
        if decided_too:
            row.append(decision(suspension))
        row.append(metadata(suspension))
    if decided_too:
        headers.insert(5, "DECISION")
    stores.print_table(headers, rows)
    pending = [s for s in found if s.decision is None]
    if pending:
        hook = pending[0].hook_id if len(pending) == 1 else "<hook>"
        print(f"\ndecide with: xene approve {hook} [--reject | --escalate]")


def timeout(suspension: Suspension) -> str:
    if suspension.timeout_at is None:
        return "none"
    return f"{stores.when(suspension.timeout_at)} then {suspension.timeout_action}"


def decision(suspension: Suspension) -> str:
    if suspension.decision is None:
        return "pending"
    text = f"{suspension.decision} at {stores.when(suspension.decided_at)}"
    return f"{text}: {stores.shorten(suspension.reason, 40)}" if suspension.reason else text


def metadata(suspension: Suspension) -> str:
    fields = (f"{k}={_text(v)}" for k, v in suspension.metadata.items())
    return stores.shorten(", ".join(fields), 80)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)
