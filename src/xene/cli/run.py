"""`xene run FILE`: run a workflow's pipelines now, on this machine, watching them live."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xene.cli.common import (
    UsageError,
    fail_usage,
    load_workflow,
    parse_input,
    parse_pairs,
    positive_int,
)
from xene.cli.display import Display, triggers_note
from xene.cli.session import Session, Settings
from xene.ir import Pipeline, Workflow

HELP = "run a workflow now, on this machine"
DESCRIPTION = """\
Run the pipelines of FILE now, in this process, and show them live: each task or node
with its state and duration, and every step's output as it is printed.

FILE is a Xene manifest (YAML or JSON, `kind: Workflow`), a flow (`nodes:` and `edges:`),
a state machine (`state_machine:`) or a Python file using `import xene`.
Cron and webhook triggers are listed, not started: `xene run` runs the pipelines once.

Every run is kept in the store (SQLite at $XENE_HOME/xene.db unless --store says
otherwise): see `xene runs`, `xene show RUN`, `xene logs RUN`. A run whose process died
continues with `xene resume RUN` (or `xene run FILE --resume`).

A pipeline with `executor: {type: container}` runs each run in a container of its own,
on the Docker engine DOCKER_HOST names (else the local socket), removed when the run
ends. Before it starts, containers that runs of the same store left behind (their
`xene run` was killed, and they ended since) are removed. Without an engine: exit 2.

Exit codes: 0 every run succeeded, 1 a run failed, 2 the input is invalid, 3 a run is
suspended on an approval (decide with `xene approve HOOK`), 130 interrupted (Ctrl-C
cancels the run: running steps get SIGTERM, then SIGKILL), 143 stopped by SIGTERM (as
systemd, `docker stop` or Kubernetes stop a process: running steps get --grace seconds
to finish, then are stopped, and the run stays unfinished: `xene resume RUN` goes on).
If xene itself is killed, its steps are ended with it.

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
        "--max-concurrency", type=positive_int, metavar="N", help="run at most N nodes at once"
    )
    _add_keeping_options(parser)
    add_grace_option(parser)
    parser.add_argument("--json", action="store_true", help="print the final run record as JSON")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the outcome")
    parser.set_defaults(handler=handle)


def _add_keeping_options(parser: argparse.ArgumentParser) -> None:
    """Where the run is kept, and what happens to it there."""
    parser.add_argument(
        "--store",
        metavar="URL",
        help="where runs are kept: sqlite:///path.db (default: $XENE_STORE, else "
        "$XENE_HOME/xene.db), postgresql://..., or memory:// (nothing kept)",
    )
    parser.add_argument(
        "--idempotency-key",
        metavar="K",
        help="start at most one run for K: a second `xene run` with K reports the first",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="resume the newest unfinished run of FILE instead of starting a new one",
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="when a std::wait node asks for a decision, wait for `xene approve` "
        "instead of suspending the run (exit code 3)",
    )


def add_grace_option(parser: argparse.ArgumentParser) -> None:
    from xene.cli.common import positive_seconds
    from xene.cli.session import DEFAULT_GRACE_S

    parser.add_argument(
        "--grace",
        type=positive_seconds,
        default=DEFAULT_GRACE_S,
        metavar="S",
        help=f"on SIGTERM, let running steps finish for S seconds, then stop them and leave "
        f"the run to resume (default {DEFAULT_GRACE_S:g})",
    )


def handle(args: argparse.Namespace) -> int:
    try:
        data = parse_input(args.input)
        settings = Settings(
            env=parse_pairs(args.env, "--env"),
            approvals=_approvals(parse_pairs(args.approve, "--approve")),
            max_concurrency=args.max_concurrency,
            wait=args.wait,
            grace_s=args.grace,
        )
    except UsageError as exc:
        return fail_usage(str(exc))
    workflow = load_workflow(args.file)
    if workflow is None:
        return 2
    _importable_from(args.file)
    if workflow.format == "fsm":
        from xene.cli.fsm_run import run_state_machines

        return run_state_machines(workflow, args.event or [], data, settings.env, args)
    try:
        pipelines = select_pipelines(workflow, args.pipeline)
        from xene.cli.run_approvals import check_approvals  # `--approve` names wait nodes

        check_approvals(settings.approvals, pipelines)
    except UsageError as exc:
        return fail_usage(str(exc))
    if any(p.executor.type == "container" for p in pipelines):  # (else nothing to import)
        from xene.cli.stores import scope_of

        settings.container_scope = scope_of(args.store)
    display = make_display(args)
    _note_triggers(workflow, pipelines, args)
    from xene.cli.stores import run_command

    session = Session(display, settings, None)
    return run_command(lambda: _run(args, workflow, pipelines, data, session))


async def _run(
    args: argparse.Namespace,
    workflow: Workflow,
    pipelines: list[Pipeline],
    data: Any,
    session: Session,
) -> int:
    from xene.cli import secret_check, stores, sweeping

    async with stores.opened_local(args) as store:
        session.store = store
        if args.resume:
            return await _resume_latest(args.file, pipelines, session)
        if not await secret_check.known_in(store, workflow, pipelines, secret_check.where(args)):
            return 2
        await sweeping.prepare(store, session.settings.container_scope, pipelines)
        for pipeline in pipelines:
            await _start(args, workflow, pipeline, data, session)
            if session.interrupted or session.stopped:
                break
        session.display.summary(session.runs)
        return session.exit_code()


async def _start(
    args: argparse.Namespace, workflow: Workflow, pipeline: Pipeline, data: Any, session: Session
) -> None:
    from xene.engine.engine import Engine
    from xene.store.base import RunSource

    path = os.path.abspath(args.file)
    source = RunSource(
        path=path,
        text=Path(path).read_text(encoding="utf-8"),
        format=workflow.format,
        workflow=workflow.name,
        pipeline=pipeline.name,
    )
    key = args.idempotency_key
    if key and len(workflow.pipelines) > 1:
        key = f"{key}/{pipeline.name}"
    engine = Engine(session.options(), session.store)
    execution, created = await engine.start(pipeline, data, source, idempotency_key=key)
    if created:
        await session.execute(execution)
    else:
        session.existing(execution.run, key or "")


async def _resume_latest(file: str, pipelines: list[Pipeline], session: Session) -> int:
    from xene.cli.resume import resume_stored

    assert session.store is not None
    path, names = os.path.abspath(file), {p.name for p in pipelines}
    for summary in reversed(await session.store.unfinished_runs()):
        stored = await session.store.get_run(summary.id)
        if stored and stored.source.path == path and stored.source.pipeline in names:
            return await resume_stored(stored, session)
    print(f"xene: no unfinished run of {file} to resume", file=sys.stderr)
    return 1


def _importable_from(path: str) -> None:
    """`call: module:function` finds modules beside the workflow file, then in the cwd."""
    for directory in (os.getcwd(), os.path.dirname(os.path.abspath(path))):
        if directory not in sys.path:
            sys.path.insert(0, directory)


def _approvals(pairs: dict[str, str]) -> dict[str, str]:
    from xene.core.states import Decision

    for node, decision in pairs.items():
        if decision not in set(Decision):
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
