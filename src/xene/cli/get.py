"""`xene get [WORKFLOW]`: the workflows applied to a server, or one in detail."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xene.cli import remote, stores

HELP = "list the workflows applied to a server, or show one"
DESCRIPTION = """\
Without WORKFLOW: every workflow applied to the server, with its version, format, when
it was applied and its pipelines. With WORKFLOW: its version and source file, and each
pipeline with its mode (active, paused, draining, stopped) and the triggers that start it
(secrets and tokens in trigger parameters are masked by the server), and for a pipeline
with a circuit breaker whether it paused the pipeline, and why; a trigger whose fires were
skipped because the server's queue was full says when it last was, and why.

Exit codes: 0 shown, 1 the server is unreachable or refused, 2 no such workflow (or no
server given).

Examples:
  xene get
  xene get ci
  xene get ci --json | jq -r .text      the definition as applied
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "get",
        help=HELP,
        description=DESCRIPTION,
        epilog=remote.SERVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("workflow", nargs="?", metavar="WORKFLOW", help="one workflow's name")
    parser.add_argument("--json", action="store_true", help="print the server's answer as JSON")
    remote.add_server_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: get(args))


async def get(args: argparse.Namespace) -> int:
    from xene.client.api import api_path

    async with remote.connected(args, "get") as api:
        if args.workflow is None:
            answer = await api.get(api_path("workflows"))
        else:
            answer = await api.get(api_path("workflows", args.workflow))
    if args.json:
        print(json.dumps(answer, indent=2))
    elif args.workflow is None:
        print_list(answer["workflows"])
    else:
        print_workflow(answer)
    return stores.EXIT_OK


def print_list(workflows: list[dict[str, Any]]) -> None:
    if not workflows:
        print("no workflows applied yet: `xene apply FILE` sends one")
        return
    rows = [
        (
            w["name"],
            str(w["version"]),
            w["format"],
            stores.when(w["applied_at"]),
            ", ".join(w["pipelines"]),
        )
        for w in workflows
    ]
    stores.print_table(("NAME", "VERSION", "FORMAT", "APPLIED", "PIPELINES"), rows)


def print_workflow(workflow: dict[str, Any]) -> None:
    print(f"workflow {workflow['name']}  version {workflow['version']}  ({workflow['format']})")
    print(f"  applied: {stores.when(workflow['applied_at'])} from {workflow['filename']}")
    if workflow.get("description"):
        print(f"  description: {stores.shorten(workflow['description'], 100)}")
    print()
    rows = [
        (p["name"], p["mode"], ", ".join(trigger(t) for t in p["triggers"]) or "manual only")
        for p in workflow["pipelines"]
    ]
    stores.print_table(("PIPELINE", "MODE", "TRIGGERS"), rows)
    for pipeline in workflow["pipelines"]:
        line = breaker(workflow["name"], pipeline)
        if line:
            print(line)
    for line in skipped(workflow["pipelines"]):
        print(line)


def skipped(pipelines: list[dict[str, Any]]) -> list[str]:
    """A line per trigger whose last fire started nothing (the server's queue was full)."""
    found = {t["name"]: t["skipped"] for p in pipelines for t in p["triggers"] if t.get("skipped")}
    return [
        f"  trigger {name}: {fire['count']} fire(s) skipped, the last at "
        f"{stores.when(fire['at'])}: {fire['reason']}"
        for name, fire in sorted(found.items())
    ]


def breaker(workflow: str, pipeline: dict[str, Any]) -> str:
    """The circuit breaker's line of a pipeline: why it paused it, or what trips it."""
    state, name = pipeline.get("breaker"), pipeline["name"]
    if not state:
        return ""
    if state["tripped"]:
        at = f" at {stores.when(state['tripped_at'])}" if state.get("tripped_at") else ""
        return (
            f"  {name}: paused by its circuit breaker{at}: {state['reason']}; "
            f"`xene pipeline resume {workflow} {name}` re-arms it"
        )
    return (
        f"  {name}: circuit breaker armed: pauses it once {state['threshold']:g} of its "
        f"last {state['window']} runs failed"
    )


def trigger(data: dict[str, Any]) -> str:
    """`push (webhook)`, `nightly (cron 0 3 * * *, disabled)`."""
    params = data.get("params") or {}
    detail = params.get("cron") or params.get("path") or ""
    kind = f"{data['type']} {detail}".strip()
    if not data.get("enabled", True):
        kind += ", disabled"
    return f"{data['name']} ({kind})"
