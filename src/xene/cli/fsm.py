"""`xene fsm`: state machines kept in the store, and their instances moved by events."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xene.cli import stores

if TYPE_CHECKING:
    from xene.cli.stores import Opened
    from xene.service.machines import Entered
    from xene.store.base import MachineInstance, ServerStore, Store
    from xene.store.roles import MachineReader

HELP = "define state machines, start instances, send them events"
DESCRIPTION = """\
State machines kept in the store. An instance starts in its machine's initial state and
moves only on the events allowed in the state it is in; every move is recorded.

  xene fsm define FILE             store the state machines FILE defines (once per name)
  xene fsm list                    the machines defined
  xene fsm run NAME                a new instance of NAME; prints its id
  xene fsm ps NAME                 NAME's instances and their states
  xene fsm event INSTANCE EVENT    send EVENT: the instance moves, or nothing changes
  xene fsm show INSTANCE           its state, the events it accepts, its history

With --server (or $XENE_SERVER), the server keeps the machines and runs the `on_enter`
pipelines itself: `run` and `event` print the id of the run they queued.

Exit codes: 0 done, 1 refused (a name defined already, an event not allowed now),
2 bad input (an unknown machine, instance or file).

Example:
  xene fsm define examples/traffic-light.fsm.yaml
  ID=$(xene fsm run traffic-light)
  xene fsm event $ID turn_yellow
  xene fsm show $ID
"""

SUBCOMMANDS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "define": ("store the state machines a file defines", (("file", "the definition file"),)),
    "list": ("list the state machines defined", ()),
    "run": ("start a new instance in the initial state", (("name", "the machine's name"),)),
    "ps": ("list the instances of a machine", (("name", "the machine's exact name"),)),
    "event": (
        "send an event to an instance",
        (("instance", "the instance id"), ("event", "the event's name")),
    ),
    "show": ("show an instance: state, events it accepts, history", (("instance", "its id"),)),
}

DETAILS = {
    "define": """\
Store the state machines FILE defines (`state_machine:` in an OpenState file), under
their names. A name is defined once: defining it again is refused (exit 1), so that a
definition never changes under its instances; give a new version another name.""",
    "list": "List the state machines defined: name, initial state, states, source file.",
    "run": """\
Start a new instance of the machine NAME in its initial state and print its id (alone on
stdout, so that `ID=$(xene fsm run NAME)` works). Exit 2 if no machine has that name.""",
    "ps": "List the instances of the machine named exactly NAME: id, state, last update.",
    "event": """\
