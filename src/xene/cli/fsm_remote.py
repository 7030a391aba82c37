"""`xene fsm define|run|event` against a server: the server creates instances and moves
them (and queues their `on_enter` runs for its agent), so these post to its API rather
than acting on the store. `list`, `ps` and `show` read through `RemoteStore`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from xene.cli import stores

if TYPE_CHECKING:
    from xene.client.api import ApiClient


async def define(api: ApiClient, args: argparse.Namespace) -> int:
    from xene.client.api import api_path

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise stores.CommandError(f"{args.file}: cannot read it ({exc.strerror})") from exc
    kind = "application/json" if path.suffix.lower() == ".json" else "application/yaml"
    answer = await api.post(
        api_path("machines"),
        text=text,
        params={"filename": args.file if len(args.file) <= 255 else path.name},
        headers={"Content-Type": kind},
    )
    for name in answer["machines"]:
        data = await api.get(api_path("machines", name))
        print(f"defined {name}: starts in {data['initial_state']}")
    return stores.EXIT_OK


async def run(api: ApiClient, args: argparse.Namespace) -> int:
    from xene.client.api import api_path

    answer = await api.post(api_path("machines", args.name, "instances"))
    print(answer["id"])
    print(
        f"{args.name} instance in {answer['state']}; send it events with: "
        f"xene fsm event {answer['id']} EVENT",
        file=sys.stderr,
    )
    _queued(answer.get("run_id"), answer["state"])
    return stores.EXIT_OK


async def event(api: ApiClient, args: argparse.Namespace) -> int:
    from xene.client.api import api_path
    from xene.client.errors import ApiError

    try:
        moved = await api.post(api_path("instances", args.instance, "events", args.event))
    except ApiError as exc:
        if exc.status == 409:
            raise stores.CommandError(f"refused: {exc}", stores.EXIT_REFUSED) from exc
        raise
    print(f"{moved['from']} -> {moved['to']}")
    _queued(moved.get("run_id"), moved["to"])
    return stores.EXIT_OK


def _queued(run_id: str | None, state: str) -> None:
    if run_id:
        print(
            f"the server runs the {state} pipeline: run {run_id} (`xene logs {run_id} "
            "--follow` to watch it)",
            file=sys.stderr,
        )


ACTIONS: dict[str, Callable[[ApiClient, argparse.Namespace], Awaitable[int]]] = {
    "define": define,
    "run": run,
    "event": event,
}
