"""`xene graph FILE`: draw a pipeline's graph as text, Mermaid or Graphviz dot."""

from __future__ import annotations

import argparse
from typing import Any

from xene.cli.common import UsageError, fail_usage, load_workflow

DESCRIPTION = """\
Draw the graph of each pipeline in FILE: its nodes in the order they can run, with
their dependencies and ports.

  xene graph examples/ci.yaml
  xene graph examples/orders.flow.yaml --format mermaid > flow.mmd
  xene graph examples/ci.yaml --format dot | dot -Tpng > ci.png
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "graph",
        help="draw a pipeline's graph (text, mermaid, dot)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", help="the workflow definition")
    parser.add_argument(
        "-f", "--format", choices=("text", "mermaid", "dot"), default="text", help="default: text"
    )
    parser.add_argument("-p", "--pipeline", action="append", metavar="P", help="only pipeline P")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from xene.cli.run import select_pipelines
    from xene.spec.render import render

    workflow = load_workflow(args.file, to_run=False)
    if workflow is None:
        return 2
    try:
        pipelines = select_pipelines(workflow, args.pipeline)
    except UsageError as exc:
        return fail_usage(str(exc))
    for index, pipeline in enumerate(pipelines):
        if len(pipelines) > 1 and args.format == "text":
            print(("\n" if index else "") + f"# pipeline {pipeline.name}")
        print(render(pipeline, args.format), end="")
    return 0
