"""The `xene` command. Subcommands live in their own modules, imported only when used,
so `xene run` starts fast and never loads what it does not use."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

DESCRIPTION = """\
Xene runs workflows: graphs of tasks declared in YAML, JSON or Python.

Start here:
  xene run examples/ci.yaml          run a workflow now, watching it live
  xene validate examples/*.yaml      check definitions without running anything
  xene graph examples/orders.flow.yaml --format mermaid
  xene runs / xene show RUN / xene logs RUN   what ran, kept in $XENE_HOME/xene.db
  xene serve                         the API, triggers and an agent, as a service
"""

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xene",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"xene {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    from xene.cli import decide, graph, resume, run, serve, validate

    run.add_parser(commands)
    resume.add_parser(commands)
    decide.add_parser(commands)
    validate.add_parser(commands)
    graph.add_parser(commands)
    serve.add_parser(commands)
    _add_history_parsers(commands)
    _add_remote_parsers(commands)
    return parser


def _add_history_parsers(commands: Any) -> None:
    """Commands that read the store: history, logs, approvals waiting, state machines."""
    from xene.cli import cancel, fsm, gc, logs, retry, runs, show, suspensions

    for module in (runs, show, logs, cancel, retry, gc, suspensions, fsm):
        module.add_parser(commands)


def _add_remote_parsers(commands: Any) -> None:
    """Commands for a server (`xene serve`): workflows applied to it, runs it starts, tokens;
    and secrets, of a server or a local store."""
    from xene.cli import apply, delete, get, pipeline, secret, token, trigger

    for module in (apply, get, delete, trigger, pipeline, token, secret):
        module.add_parser(commands)


def _version() -> str:
    from xene import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_INVALID
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # an optional part not installed: say which extra
        return _missing_extra(exc, f"xene {args.command}")
    return code


def _missing_extra(exc: Exception, what: str) -> int:
    """Exit 2 saying what to install for a missing optional module; re-raise the rest."""
    from xene.extras import MissingExtra, missing_extra

    missing = exc if isinstance(exc, MissingExtra) else None
    if isinstance(exc, ModuleNotFoundError):
        missing = missing_extra(exc, what)
    if missing is None:
        raise exc
    print(f"xene: {missing}", file=sys.stderr)
    return EXIT_INVALID


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
