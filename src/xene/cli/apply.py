"""`xene apply FILE...`: send workflow definitions to a server, which converges to them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xene.cli import remote, stores

if TYPE_CHECKING:
    from xene.client.api import ApiClient
    from xene.client.errors import ApiError

HELP = "create or update workflows on a server (it converges to the new definitions)"
DESCRIPTION = """\
Send each FILE (a Xene manifest, a flow or a state machine, in YAML or JSON) to the
server, which keeps it as the workflow's new version and converges: triggers of removed
pipelines stop, new ones start, changed ones update, unchanged ones are left alone.
Nothing runs now; triggers (or `xene trigger`) start runs.

For each file one line: `created NAME (version 1)`, `updated NAME (version N)` or
`unchanged NAME (version N)` when the text is the one applied already.

An invalid file changes nothing on the server; its problems are printed located
(`file:line: path.to.key: message`), as `xene validate` prints them.

Exit codes: 0 every file applied, 1 refused (unreachable server, a token without the
manager role, a conflict), 2 bad input (an invalid definition, a missing file, no server).

Examples:
  xene apply examples/ci.yaml --server http://127.0.0.1:6060
  xene apply flows/*.yaml
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "apply",
        help=HELP,
        description=DESCRIPTION,
        epilog=remote.SERVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="definition files to apply")
    remote.add_server_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: apply(args))


async def apply(args: argparse.Namespace) -> int:
    from xene.client.errors import ApiError

    code = stores.EXIT_OK
    async with remote.connected(args, "apply") as api:
        texts = [(path, _read(path)) for path in args.files]  # all readable, or none sent
        for path, text in texts:
            try:
                print(await _apply_one(api, path, text))
            except ApiError as exc:
                if exc.status == 0:  # unreachable: the next file would fail the same way
                    raise
                _report(path, exc)
                code = max(code, exc.exit_code)
    return code


def _report(path: str, exc: ApiError) -> None:
    for line in exc.lines():
        print(line, file=sys.stderr)
    count = len(exc.problems)
    if count:
        s = "s" if count != 1 else ""
        print(f"{path}: {count} problem{s}; nothing applied", file=sys.stderr)


async def _apply_one(api: ApiClient, path: str, text: str) -> str:
    from xene.client.api import api_path
    from xene.service.workflows import outcome

    filename = path if len(path) <= 255 else Path(path).name
    json_file = Path(path).suffix.lower() == ".json"
    headers = {"Content-Type": "application/json" if json_file else "application/yaml"}
    answer = await api.post(
        api_path("workflows"), text=text, params={"filename": filename}, headers=headers
    )
    name, version = answer["name"], answer["version"]
    return f"{outcome(answer['changed'], version)} {name} (version {version})"


def _read(path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise stores.CommandError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise stores.CommandError(f"{path}: cannot read it ({exc})") from exc
    if not text.strip():
        raise stores.CommandError(f"{path}: the file is empty")
    return text
