"""`xene secret set|list|delete|rotate-key`: secrets, kept encrypted in the store (or a
server's), given only to the tasks and nodes that name them."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from xene.cli import stores

if TYPE_CHECKING:
    from xene.secrets.vault import Vault
    from xene.store.secrets import SecretInfo

HELP = "set, list and delete secrets (encrypted; given only to the tasks that name them)"
DESCRIPTION = """\
A secret is a value a workflow names but never holds. A task's `secrets: [NAME]` makes
NAME an environment variable of its shell steps; `${secrets.NAME}` in a node's config is
its value; a webhook trigger's `secret: ${secrets.NAME}` checks signatures with it.
Values are encrypted (Fernet, from the `cryptography` library) before they reach the
store, with the key in $XENE_SECRET_KEY, else in $XENE_HOME/secret.key (made the first
time a secret is set, mode 0600), and show as *** in every log line, record and answer.

A value is never taken from the command line, where shell history and `ps` keep it: it
comes from stdin (one trailing newline dropped), from --from-file, or typed at a prompt.

  printf %s "$TOKEN" | xene secret set DEPLOY_TOKEN
  xene secret set TLS_KEY --from-file key.pem
  xene secret list                    names, who set them and when; never values
  xene secret delete DEPLOY_TOKEN
  xene secret rotate-key              re-encrypt every secret with a new key

Against a server (--server or $XENE_SERVER) admins set and delete secrets, encrypted
with the server's key; no route returns a value, to anyone.

