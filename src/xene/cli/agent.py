"""`xene agent --server URL ...`: run an agent, executing runs for its servers; and
`xene agent drain|forget NAME`: act on an agent a server knows (admins)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xene.cli import remote, stores

HELP = "run an agent for a server's runs; or drain or forget one"
DESCRIPTION = """\
Run an agent: it executes pipeline runs for the servers it is given, on this machine.

  xene agent --server https://xene.example.com:6060 \\
      --cert agent.pem --key agent.key --ca ca.pem --labels gpu,os=linux --capacity 4

It registers with the first server that answers (the others are tried when that one
stops answering), heartbeats, and takes queued runs whose pipelines need no label it
lacks, up to --capacity at once. It offers the label `docker` (container pipelines need
it) when it reaches a Docker engine at start (DOCKER_HOST, else /var/run/docker.sock),
and then sweeps, at start and every --sweep-every seconds, the containers of runs it no
longer holds. Each run's journal and output are kept on disk (--spool)
until a server has them, so a server that is away for a while loses nothing.

Who it is: its certificate (`xene certs agent NAME` on the server's machine gives one),
or an agent token in XENE_TOKEN (`xene token create --role agent`) where the server has
no mutual TLS, or --name for a server without auth (tests, a laptop).

SIGTERM or Ctrl-C: it takes no new runs, keeps heartbeating, lets running steps finish
within --grace seconds, then leaves the rest (another agent resumes them at once), waits
until a server has every commit, and exits 0. A second signal leaves without waiting.

Acting on an agent a server knows (an admin token; `xene agents` lists them):
  drain NAME    the agent takes no new runs; the ones it runs finish. It stays draining
                until it restarts (and registers again).
  forget NAME   drop an agent that is gone for good from `xene agents`. One that is still
                running registers again at its next heartbeat.

Exit codes: 0 done (or drained and stopped), 1 the server is unreachable or refused,
2 bad settings (the message names the flag), or no such agent (or no server).
"""
ACTIONS = ("drain", "forget")


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "agent",
        help=HELP,
        description=DESCRIPTION,
        epilog="drain and forget find their server as other commands do.\n" + remote.SERVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("action", nargs="?", choices=ACTIONS, metavar="ACTION", help=" | ".join(ACTIONS))
    add("name", nargs="?", metavar="NAME", help="the agent's name, as `xene agents` shows")
    add("--server", metavar="URL", action="append", default=None,
        help="a server's URL; repeat it for more servers, tried in turn "
        "(drain and forget: the one server to ask; else the configured one)")  # fmt: skip
    add("--cert", metavar="FILE", help="the agent's certificate (PEM), for mutual TLS")
    add("--key", metavar="FILE", help="the certificate's private key (PEM)")
    add("--ca", metavar="FILE", help="the CA the servers' certificates are signed by "
        "(default: the system's CAs)")  # fmt: skip
    add("--labels", metavar="A,B", default="", help="what this agent offers, e.g. gpu,os=linux")
    add("--capacity", metavar="N", type=int, default=1, help="runs at once (default 1)")
    add("--name", dest="agent_name", metavar="NAME", default="",
        help="its name, for a server without auth (a certificate or token names it)")  # fmt: skip
    add("--grace", metavar="S", type=float, default=30.0,
        help="on SIGTERM, seconds running steps get to finish (default 30)")  # fmt: skip
    add("--sweep-every", metavar="S", type=float, default=60.0,
        help="with docker: how often containers of runs it no longer holds are removed "
        "(default 60)")  # fmt: skip
    add("--spool", metavar="DIR", default=None,
        help="where commits wait for a server (default $XENE_HOME/agent/NAME/spool)")  # fmt: skip
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.action is None:
        if args.name is not None:
            return _invalid(f"{args.name!r} is not an action: drain NAME or forget NAME")
        return run_agent(args)
    if args.name is None:
        return _invalid(f"`xene agent {args.action}` needs the agent's NAME (`xene agents`)")
    if args.server and len(args.server) > 1:
        return _invalid(f"`xene agent {args.action}` asks one server: give --server once")
    args.server = args.server[-1] if args.server else None
    return stores.run_command(lambda: act(args))


def _invalid(message: str) -> int:
    print(f"xene agent: {message}", file=sys.stderr)
    return stores.EXIT_INVALID


async def act(args: argparse.Namespace) -> int:
    from xene.client.api import api_path

    async with remote.connected(args, f"agent {args.action}") as api:
        if args.action == "drain":
            answer = await api.post(api_path("agents", args.name, "drain"))
            print(f"{args.name}: draining ({answer['running']} runs still running)")
        else:
            await api.delete(api_path("agents", args.name))
            print(f"{args.name}: forgotten")
    return stores.EXIT_OK


def run_agent(args: argparse.Namespace) -> int:
    """Run the agent until SIGTERM (or Ctrl-C) and its drain; exit 2 for bad settings."""
    import os

    from xene.agent.settings import AgentSettings

    labels = tuple(label.strip() for label in args.labels.split(",") if label.strip())
    settings = AgentSettings(
        servers=tuple(args.server or ()), cert=args.cert, key=args.key, ca=args.ca,
        token=os.environ.get("XENE_TOKEN") or None, name=args.agent_name, labels=labels,
        capacity=args.capacity, grace_s=args.grace, spool=args.spool, sweep_s=args.sweep_every,
    )  # fmt: skip
    problems = settings.problems()
    if problems:
        for problem in problems:
            print(f"xene agent: {problem}", file=sys.stderr)
        return stores.EXIT_INVALID
    import asyncio

    return asyncio.run(_run(settings))


async def _run(settings: Any) -> int:
    import asyncio
    import logging
    import signal
    import ssl
    from dataclasses import replace

    from xene import __version__
    from xene.agent.agent import Agent, BadSpool, Refused
    from xene.agent.containers import offered_labels

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = replace(settings, labels=await offered_labels(settings.labels, "the agent"))
    try:
        agent = Agent(settings, version=__version__)
    except (OSError, ssl.SSLError) as exc:  # a certificate or key that does not load
        print(f"xene agent: cannot use --cert/--key/--ca: {exc}", file=sys.stderr)
        return stores.EXIT_INVALID
    stop, leave = asyncio.Event(), asyncio.Event()

    def signalled() -> None:
        (leave if stop.is_set() else stop).set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, signalled)
    try:
        await agent.run(stop, leave)
    except Refused as exc:
        print(f"xene agent: {exc}", file=sys.stderr)
        return stores.EXIT_REFUSED
    except BadSpool as exc:
        print(f"xene agent: {exc}", file=sys.stderr)
        return stores.EXIT_INVALID
    return stores.EXIT_OK