Send EVENT to an instance. If the event is allowed in the instance's state, it moves and
`from -> to` is printed; if not, nothing changes, the events allowed now are named and
the exit code is 1. Entering a state with an `on_enter` pipeline names that pipeline.""",
    "show": "Show an instance: its state, the events it accepts now, and every move so far.",
}


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "fsm",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, (text, positionals) in SUBCOMMANDS.items():
        sub = actions.add_parser(
            name,
            help=text,
            description=DETAILS[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for arg, arg_help in positionals:
            sub.add_argument(arg, metavar=arg.upper(), help=arg_help)
        stores.add_store_option(sub)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: dispatch(args))


async def dispatch(args: argparse.Namespace) -> int:
    async with stores.opened(args) as store:
        if args.action in READERS:
            return await READERS[args.action](store, args)
        if stores.is_local(store):
            return await WRITERS[args.action](store, args)
        from xene.cli import fsm_remote  # a server moves its instances itself

        return await fsm_remote.ACTIONS[args.action](store.api, args)


async def define(store: ServerStore, args: argparse.Namespace) -> int:
    from xene.cli.common import load_workflow
    from xene.service import machines

    workflow = load_workflow(args.file)
    if workflow is None:
        return stores.EXIT_INVALID
    text = Path(args.file).read_text(encoding="utf-8")
    try:
        await machines.define(store, workflow, workflow.source, text, time.time())
    except machines.Refused as exc:
        code = stores.EXIT_REFUSED if workflow.state_machines else stores.EXIT_INVALID
        raise stores.CommandError(f"refused: {exc}", code) from exc
    for machine in workflow.state_machines:
        print(f"defined {machine.name}: starts in {machine.initial_state}")
    return stores.EXIT_OK


async def list_machines(store: MachineReader, args: argparse.Namespace) -> int:
    from xene.cli.fsm_defs import machine

    names = await store.list_machines()
    if not names:
        print("no state machines yet: `xene fsm define FILE` stores one")
        return stores.EXIT_OK
    rows = []
    for name in names:
        data = await store.get_machine(name)
        if data is not None:
            ir = machine(data)
            rows.append((name, ir.initial_state, ", ".join(ir.states), data.get("source", "")))
    stores.print_table(("NAME", "INITIAL", "STATES", "SOURCE"), rows)
    return stores.EXIT_OK


async def run(store: ServerStore, args: argparse.Namespace) -> int:
    from xene.engine.clock import new_id
    from xene.service import machines

    await _machine(store, args.name)
    entered = await machines.start(store, args.name, time.time(), new_id)
    instance = entered.instance
    print(instance.id)
    print(
        f"{args.name} instance in {instance.state}; send it events with: "
        f"xene fsm event {instance.id} EVENT",
        file=sys.stderr,
    )
    return await _on_enter(store, entered, stores.scope_of(args.store))


async def ps(store: MachineReader, args: argparse.Namespace) -> int:
    await _machine(store, args.name)
    instances = [i for i in await store.list_instances(args.name) if i.machine == args.name]
    if not instances:
        print(f"no instances of {args.name}: `xene fsm run {args.name}` starts one")
        return stores.EXIT_OK
    rows = [(i.id, i.state, stores.when(i.updated_at)) for i in instances]
    stores.print_table(("ID", "STATE", "UPDATED"), rows)
    return stores.EXIT_OK


async def event(store: ServerStore, args: argparse.Namespace) -> int:
    from xene.service import machines

    instance = await _instance(store, args.instance)
    await _machine(store, instance.machine)
    try:
        entered = await machines.send(store, instance, args.event, time.time())
    except machines.Refused as exc:
        raise stores.CommandError(f"refused: {exc}", stores.EXIT_REFUSED) from exc
    print(f"{instance.state} -> {entered.state}")
    return await _on_enter(store, entered, stores.scope_of(args.store))


async def show(store: Opened, args: argparse.Namespace) -> int:
    from xene.cli.fsm_defs import machine

    instance = await _instance(store, args.instance)
    ir = machine(await _machine(store, instance.machine))
    print(f"instance {instance.id} of {instance.machine}")
    print(f"  state: {instance.state}")
    print(f"  available events: {', '.join(ir.available_events(instance.state)) or 'none'}")
    print(
        f"  created {stores.when(instance.created_at)}, updated {stores.when(instance.updated_at)}"
    )
    if instance.history:
        print()
        rows = [(stores.when(at), ev, f"{src} -> {dst}") for ev, src, dst, at in instance.history]
        stores.print_table(("AT", "EVENT", "TRANSITION"), rows)
    return stores.EXIT_OK


READERS = {"list": list_machines, "ps": ps, "show": show}
"""What reads a store, a local one or a server's (`RemoteStore`)."""
WRITERS = {"define": define, "run": run, "event": event}
"""What a local store does here, and a server itself (`xene.cli.fsm_remote`)."""


async def _machine(store: MachineReader, name: str) -> dict[str, Any]:
    from xene.service import machines

    try:
        return await machines.get(store, name)
    except machines.NoSuchMachine as exc:
        raise stores.CommandError(str(exc)) from exc


async def _instance(store: Opened, instance_id: str) -> MachineInstance:
    """By its id, or a unique start of it in any case."""
    instance = await store.get_instance(instance_id)
    if instance is None:
        found = await stores.find_id(store, "instance", instance_id)
        instance = await store.get_instance(found) if found else None
    if instance is None:
        raise stores.CommandError(
            f"no state machine instance {instance_id!r}; `xene fsm ps NAME` lists a machine's"
        )
    return instance


async def _on_enter(store: Store, entered: Entered, scope: str) -> int:
    """Run the state's `on_enter` pipeline, if any: exit 1 if that run failed."""
    from xene.cli.fsm_defs import run_on_enter

    if entered.problem is not None:
        print(f"xene: {entered.problem}; the instance moved, no run started", file=sys.stderr)
        return stores.EXIT_REFUSED
    if entered.on_enter is None:
        return stores.EXIT_OK
    run = await run_on_enter(store, entered.on_enter, scope)
    if run.succeeded:
        return stores.EXIT_OK
    print(f"the {entered.state} pipeline's run {run.id} ended {run.state}", file=sys.stderr)
    return stores.EXIT_REFUSED
