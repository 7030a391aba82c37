"""`xene serve`: the API, the triggers and a built-in agent, in one process."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import re
import socket
import sys
from typing import Any

from xene.cli.common import positive_int, positive_seconds, whole_number

DESCRIPTION = """\
Run Xene as a service: a REST API (OpenAPI document at /openapi.json, docs at /docs),
the triggers of every applied workflow (webhook, cron, filesystem, manual) and a
built-in agent that executes runs. Runs are kept in the store (SQLite at
$XENE_HOME/xene.db unless --store says otherwise); on start the server resumes what a
previous one left unfinished. Several servers may share one PostgreSQL store.

  xene serve                                  http://127.0.0.1:6060, tokens required
  xene token create --role manager --name ci  a token for the API (XENE_TOKEN)
  xene apply flow.yaml --server http://127.0.0.1:6060

Container pipelines (`executor: {type: container}`) go only to agents labelled `docker`:
the built-in agent offers it when it reaches a Docker engine at start (DOCKER_HOST, else
/var/run/docker.sock), and then sweeps, at start and every --sweep-every seconds, the
containers left by runs of this store that no longer run.

SIGTERM or Ctrl-C: the server takes no more work, lets running steps finish within
--grace seconds, and leaves every unfinished run to be resumed.
"""


_QUERY_TOKEN = re.compile(r"([?&]token=)[^&\s]*", re.IGNORECASE)


class HideQueryTokens(logging.Filter):
    """uvicorn logs each request's path with its query: a webhook's `?token=` must not
    reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, str) and "token=" in a for a in args):
            record.args = tuple(
                _QUERY_TOKEN.sub(r"\1***", a) if isinstance(a, str) else a for a in args
            )
        return True


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the API, the triggers and an agent as a service",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--store", metavar="URL", help="sqlite:///path, postgresql://... ")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=6060, help="port (default 6060)")
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate")
    parser.add_argument("--tls-key", metavar="FILE", help="... and this private key")
    parser.add_argument(
        "--client-ca",
        metavar="FILE",
        help="with TLS: agents must show a certificate signed by this CA (mutual TLS); "
        "people keep using tokens. Make one with `xene certs init`",
    )
    parser.add_argument(
        "--no-auth",
        action="store_true",
        help="ask no token: anyone who can reach the port can do anything (local use only)",
    )
    parser.add_argument(
        "--metrics-public",
        action="store_true",
        help="serve /metrics without a token (default: it needs a viewer token); the "
        "metrics name workflows and pipelines, so keep the port private",
    )
    parser.add_argument(
        "--fs-root",
        action="append",
        default=[],
        metavar="DIR",
        help="a directory filesystem triggers may watch (repeatable; none: no such triggers)",
    )
    _add_load_options(parser)
    parser.set_defaults(handler=handle)


def _add_load_options(parser: argparse.ArgumentParser) -> None:
    """How much the server takes on, and how it lets go."""
    parser.add_argument(
        "--capacity", type=positive_int, default=4, help="runs executed at once (default 4)"
    )
    parser.add_argument(
        "--no-agent",
        action="store_true",
        help="execute no run here: the API and triggers only, while the agents of other "
        "servers on the same store execute the runs",
    )
    parser.add_argument(
        "--labels",
        type=labels_list,
        default=(),
        metavar="A,B",
        help="the built-in agent's labels: it runs a pipeline that names agent labels only "
        "if it has them all (e.g. gpu,os=linux); docker is added when a Docker engine answers",
    )
    parser.add_argument(
        "--sweep-every",
        type=positive_seconds,
        default=60.0,
        metavar="S",
        help="with docker: how often leftover containers of finished runs are removed (default 60)",
    )
    parser.add_argument(
        "--grace", type=float, default=30.0, metavar="S", help="seconds to finish steps on stop"
    )
    parser.add_argument(
        "--lease",
        type=positive_seconds,
        default=15.0,
        metavar="S",
        help="a run whose server stops renewing it for S seconds is taken over (default 15)",
    )
    parser.add_argument(
        "--max-queued",
        type=_bound,
        default=1000,
        metavar="N",
        help="runs that may wait for an executor; past N, webhooks and API triggers answer "
        "503 with Retry-After and cron and filesystem fires are skipped (default 1000; 0: "
        "no bound)",
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=50.0,
        metavar="N",
        help="requests per second per client, bursts of 2N (default 50; 0: no limit)",
    )


