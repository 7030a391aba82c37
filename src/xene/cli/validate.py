"""`xene validate FILE...`: check definitions without running anything."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xene.cli.common import load_workflow

DESCRIPTION = """\
Check workflow definitions without running anything: the format, names, triggers,
dependencies, cycles, node types and their config, selectors and limits. Every problem
is reported at once, as `file:line: path.to.key: message`.

A valid file may still hold what cannot run yet (a container executor): that is a
warning (`file:line: path: warning: ...`); `xene run` and `xene apply` refuse such a file.

Exit codes: 0 every file is valid (warnings or not), 2 a file has problems.
Python files are imported to be checked, so their module-level code runs.
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "validate",
        help="check definitions without running anything",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="definitions to check")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from xene.spec.validate import not_runnable

    invalid = 0
    for path in args.files:
        workflow = load_workflow(path, to_run=False)
        if workflow is None:
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
