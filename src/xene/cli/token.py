"""`xene token create|list|revoke`: bearer tokens for a server's API."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from xene.cli import stores

if TYPE_CHECKING:
    from xene.store.tokens import TokenRecord

HELP = "create, list and revoke API tokens for `xene serve`"
DESCRIPTION = """\
Bearer tokens for the API of a Xene server. Whoever has a token can do what its role
allows, until it expires or is revoked:

  viewer   read workflows, runs, logs, approvals, state machines, metrics
  manager  also apply and delete workflows, trigger, pause, cancel, retry, approve
  admin    also manage tokens, secrets and agents
  agent    only the agent routes: for a `xene agent` where mutual TLS is not set up

On the server's machine (no server named), tokens are signed with the server's secret,
$XENE_HOME/jwt-secret (created, readable by you only, if it does not exist yet), and
recorded in the store (--store, else $XENE_STORE, else $XENE_HOME/xene.db): use the
store the server uses, since a server accepts only the tokens its store knows. Against
a server (--server, $XENE_SERVER or `server:` in $XENE_HOME/config.yaml), the server
makes them: that needs an admin token. The store keeps each token's id, name, role and
times, never the token itself.
"""
CREATE_DESCRIPTION = """\
Create a token. It is printed alone on stdout; give it to the CLI with XENE_TOKEN (or
`token:` in $XENE_HOME/config.yaml), to scripts as `Authorization: Bearer <token>`.
It expires after 30 days unless --expires says otherwise; only admin tokens may never
expire. Keep it like a password: it is shown once.

Exit codes: 0 created, 1 the server refused, 2 bad input (an unknown role, a bad --expires).

Examples:
  export XENE_TOKEN=$(xene token create --role manager --name alice --expires 7d)
  xene token create --role viewer --name grafana --expires 365d
  xene token create --role admin --name break-glass --expires never
"""
LIST_DESCRIPTION = """\
Every token made on the store, oldest first: id, name, role, state (active, expired,
revoked), when it was made and expires, and who made it. Never the tokens themselves.

Exit codes: 0 listed, 1 the server refused, 2 bad input.
"""
REVOKE_DESCRIPTION = """\
Revoke a token by its id (or the unique start of one, from `xene token list`). Every
server on the store refuses it within 5 seconds. Revoking again changes nothing.

Exit codes: 0 revoked, 1 the server refused, 2 no such token.

Example:
  xene token revoke 01jd5x
"""
STORE_HELP = (
    "the store the server uses, on the server's machine: sqlite:///path/to/xene.db or "
    "postgresql://user@host/db (default: $XENE_STORE, else sqlite:///$XENE_HOME/xene.db)"
)
SERVER_HELP = (
    "ask this server instead, e.g. http://127.0.0.1:6060, with an admin token from "
    "$XENE_TOKEN or `token:` in $XENE_HOME/config.yaml (default: $XENE_SERVER, else "
    "`server:` in that file, unless --store or $XENE_STORE is given)"
)
NEVER_WARNING = (
    "WARNING: this admin token NEVER expires. Whoever holds it can do anything on the "
    "server until it is revoked: `xene token revoke {id}`. Keep it out of scripts and "
    "shell history."
)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "token",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = _action(actions, "create", "create a token with a role", CREATE_DESCRIPTION)
    create.add_argument(
        "--role",
        required=True,
        choices=("viewer", "manager", "admin", "agent"),
        help="what it may do",
    )
    create.add_argument(
        "--name", required=True, metavar="N", help="who or what uses it (shown in refusals)"
    )
    create.add_argument(
        "--expires",
        metavar="AGE",
        help="how long it is valid: 90m, 12h, 7d, 365d (default 30d), or never (admin only)",
    )
    create.add_argument(
        "--secret-file",
        metavar="F",
        help="sign with the secret in F (default: $XENE_HOME/jwt-secret, as the server)",
    )
    create.set_defaults(handler=lambda args: stores.run_command(lambda: _create(args)))
    listing = _action(
        actions, "list", "list the tokens: ids, names, roles, states", LIST_DESCRIPTION
    )
    listing.add_argument("--json", action="store_true", help="print the records as JSON")
    listing.set_defaults(handler=lambda args: stores.run_command(lambda: _list(args)))
    revoke = _action(actions, "revoke", "revoke a token by its id", REVOKE_DESCRIPTION)
    revoke.add_argument("id", metavar="ID", help="the token's id (or the unique start of one)")
    revoke.set_defaults(handler=lambda args: stores.run_command(lambda: _revoke(args)))


def _action(actions: Any, name: str, help_text: str, description: str) -> Any:
    parser = actions.add_parser(
        name,
        help=help_text,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--store", metavar="URL", default=None, help=STORE_HELP)
    stores.add_server_option(parser, SERVER_HELP)
    return parser


async def _create(args: argparse.Namespace) -> int:
    from xene.cli.token_ops import opened

    async with opened(args) as tokens:
        try:
            token, record = await tokens.create(args.role, args.name, args.expires)
        except ValueError as exc:
            raise stores.CommandError(str(exc)) from exc
    print(token)
    if record.expires_at is None:
        print(NEVER_WARNING.format(id=record.id), file=sys.stderr)
        lasts = "it never expires"
    else:
        lasts = f"valid until {stores.when(record.expires_at)}"
    print(
        f"{_article(record.role)} {record.role} token for {record.name}, id {record.id} "
        f"({lasts}); use it with: "
        "export XENE_TOKEN=<the token above>",
        file=sys.stderr,
    )
    return stores.EXIT_OK


async def _list(args: argparse.Namespace) -> int:
    from xene.cli.token_ops import opened

    async with opened(args) as tokens:
        found, now = await tokens.list(), tokens.now()
    if args.json:
        print(json.dumps([_json(t, now) for t in found], indent=2))
        return stores.EXIT_OK
    if not found:
        print("no tokens yet: `xene token create --role viewer --name NAME` makes one")
        return stores.EXIT_OK
    rows = [
        (
            t.id,
            t.name,
            t.role,
            t.state(now),
            stores.when(t.created_at),
            "never" if t.expires_at is None else stores.when(t.expires_at),
            t.created_by,
        )
        for t in found
    ]
    headers = ("ID", "NAME", "ROLE", "STATE", "CREATED", "EXPIRES", "CREATED BY")
    stores.print_table(headers, rows)
    return stores.EXIT_OK


async def _revoke(args: argparse.Namespace) -> int:
    from xene.cli.token_ops import opened

    async with opened(args) as tokens:
        record = await tokens.revoke(args.id)
    print(f"revoked token {record.id} ({record.name}, {record.role})")
    print("every server on the store refuses it within 5 seconds", file=sys.stderr)
    return stores.EXIT_OK


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _json(record: TokenRecord, now: float) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "role": record.role,
        "state": record.state(now),
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "revoked_at": record.revoked_at,
        "created_by": record.created_by,
    }
