"""`xene run FILE`: run a workflow's pipelines now, on this machine, watching them live."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from xene.cli.common import UsageError, fail_usage, load_workflow, parse_input, parse_pairs
from xene.cli.display import Display, triggers_note
from xene.core.records import RunRecord
from xene.spec.ir import Pipeline, Workflow

HELP = "run a workflow now, on this machine"
DESCRIPTION = """\
Run the pipelines of FILE now, in this process, and show them live: each task or node
with its state and duration, and every step's output as it is printed.

FILE is a Xene manifest (YAML or JSON, `kind: Workflow`), a flow (`nodes:` and `edges:`),
a state machine (`state_machine:`) or a Python file using `import xene`.
Cron and webhook triggers are listed, not started: `xene run` runs the pipelines once.

Exit codes: 0 every run succeeded, 1 a run failed, 2 the input is invalid,
130 interrupted (Ctrl-C cancels the run: running steps get SIGTERM, then SIGKILL).

Examples:
  xene run examples/ci.yaml
  xene run examples/orders.flow.yaml --input '{"items": [{"price": 30}, {"price": 90}]}'
  xene run flow.yaml --pipeline build --env TARGET=prod --json > run.json
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "run",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", help="the workflow definition to run")
    parser.add_argument(
        "-p", "--pipeline", action="append", metavar="P", help="run only pipeline P (repeatable)"
    )
    parser.add_argument(
        "-i", "--input", metavar="JSON|@FILE", help="the run's input: JSON text, or @file.json"
    )
    parser.add_argument(
        "-e", "--env", action="append", metavar="K=V", help="add K=V to every step's environment"
    )
    parser.add_argument(
        "--approve",
        action="append",
        metavar="NODE=DECISION",
        help="decide a std::wait node in advance: approve, reject or escalate",
    )
    parser.add_argument(
        "--event",
        action="append",
        metavar="EVENT",
        help="state machines: send EVENT to the new instance (repeatable, in order)",
    )
    parser.add_argument(
        "--max-concurrency", type=int, metavar="N", help="run at most N nodes at once"
    )
    parser.add_argument("--json", action="store_true", help="print the final run record as JSON")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the outcome")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    try:
        data = parse_input(args.input)
        env = parse_pairs(args.env, "--env")
        approvals = _approvals(parse_pairs(args.approve, "--approve"))
    except UsageError as exc:
        return fail_usage(str(exc))
    workflow = load_workflow(args.file)
    if workflow is None:
        return 2
    _importable_from(args.file)
    if workflow.format == "fsm":
        from xene.cli.fsm_run import run_state_machines

        return run_state_machines(workflow, args.event or [], data, env)
    try:
        pipelines = select_pipelines(workflow, args.pipeline)
    except UsageError as exc:
        return fail_usage(str(exc))
    display = make_display(args)
    _note_triggers(workflow, pipelines, args)
    runner = Runner(display, env, approvals, args.max_concurrency)
    runs, interrupted = asyncio.run(runner.run_all(workflow.name, pipelines, data))
    display.summary(runs)
    if interrupted:
        return 130
    return 0 if all(r.succeeded for r in runs) else 1


def _importable_from(path: str) -> None:
    """`call: module:function` finds modules beside the workflow file, then in the cwd."""
    for directory in (os.getcwd(), os.path.dirname(os.path.abspath(path))):
        if directory not in sys.path:
            sys.path.insert(0, directory)


def _approvals(pairs: dict[str, str]) -> dict[str, str]:
    for node, decision in pairs.items():
        if decision not in ("approve", "reject", "escalate"):
            raise UsageError(f"--approve {node}={decision}: decide approve, reject or escalate")
    return pairs


def select_pipelines(workflow: Workflow, names: Sequence[str] | None) -> list[Pipeline]:
    if not names:
        return list(workflow.pipelines)
    known = {p.name: p for p in workflow.pipelines}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(
            f"no pipeline {unknown[0]!r} in {workflow.source}; it has: {', '.join(known) or 'none'}"
        )
    return [known[n] for n in names]


def make_display(args: argparse.Namespace) -> Display:
    from xene.cli.display import JsonDisplay, PlainDisplay, QuietDisplay

    if args.json:
        return JsonDisplay()
    if args.quiet:
        return QuietDisplay()
    if sys.stdout.isatty():
        from xene.cli.live import LiveDisplay

        return LiveDisplay()
    return PlainDisplay()


def _note_triggers(workflow: Workflow, pipelines: list[Pipeline], args: argparse.Namespace) -> None:
    used = {t for p in pipelines for t in p.triggers}
    scheduled = [t.name for t in workflow.triggers if t.name in used and t.type != "manual"]
    if scheduled and not (args.json or args.quiet):
        print(triggers_note(scheduled), file=sys.stderr)


class Runner:
    """Runs pipelines one after the other; Ctrl-C cancels the current one and stops."""

    def __init__(
        self,
        display: Display,
        env: dict[str, str],
        approvals: dict[str, str],
        max_concurrency: int | None,
    ) -> None:
        self.display = display
        self.env = env
        self.approvals = approvals
        self.max_concurrency = max_concurrency
        self.interrupted = False
        self._cancelling: asyncio.Future[None] | None = None

    async def run_all(
        self, workflow: str, pipelines: list[Pipeline], data: Any
    ) -> tuple[list[RunRecord], bool]:
        from xene.cli.approve import make_approver
        from xene.engine.engine import Engine
        from xene.engine.options import EngineOptions

        options = EngineOptions(
            listeners=(self.display,),
            approver=make_approver(self.approvals, self.display),
            env=self.env,
            max_concurrency=self.max_concurrency,
        )
        engine = Engine(options)
        runs: list[RunRecord] = []
        for pipeline in pipelines:
            execution = engine.prepare(pipeline, data, workflow=workflow)
            self.display.begin(execution.run)
            with _on_interrupt(lambda ex=execution: self._interrupt(ex)):
                run = await execution.execute()
            self.display.end(run)
            runs.append(run)
            if self.interrupted:
                break
        return runs, self.interrupted

    def _interrupt(self, execution: Any) -> None:
        if self.interrupted:
            return
        self.interrupted = True
        print("\ncancelling: running steps get SIGTERM, then SIGKILL", file=sys.stderr)
        self._cancelling = asyncio.ensure_future(execution.cancel("interrupted"))


class _on_interrupt:
    """Route SIGINT and SIGTERM to a callback while a run executes."""

    def __init__(self, callback: Any) -> None:
        self.callback = callback

    def __enter__(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.callback)

    def __exit__(self, *exc: object) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
