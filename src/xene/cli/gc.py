"""`xene gc --older-than 30d`: delete finished runs that ended long ago."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from xene.cli import stores

if TYPE_CHECKING:
    from xene.store.base import RunSummary
    from xene.store.roles import RunReader

HELP = "delete finished runs that ended before a given age"
DESCRIPTION = """\
Delete from the store the finished runs (Success, Error, ErrorConfiguring, Cancelled)
that ended more than AGE ago, with their tasks, steps, logs and approvals. Runs still
going, or suspended waiting for a decision, are never deleted.

AGE is a duration with its unit: 30d (days), 12h (hours), 90m (minutes), 45s (seconds),
or combined: 1d12h. Try --dry-run first: it lists what would be deleted and deletes
nothing. On a terminal, gc says how many runs would go and asks before deleting them;
elsewhere (a script, cron) it deletes only with --yes.

Exit codes: 0 done (or nothing to delete), 1 the store cannot be opened or you said no,
2 bad input (an AGE without a unit or that is not a duration, an unknown store URL, no
--yes when stdin is not a terminal).

Examples:
  xene gc --older-than 30d --dry-run
  xene gc --older-than 30d
  xene gc --older-than 12h --yes
"""

now: Callable[[], float] = time.time
"""The clock `gc` measures age against; tests replace it."""
PAGE = 500


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "gc",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--older-than",
        required=True,
        metavar="AGE",
        help="delete runs that ended more than AGE ago: 30d, 12h, 90m",
    )
    parser.add_argument(
        "-n", "--dry-run", action="store_true", help="list what would be deleted; delete nothing"
    )
    parser.add_argument(
        "-y", "--yes", action="store_true", help="delete without asking (needed off a terminal)"
    )
    stores.add_store_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: gc(args))


async def gc(args: argparse.Namespace) -> int:
    cutoff = now() - parse_age(args.older_than)
    async with stores.opened(args) as store:
        local = stores.local(store, "deleting runs (`xene gc`)")  # before asking anything
        doomed = await finished_before(local, cutoff)
        if args.dry_run:
            _print_doomed(doomed, cutoff)
            return stores.EXIT_OK
        if not doomed:
            print(f"nothing to delete: no finished run ended before {stores.when(cutoff)}")
            return stores.EXIT_OK
        if not args.yes and not _confirmed(len(doomed), cutoff):
            print("nothing deleted", file=sys.stderr)
            return stores.EXIT_REFUSED
        count = await local.delete_runs(cutoff)
        print(f"deleted {_runs(count)} that ended before {stores.when(cutoff)}")
    return stores.EXIT_OK


def _confirmed(count: int, cutoff: float) -> bool:
    """Ask on the terminal; off a terminal, refuse (CommandError): deleting needs --yes."""
    what = f"{_runs(count)} that ended before {stores.when(cutoff)}"
    if not sys.stdin.isatty():
        raise stores.CommandError(
            f"gc would delete {what}; stdin is not a terminal to ask on: pass --yes to "
            "delete them (--dry-run lists them)"
        )
    print(f"delete {what}? [y/N] ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def parse_age(text: str) -> float:
    """A duration with its unit; a bare number is refused (30 what?)."""
    from xene.spec.durations import parse_duration

    units = "d (days), h (hours), m (minutes), s (seconds)"
    if text.strip().replace(".", "", 1).isdigit():
        raise stores.CommandError(
            f"--older-than {text}: give a unit: {units}, e.g. {text.strip()}d"
        )
    try:
        return parse_duration(text)
    except ValueError:
        raise stores.CommandError(
            f"--older-than {text!r} is not a duration; write it with a unit: {units}, "
            "e.g. 30d, 12h or 1d12h"
        ) from None


async def finished_before(store: RunReader, cutoff: float) -> list[RunSummary]:
    """Every run `delete_runs(cutoff)` would delete, newest first, page by page."""
    from xene.store.base import RunFilter

    found: list[RunSummary] = []
    before: str | None = None
    while page := await store.list_runs(RunFilter(limit=PAGE, before=before)):
        found += [
            r for r in page if r.state.finished and r.ended_at is not None and r.ended_at < cutoff
        ]
        before = page[-1].id
    return found


def _print_doomed(doomed: list[RunSummary], cutoff: float) -> None:
    if doomed:
        from xene.cli.runs import print_runs

        print_runs(doomed)
    print(f"would delete {_runs(len(doomed))} that ended before {stores.when(cutoff)}")


def _runs(count: int) -> str:
    return f"{count} run{'' if count == 1 else 's'}"
