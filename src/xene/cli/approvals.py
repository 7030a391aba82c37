"""`xene approvals`: the approvals runs wait for, and how to decide them. `xene suspensions`,
its older name, still works (hidden from the list of commands)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import TYPE_CHECKING, Any

from xene.cli import stores

if TYPE_CHECKING:
    from xene.store.base import ApprovalRecord

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
  xene approvals
  xene approvals --all            also the decided ones, with their decision
  xene approvals --json
"""
NAMES = ("approvals", "suspensions")
"""The command, and its older name: no `help=`, so argparse does not list it."""
_TEXTS: dict[str, Any] = {
    "description": DESCRIPTION,
    "formatter_class": argparse.RawDescriptionHelpFormatter,
}


def add_parser(commands: Any) -> None:
    _add_parser(commands.add_parser(NAMES[0], help=HELP, **_TEXTS))
    _add_parser(commands.add_parser(NAMES[1], **_TEXTS))


def _add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-a", "--all", action="store_true", help="also list decided ones, with their decision"
    )
    parser.add_argument("--json", action="store_true", help="print them as JSON")
    stores.add_store_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: approvals(args))


async def approvals(args: argparse.Namespace) -> int:
    async with stores.opened(args) as store:
        found = await store.list_approvals(pending=not args.all)
    if args.json:
        print(json.dumps([dataclasses.asdict(s) for s in found], indent=2, default=str))
    elif not found:
        print("nothing waits for a decision" + ("" if args.all else " (--all: decided ones too)"))
    else:
        _print(found, args.all)
    return stores.EXIT_OK


def _print(found: list[ApprovalRecord], decided_too: bool) -> None:
    headers = ["HOOK", "RUN", "NODE", "WAITING SINCE", "TIMEOUT", "METADATA"]
    rows = [[s.hook_id, s.run_id, s.node, stores.when(s.created_at), timeout(s)] for s in found]
    for row, approval in zip(rows, found, strict=True):
        if decided_too:
            row.append(decision(approval))
        row.append(metadata(approval))
    if decided_too:
        headers.insert(5, "DECISION")
    stores.print_table(headers, rows)
    pending = [s for s in found if s.decision is None]
    if pending:
        hook = pending[0].hook_id if len(pending) == 1 else "<hook>"
        print(f"\ndecide with: xene approve {hook} [--reject | --escalate]")


def timeout(approval: ApprovalRecord) -> str:
    if approval.timeout_at is None:
        return "none"
    return f"{stores.when(approval.timeout_at)} then {approval.timeout_action}"


def decision(approval: ApprovalRecord) -> str:
    if approval.decision is None:
        return "pending"
    text = f"{approval.decision} at {stores.when(approval.decided_at)}"
    return f"{text}: {stores.shorten(approval.reason, 40)}" if approval.reason else text


def metadata(approval: ApprovalRecord) -> str:
    fields = (f"{k}={_text(v)}" for k, v in approval.metadata.items())
    return stores.shorten(", ".join(fields), 80)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)
