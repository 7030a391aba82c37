"""The `xene` command. Subcommands live in their own modules, imported only when used,
so `xene run` starts fast and never loads what it does not use."""

from __future__ import annotations

import gc
import sys

TYPE_CHECKING = False  # not `typing`'s: `xene --version` imports nothing it need not
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

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


COMMANDS: dict[str, str] = {
    "run": "run",
    "resume": "resume",
    "approve": "approve",
    "validate": "validate",
    "graph": "graph",
    "serve": "serve",
    # Commands that read the store: history, logs, approvals waiting, state machines.
    "runs": "runs",
    "show": "show",
    "logs": "logs",
    "cancel": "cancel",
    "retry": "retry",
    "gc": "gc",
    "approvals": "approvals",
    "fsm": "fsm",
    # Commands for a server (`xene serve`): workflows applied to it, runs it starts, tokens;
    # and secrets, of a server or a local store.
    "apply": "apply",
    "get": "get",
    "delete": "delete",
    "trigger": "trigger",
    "pipeline": "pipeline",
    "token": "token",
    "secret": "secret",
    # Agents of a server, and the certificates with which they and servers trust each other.
    "agents": "agents",
    "agent": "agent",
    "certs": "certs",
}
"""Each command, in the order `xene --help` lists them, and its module in `xene.cli`."""
ALIASES = {"suspensions": "approvals"}
"""Older names that still work, unlisted; each command's module adds its own."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The `xene` parser: with every command, or only with the one `argv` names.

    A command's module (and what it imports) loads only when that command is the one run,
    or when the list of commands with their help lines is printed.
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="xene",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"xene {_version()}")
    # `prog` given: argparse would work it out with a help formatter, importing shutil.
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", prog="xene")
    wanted = tuple(COMMANDS) if argv is None else _wanted(argv)
    for name in wanted:
        module = f"xene.cli.{COMMANDS[name]}"
        __import__(module)  # not importlib's: `-X importtime` shows only what this imports
        sys.modules[module].add_parser(commands)
    return parser


def _wanted(argv: Sequence[str]) -> Sequence[str]:
    """The commands whose parsers `argv` needs.

    The top-level options take no value, so the first word that is not an option is the
    command. `--version` needs no command; help, no command at all, or an unknown one
    (whose error lists the others) need all of them.
    """
    for word in argv:
        if not word.startswith("-"):
            name = ALIASES.get(word, word)
            return (name,) if name in COMMANDS else tuple(COMMANDS)
        if not _is_version(word):
            return tuple(COMMANDS)
    return () if argv else tuple(COMMANDS)


def _is_version(word: str) -> bool:
    """`--version`, or a prefix argparse takes for it (`--vers`)."""
    return len(word) >= 3 and "--version".startswith(word)


def _version() -> str:
    from xene import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `xene` command `argv`; None: this process's own command line."""
    words = sys.argv[1:] if argv is None else argv
    if len(words) == 1 and _is_version(words[0]):
        print(f"xene {_version()}")  # as argparse's version action, without argparse
        raise SystemExit(0)
    parser, args = _parse(words, whole_process=argv is None)
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


def _parse(
    argv: Sequence[str], whole_process: bool
) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The parser and the parsed `argv`, the garbage collector paused meanwhile.

    Loading a command's modules makes tens of thousands of objects that live on (modules,
    classes, functions), and no garbage: collecting meanwhile only scans them over and
    over. A whole process also freezes them, so that later collections skip them.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        parser = build_parser(argv)
        return parser, parser.parse_args(argv)
    finally:
        if collecting:
            gc.enable()
        if whole_process:
            gc.freeze()


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
