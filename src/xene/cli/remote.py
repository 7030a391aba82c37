"""What the commands that need a server share (`apply`, `get`, `delete`, `trigger`,
`pipeline`): the `--server` option, connecting, and printing a followed log."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from xene.cli import stores

if TYPE_CHECKING:
    from xene.client.api import ApiClient
    from xene.store.base import LogChunk

SERVER_EPILOG = """\
The server: --server URL, else $XENE_SERVER, else `server:` in $XENE_HOME/config.yaml
(XENE_HOME is ~/.xene unless set). The token: $XENE_TOKEN, else `token:` in that file.
A config file, kept private (chmod 600):

  server: http://127.0.0.1:6060
  token: eyJhbGciOi...          # from `xene token create` on the server's machine
"""
SERVER_HELP = (
    "the Xene server (`xene serve`) to talk to, e.g. http://127.0.0.1:6060 "
    "(default: $XENE_SERVER, else `server:` in $XENE_HOME/config.yaml)"
)
NO_SERVER = (
    "{command} talks to a Xene server, and none is given: pass --server URL (e.g. "
    "http://127.0.0.1:6060), set XENE_SERVER, or put `server: URL` in {config}"
)


def add_server_option(parser: argparse.ArgumentParser) -> None:
    stores.add_server_option(parser, SERVER_HELP)


@asynccontextmanager
async def connected(args: argparse.Namespace, command: str) -> AsyncIterator[ApiClient]:
    """The client of the server the command names; exit 2 saying how to name one if none."""
    from xene.client.api import ApiClient
    from xene.client.settings import choose, config_path

    target = choose(args.server, local=False)
    if target is None:
        message = NO_SERVER.format(command=f"`xene {command}`", config=config_path())
        raise stores.CommandError(message, stores.EXIT_INVALID)
    async with ApiClient(target.url, target.token, verify=target.verify) as api:
        yield api


async def follow(
    api: ApiClient, run_id: str, task: str | None, step: str | None, after: int = 0
) -> str:
    """Print the run's log lines (after the chunk `after`) as the server commits them
    (`task/step │ line`), until it ends; its final state."""
    from xene.client.follow import follow_logs

    def show(chunk: LogChunk) -> None:
        if task not in (None, chunk.node, chunk.node.split("[", 1)[0]):
            return
        where = f"{chunk.node}/{chunk.step}" if chunk.step else chunk.node
        for line in chunk.lines:
            print(f"{where} │ {line}", flush=True)

    state = await follow_logs(api, run_id, show, step=step, after=after)
    print(f"run {run_id} ended: {state}", file=sys.stderr)
    return state
