"""`xene resume RUN`: continue a run whose process died, where it stopped."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xene.cli.session import Session, Settings
from xene.store.base import StoredRun

DESCRIPTION = """\
Continue a run whose process died (killed, crashed, machine rebooted): nodes that had
finished are not run again (their outputs come back from the store), nodes that were
running run again, and nodes waiting for an approval keep waiting.

  xene resume 01JD5X3K9Q7R8S2T4V6W8Y0Z1A
  xene run flow.yaml --resume            (the newest unfinished run of a file)

Exit codes as for `xene run`: 0 success, 1 failed, 2 bad input, 3 suspended, 130 interrupted.
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "resume",
        help="continue a run whose process died",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", help="the run id, or a unique start of it (see `xene runs`)")
    parser.add_argument("--store", metavar="URL", help="the store (default: $XENE_STORE or SQLite)")
    parser.add_argument("--wait", action="store_true", help="wait for decisions, do not suspend")
    from xene.cli.run import add_grace_option

    add_grace_option(parser)
    parser.add_argument("--json", action="store_true", help="print the final run record as JSON")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the outcome")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from xene.cli import stores
    from xene.cli.run import make_display

    scope = stores.scope_of(args.store)
    settings = Settings(wait=args.wait, grace_s=args.grace, container_scope=scope)
    session = Session(make_display(args), settings, None)

    async def resume() -> int:
        async with stores.opened_local(args) as store:
            session.store = store
            return await resume_stored(await stores.find_run(store, args.run), session)

    return stores.run_command(resume)


async def resume_stored(stored: StoredRun, session: Session) -> int:
    """Rebuild the run's pipeline from its recorded source and execute the rest of it; a
    run whose definition no longer loads cannot be recovered: it ends in Error."""
    from xene.engine.durable import CannotResume
    from xene.engine.engine import Engine, Unrecoverable

    engine = Engine(session.options(), session.store)
    try:
        execution = await engine.resume(stored)
    except CannotResume as exc:
        print(f"xene: cannot resume run {stored.record.id}: {exc}", file=sys.stderr)
        return 1
    except Unrecoverable as exc:
        print(f"xene: {exc}", file=sys.stderr)
        return 1
    await session.execute(execution)
    session.display.summary(session.runs)
    return session.exit_code()