Exit codes: 0 done, 1 refused (the key cannot read the secrets, the server refused),
2 bad input (a bad name, an empty value, a value on the command line, no such secret).
"""
ARGV_VALUE = (
    "a secret's value is never taken from the command line (shell history and `ps` keep "
    'it); nothing was set. Pipe it in (printf %s "$VALUE" | xene secret set {name}), type '
    "it at the prompt (xene secret set {name}), or use --from-file PATH"
)
SHORT = 4


class Secrets(Protocol):
    """A store's secrets, local (`Vault`) or a server's (`RemoteSecrets`)."""

    where: str

    async def set(self, name: str, value: str) -> bool: ...
    async def list(self) -> list[SecretInfo]: ...
    async def delete(self, name: str) -> None: ...


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "secret",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    put = _action(actions, "set", "set a secret from stdin, a prompt or --from-file")
    put.add_argument("name", metavar="NAME", help="letters, digits and _ (e.g. DEPLOY_KEY)")
    put.add_argument("value", nargs="?", help=argparse.SUPPRESS)  # refused, with why
    put.add_argument("--from-file", metavar="PATH", help="read the value from this file")
    listing = _action(actions, "list", "list secrets: names, who set them and when")
    listing.add_argument("--json", action="store_true", help="print them as JSON")
    gone = _action(actions, "delete", "delete a secret")
    gone.add_argument("name", metavar="NAME")
    _action(actions, "rotate-key", "re-encrypt every secret with a new key (local store only)")
    parser.set_defaults(handler=handle)


def _action(actions: Any, name: str, text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(name, help=text, description=text)
    stores.add_store_option(parser)
    return parser


def handle(args: argparse.Namespace) -> int:
    return stores.run_command(lambda: _dispatch(args))


async def _dispatch(args: argparse.Namespace) -> int:
    from xene.secrets.keys import SecretKeyError
    from xene.secrets.vault import SecretError, UnknownSecret

    try:
        if args.action == "set":
            return await set_secret(args)
        if args.action == "rotate-key":
            return await rotate_key(args)
        async with _opened(args) as secrets:
            if args.action == "list":
                return await list_secrets(secrets, args.json)
            await secrets.delete(args.name)
            print(f"deleted secret {args.name}")
            return stores.EXIT_OK
    except SecretKeyError as exc:
        raise stores.CommandError(str(exc), stores.EXIT_REFUSED) from exc
    except (SecretError, UnknownSecret) as exc:
        raise stores.CommandError(str(exc)) from exc


async def set_secret(args: argparse.Namespace) -> int:
    from xene.secrets import keys

    name = args.name.partition("=")[0]
    if args.value is not None or "=" in args.name:
        raise stores.CommandError(ARGV_VALUE.format(name=name or "NAME"))
    from xene.secrets.vault import check_name

    check_name(name)
    value = _read_value(args)
    new_key = not os.environ.get(keys.ENV) and not keys.key_path().exists()
    async with _opened(args) as secrets:
        created = await secrets.set(name, value)
        local = isinstance(secrets, _Local)
    print(f"{'created' if created else 'updated'} secret {name} in {secrets.where}")
    if local and new_key and keys.key_path().exists():
        print(
            f"made the secret key {keys.key_path()} (mode 0600): without it these secrets "
            f"cannot be read, so keep it safe (or give the key in ${keys.ENV})",
            file=sys.stderr,
        )
    if len(value) < SHORT:
        print(
            f"note: the value is shorter than {SHORT} characters; it is masked wherever "
            "it appears in logs, which may hide other text",
            file=sys.stderr,
        )
    return stores.EXIT_OK


def _read_value(args: argparse.Namespace) -> str:
    if args.from_file:
        try:
            raw = Path(args.from_file).read_bytes()
        except OSError as exc:
            raise stores.CommandError(f"{args.from_file}: cannot read it ({exc.strerror})") from exc
        where = args.from_file
    elif sys.stdin is None or sys.stdin.isatty():
        import getpass

        raw = getpass.getpass(f"value of {args.name} (not shown): ").encode("utf-8")
        where = "the prompt"
    else:
        raw = sys.stdin.buffer.read()
        where = "stdin"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise stores.CommandError(f"the value from {where} is not UTF-8 text") from exc
    return text.removesuffix("\n").removesuffix("\r")


async def list_secrets(secrets: Secrets, as_json: bool) -> int:
    listed = await secrets.list()
    if as_json:
        rows = [{"name": s.name, "set_by": s.set_by, "set_at": s.set_at} for s in listed]
        print(json.dumps(rows, indent=2))
    elif not listed:
        print(f"no secrets in {secrets.where}; `xene secret set NAME` sets one", file=sys.stderr)
    else:
        rows_text = [(s.name, s.set_by, stores.when(s.set_at)) for s in listed]
        stores.print_table(("NAME", "SET BY", "SET AT"), rows_text)
    return stores.EXIT_OK


async def rotate_key(args: argparse.Namespace) -> int:
    from xene.secrets import keys

    def announce(new_key: str) -> None:
        print(
            f"the key comes from ${keys.ENV}: here is the new one, shown once. Set "
            f"{keys.ENV} to it wherever Xene uses this store (while you change them, "
            f"{keys.ENV}=NEW,OLD reads both):",
            file=sys.stderr,
        )
        print(new_key, flush=True)

    async with _opened(args) as secrets:
        if not isinstance(secrets, _Local):
            raise stores.CommandError(
                "rotate-key works on a store directly, where its key is: run it on the "
                "server's machine with --store URL (servers read a new key file at once)"
            )
        rotated = await secrets.vault.rotate(announce)
    print(
        f"re-encrypted {rotated.count} secret{'s' if rotated.count != 1 else ''} with the "
        f"new key {rotated.key_id} ({rotated.source})",
        file=sys.stderr,
    )
    return stores.EXIT_OK


class _Local:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.where = vault.where

    async def set(self, name: str, value: str) -> bool:
        import time

        from xene.secrets.vault import local_user

        return await self.vault.set(name, value, local_user(), time.time())

    async def list(self) -> list[SecretInfo]:
        return await self.vault.list()

    async def delete(self, name: str) -> None:
        await self.vault.delete(name)


@asynccontextmanager
async def _opened(args: argparse.Namespace) -> AsyncIterator[Secrets]:
    """The secrets of the store (or server) the command names."""
    from xene.store import default_url

    async with stores.opened(args) as store:
        if not stores.is_local(store):
            from xene.client.secrets import RemoteSecrets

            remote = RemoteSecrets(store.api)
            yield cast(Secrets, remote)
            return
        from xene.secrets.vault import Vault

        where = f"the store {args.store or default_url()}"
        yield _Local(Vault(store, where))