def handle(args: argparse.Namespace) -> int:
    refusal = _refusal(args)
    if refusal is not None:
        print(f"xene: {refusal}", file=sys.stderr)
        return 2
    config = _config(args)
    try:  # before anything starts: a port in use must not leave triggers fired
        sock = listen(args.host, args.port)
    except OSError as exc:
        print(f"xene: {_cannot_listen(args.host, args.port, exc)}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return asyncio.run(serve(config, sock))
    except KeyboardInterrupt:
        return 0
    finally:
        sock.close()


def _refusal(args: argparse.Namespace) -> str | None:
    """Why these options cannot be served, before anything starts; None: they can."""
    if bool(args.tls_cert) != bool(args.tls_key):
        return "--tls-cert and --tls-key go together"
    if args.client_ca and not args.tls_cert:
        return "--client-ca needs TLS: add --tls-cert and --tls-key (`xene certs server`)"
    from xene.extras import MissingExtra, require_extra

    try:
        require_extra("server", "xene serve")
    except MissingExtra as exc:
        return str(exc)
    from xene.server import tls

    return tls.problem(_config(args))


def _config(args: argparse.Namespace) -> Any:
    from xene.server.config import ServerConfig

    return ServerConfig(
        host=args.host,
        port=args.port,
        store_url=args.store,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        client_ca=args.client_ca,
        auth=not args.no_auth,
        metrics_public=args.metrics_public,
        fs_roots=tuple(args.fs_root),
        agent=not args.no_agent,
        capacity=args.capacity,
        agent_labels=args.labels,
        container_scope=_scope(args.store),
        sweep_s=args.sweep_every,
        grace_s=args.grace,
        lease_s=args.lease,
        rate_per_s=args.rate_limit,
        max_queued=args.max_queued,
        rate_burst=max(int(args.rate_limit * 2), 1),
    )


def _scope(store: str | None) -> str:
    """The container scope of the store's runs (as `xene run` on it has it)."""
    from xene.cli.stores import scope_of

    return scope_of(store)


def labels_list(text: str) -> tuple[str, ...]:
    """An argparse type: labels separated by commas, each as labels.py wants it."""
    from xene import labels

    found = [part.strip() for part in text.split(",") if part.strip()]
    trouble = labels.problem(found)
    if trouble:
        raise argparse.ArgumentTypeError(trouble)
    return labels.canonical(found)


def _bound(text: str) -> int:
    """An argparse type: a whole number of 0 or more."""
    return whole_number(text, 0, " (no bound)")


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to the address (as uvicorn binds its own), or OSError."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use; choose another with --port"
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}: not an address of this machine; check --host"
    if exc.errno == errno.EACCES:
        return f"port {port} on {host} needs more privileges; choose one above 1023 with --port"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


async def serve(config: Any, sock: socket.socket) -> int:
    import uvicorn

    from xene.extras import MissingExtra
    from xene.server import tls
    from xene.server.api import create_app
    from xene.server.runtime import Runtime
    from xene.store import open_store

    try:
        store = await open_store(config.store_url)
    except MissingExtra as exc:
        print(f"xene: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"xene: cannot open the store: {exc}", file=sys.stderr)
        return 1
    if config.agent:  # before it registers: the labels it offers
        from dataclasses import replace

        from xene.agent.containers import offered_labels

        labels = await offered_labels(config.agent_labels, "the built-in agent")
        config = replace(config, agent_labels=labels)
    runtime = Runtime(store, config)
    app = create_app(runtime, manage=True)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: object) -> None:
            # Stop taking work at once: uvicorn reaches the lifespan shutdown (where
            # the runtime stops) only after open connections have closed.
            runtime.begin_stop()
            super().handle_exit(sig, frame)  # type: ignore[arg-type]

    server = Server(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            **tls.uvicorn_options(config),
            log_level="info",
            lifespan="on",
            timeout_graceful_shutdown=int(config.grace_s) + 5,
        )
    )
    logging.getLogger("uvicorn.access").addFilter(HideQueryTokens())
    scheme = "https" if config.tls_cert else "http"
    port = sock.getsockname()[1]  # --port 0: the one the system chose
    print(f"xene serving on {scheme}://{config.host}:{port}", file=sys.stderr)
    if not config.client_ca:
        print(f"xene: {tls.NO_MTLS}", file=sys.stderr)
    try:
        await server.serve(sockets=[sock])
    finally:
        await store.close()
    return 0
