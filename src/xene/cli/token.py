"""`xene token create`: a bearer token for a server's API, signed with its secret."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import Any

HELP = "create API tokens for `xene serve`"
DESCRIPTION = """\
Create a bearer token for the API of a Xene server on this machine: it is signed with
the server's secret, $XENE_HOME/jwt-secret (created here, readable by you only, if it
does not exist yet; a server reads it when it starts). Whoever has the token can do
what its role allows:

  viewer   read workflows, runs, logs, approvals, state machines, metrics
  manager  also apply and delete workflows, trigger, pause, cancel, retry, approve
  admin    also manage tokens, secrets and agents

The token is printed alone on stdout; give it to the CLI with XENE_TOKEN (or `token:`
in $XENE_HOME/config.yaml), to scripts as `Authorization: Bearer <token>`.

Exit codes: 0 created, 2 bad input (an unknown role, an invalid --expires).

Examples:
  export XENE_TOKEN=$(xene token create --role manager --name alice --expires 30d)
  xene token create --role viewer --name grafana
"""
SECRET_CREATED = (
    "created the signing secret {path} (mode 0600): restart a server that is already "
    "running with auth so that it accepts these tokens"
)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "token",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="create a token with a role",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    create.add_argument(
        "--role", required=True, choices=("viewer", "manager", "admin"), help="what it may do"
    )
    create.add_argument(
        "--name", required=True, metavar="N", help="who or what uses it (shown in refusals)"
    )
    create.add_argument(
        "--expires",
        metavar="AGE",
        help="how long it is valid: 90m, 48h, 30d (default: it never expires)",
    )
    create.add_argument(
        "--secret-file",
        metavar="F",
        help="sign with the secret in F (default: $XENE_HOME/jwt-secret, as the server)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from xene.cli.common import fail_usage

    try:
        expires_s = _expiry(args.expires)
        token = _create(args, expires_s)
    except ValueError as exc:
        return fail_usage(str(exc))
    except OSError as exc:
        print(f"xene: {exc.filename or 'the secret file'}: {exc.strerror}", file=sys.stderr)
        return 1
    print(token)
    lasts = f"valid for {args.expires}" if args.expires else "it never expires"
    print(
        f"a {args.role} token for {args.name} ({lasts}); use it with: "
        "export XENE_TOKEN=<the token above>",
        file=sys.stderr,
    )
    return 0


def _create(args: argparse.Namespace, expires_s: float | None) -> str:
    try:
        from xene.server.auth import create_token, secret_path
    except ImportError as exc:  # pyjwt or fastapi missing
        raise ValueError(
            f"tokens need the server extra: pip install 'xene[server]' ({exc})"
        ) from exc
    path = Path(args.secret_file).expanduser() if args.secret_file else secret_path()
    return create_token(read_secret(path), args.role, args.name, expires_s)


def _expiry(text: str | None) -> float | None:
    if text is None:
        return None
    from xene.spec.durations import parse_duration

    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"--expires {text}: {exc}") from exc
    return seconds


def read_secret(path: Path) -> str:
    """The secret in `path`; created (mode 0600) if there is none, as the server does."""
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        secret = ""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # created meanwhile by a server starting
            return read_secret(path)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48))
        print(SECRET_CREATED.format(path=path), file=sys.stderr)
        return path.read_text(encoding="utf-8").strip()
    if not secret:
        raise ValueError(f"{path} is empty: delete it to have a new secret made")
    return secret
