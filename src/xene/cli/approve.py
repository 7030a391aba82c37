"""`xene approve HOOK`: decide a waiting `std::wait` node, and continue its run."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from xene.cli.common import UsageError, fail_usage, parse_input
from xene.cli.session import Session, Settings

if TYPE_CHECKING:
    from xene.cli.stores import Opened
    from xene.core.states import Decision
    from xene.store.base import ApprovalRecord

DESCRIPTION = """\
Decide a node that waits for approval, then continue its run here (unless the process
that started it is still waiting for the decision, as `xene run --wait` does).

  xene approvals                                    what waits, with its hook ids
  xene approve deploy-8k2m4q7x
  xene approve deploy-8k2m4q7x --reject --reason "not on a Friday"
  xene approve deploy-8k2m4q7x --escalate --data '{"to": "ops"}'

The run continues on the node's `out`, `rejected` or `escalated` port. With --server
(or $XENE_SERVER), the decision goes to that server, whose agent continues the run.
Exit codes: 0 decided (and the run, if continued here, succeeded), 1 already decided or
the continued run failed, 2 unknown hook or bad input, 3 the run waits again.
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "approve",
        help="decide a node waiting for approval, and continue its run",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("hook", help="the hook id (see `xene approvals`)")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--reject", action="store_true", help="reject instead of approving")
    choice.add_argument("--escalate", action="store_true", help="escalate instead")
    parser.add_argument("--data", metavar="JSON", help="data to pass on with the decision")
    parser.add_argument("--reason", default="", metavar="TEXT", help="why, for the record")
    parser.add_argument("--no-resume", action="store_true", help="only record the decision")
    parser.add_argument("--store", metavar="URL", help="the store (default: $XENE_STORE or SQLite)")
    from xene.cli.stores import add_server_option

    add_server_option(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the outcome")
    parser.add_argument("--json", action="store_true", help="print the continued run as JSON")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from xene.cli.run import make_display

    try:
        data = parse_input(args.data) if args.data else None
    except UsageError as exc:
        return fail_usage(str(exc).replace("--input", "--data"))
    from xene.core.states import Decision

    decision = (
        Decision.REJECT if args.reject else Decision.ESCALATE if args.escalate else Decision.APPROVE
    )
    from xene.cli.stores import run_command, scope_of

    session = Session(make_display(args), Settings(container_scope=scope_of(args.store)), None)
    return run_command(lambda: _decide(args, decision, data, session))


async def _decide(args: argparse.Namespace, decision: Decision, data: Any, session: Session) -> int:
    import time

    from xene.cli import stores
    from xene.service import approvals
    from xene.service.errors import NotFound

    async with stores.opened(args) as store:
        waiting = await _approval(store, args.hook)
        unknown = f"no hook {args.hook!r} waits (see `xene approvals`)"
        if waiting is None:
            return fail_usage(unknown)
        args.hook = waiting.hook_id
        try:
            decided = await approvals.decide(
                store, args.hook, decision, data, args.reason, time.time()
            )
        except approvals.DecidedAlready as exc:
            print(f"xene: {exc}", file=sys.stderr)
            return 1
        except NotFound:  # deleted meanwhile, with its run (`xene gc`)
            return fail_usage(unknown)
        passed = f", data {json.dumps(data)}" if data is not None else ""
        print(
            f"{decision}: {args.hook} (run {decided.run_id}, node {decided.node}){passed}",
            file=sys.stderr,
        )
        if not stores.is_local(store):
            print(f"the server continues run {decided.run_id}", file=sys.stderr)
            return 0
        session.store = store
        return 0 if args.no_resume else await _continue(decided.run_id, session)


async def _approval(store: Opened, hook: str) -> ApprovalRecord | None:
    """By its hook id, or the only one starting with it, in any case."""
    from xene.cli import stores

    found = await store.get_approval(hook)
    if found is None:
        same = await stores.find_id(store, "hook", hook)
        found = await store.get_approval(same) if same else None
    return found


async def _continue(run_id: str, session: Session) -> int:
    import time

    from xene.cli.resume import resume_stored
    from xene.store.owners import owner_alive

    assert session.store is not None
    stored = await session.store.get_run(run_id)
    if stored is None or stored.record.state.finished:
        return 0
    if stored.lease_until > time.time() and owner_alive(stored.owner):
        print(
            f"the run continues in the process that waits for it ({stored.owner})", file=sys.stderr
        )
        return 0
    return await resume_stored(stored, session)
