"""`xene validate FILE...`: check definitions without running anything."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xene.cli.common import load_workflow
from xene.errors import Problem
from xene.ir import Workflow

DESCRIPTION = """\
Check workflow definitions without running anything: the format, names, triggers,
dependencies, cycles, node types and their config, selectors and limits. Every problem
is reported at once, as `file:line: path.to.key: message`.

A valid file may still hold what cannot run yet (nothing today): that is a
warning (`file:line: path: warning: ...`); `xene run` and `xene apply` refuse such a file.

Secrets a definition names must exist in the store (--store, else $XENE_STORE, else
$XENE_HOME/xene.db) or on the server (--server, $XENE_SERVER); when neither can be
reached, they are not checked, and a note says so.

Exit codes: 0 every file is valid (warnings or not), 2 a file has problems.
Python files are imported to be checked, so their module-level code runs.
"""


def add_parser(commands: Any) -> None:
    from xene.cli import stores

    parser = commands.add_parser(
        "validate",
        help="check definitions without running anything",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="definitions to check")
    stores.add_store_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from xene.spec.validate import not_runnable

    loaded = [(path, load_workflow(path, to_run=False)) for path in args.files]
    found = _secret_problems(args, [(p, w) for p, w in loaded if w is not None])
    invalid = 0
    for path, workflow in loaded:
        if workflow is None or found.get(path):
            from xene.cli.secret_check import report

            report(path, found.get(path, []))
            invalid += 1
            continue
        nodes = sum(len(p.nodes) for p in workflow.pipelines)
        parts = [f"{len(workflow.pipelines)} pipeline(s)", f"{nodes} node(s)"]
        if workflow.triggers:
            parts.append(f"{len(workflow.triggers)} trigger(s)")
        if workflow.state_machines:
            parts.append(f"{len(workflow.state_machines)} state machine(s)")
        print(f"ok  {path}: {workflow.format} {workflow.name!r}, {', '.join(parts)}")
        for problem in not_runnable(workflow):
            print(f"{problem.loc}: warning: {problem.message}", file=sys.stderr)
    return 2 if invalid else 0


def _secret_problems(
    args: argparse.Namespace, workflows: list[tuple[str, Workflow]]
) -> dict[str, list[Problem]]:
    """Unknown secrets by file; {} (after a note) when no store could be asked."""
    from xene.spec import secret_refs

    named = [(p, w, secret_refs.references(w)) for p, w in workflows]
    named = [(p, w, refs) for p, w, refs in named if refs]
    if not named:
        return {}
    reason = _unreachable_reason(args)
    if reason is None:
        import asyncio

        from xene.cli import secret_check, stores

        async def check() -> dict[str, list[Problem]]:
            async with stores.opened(args) as store:
                where = _where(args)
                return {p: await secret_check.problems(store, refs, where) for p, _, refs in named}

        try:
            return asyncio.run(check())
        except Exception as exc:  # unreachable, refused: each its own errors
            reason = " ".join(str(exc).split())
    print(
        f"note: the secrets these files name were not checked ({reason}); pass --store URL "
        "or --server URL to check them",
        file=sys.stderr,
    )
    return {}


def _unreachable_reason(args: argparse.Namespace) -> str | None:
    """Why there is no store to ask, without creating one; None when there may be."""
    from xene.client.errors import ApiError
    from xene.client.settings import choose
    from xene.store import default_url

    try:
        if choose(args.server, args.store) is not None:
            return None
    except ApiError as exc:
        return str(exc)
    url = args.store or default_url()
    if url.startswith("sqlite:///"):
        from pathlib import Path

        path = Path(url.removeprefix("sqlite:///")).expanduser()
        if not path.exists():
            return f"no store at {path}"
    return None


def _where(args: argparse.Namespace) -> str:
    from xene.client.settings import choose

    target = choose(args.server, args.store)
    if target is not None:
        return f"the server at {target.url}"
    from xene.cli.secret_check import where

    return where(args)
