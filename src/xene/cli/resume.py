"""`xene resume RUN`: continue a run whose process died, where it stopped."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from xene.cli.session import Session, Settings
from xene.store.base import StoredRun

if TYPE_CHECKING:
    from xene.core.records import RunRecord
    from xene.ir import Pipeline

DESCRIPTION = """\
Continue a run whose process died (killed, crashed, machine rebooted): nodes that had
finished are not run again (their outputs come back from the store), nodes that were
running run again, and nodes waiting for an approval keep waiting.

A run of a container pipeline takes its container over (what its dead process left
running in it is ended first). If the container is gone (removed meanwhile), so are the
files its finished tasks left in the workspace: those tasks run again in a new container,
and `xene show` says so under each of them.

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
    from xene.cli import sweeping
    from xene.engine.durable import CannotResume
    from xene.engine.engine import Engine, Unrecoverable

    assert session.store is not None
    pipeline = _pipeline(stored)
    if pipeline is not None:  # its containers are taken over: the engine must answer
        await sweeping.prepare(session.store, session.settings.container_scope, [pipeline])
    engine = Engine(session.options(), session.store)
    try:
        execution = await engine.resume(stored, pipeline)
    except CannotResume as exc:
        print(f"xene: cannot resume run {stored.record.id}: {exc}", file=sys.stderr)
        return 1
    except Unrecoverable as exc:
        print(f"xene: {exc}", file=sys.stderr)
        return 1
    _report_again(stored, execution.run)
    await session.execute(execution)
    session.display.summary(session.runs)
    return session.exit_code()


def _pipeline(stored: StoredRun) -> Pipeline | None:
    """The run's pipeline from its recorded source; None when it no longer loads (the
    engine then ends the run in Error, saying why)."""
    from xene.engine.durable import pipeline_of

    try:
        return pipeline_of(stored)
    except Exception:  # user code runs when a Python file is imported again
        return None


def _report_again(before: StoredRun, run: RunRecord) -> None:
    """Say which finished nodes run again, and why (their note), as `xene show` will."""
    was = {key: node.note for key, node in before.record.nodes.items()}
    noted: dict[str, list[str]] = {}
    for key, node in run.nodes.items():
        if node.note and node.note != was.get(key):
            noted.setdefault(node.note, []).append(key)
    for note, keys in noted.items():
        print(f"{', '.join(keys)}: {note}", file=sys.stderr)
