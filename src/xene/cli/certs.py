"""`xene certs init|server|agent|list`: the CA and the certificates with which servers and
agents know each other (mutual TLS)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

from xene import certs
from xene.certs import CertError, Pair

HELP = "make the CA and the server and agent certificates for mutual TLS"
DESCRIPTION = """\
Agents and servers prove who they are with certificates signed by one CA of yours.
Make the CA once, then a certificate for each server and each agent:

  xene certs init                                    the CA: ca.pem, ca.key
  xene certs server --host xene.example.com --ip 10.0.0.5
  xene certs agent build-01                          agent-build-01.pem and .key
  xene certs list                                    what is there, and when it expires

Files go to $XENE_HOME/certs (default ~/.xene/certs), or to --dir. Private keys are
written mode 0600 and never overwritten: remaking the CA would make every certificate it
signed worthless, so that takes --force. Copy ca.pem, the agent's .pem and its .key to
the agent's machine; keep ca.key where you issue certificates, and nowhere else.

Then: xene serve --tls-cert server.pem --tls-key server.key --client-ca ca.pem

Exit codes: 0 done, 2 bad input (no CA yet, a file already there, a bad name).
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "certs",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = _action(actions, "init", "make the CA (once)")
    init.add_argument("--name", default="Xene CA", help="the CA's name (default: Xene CA)")
    init.add_argument("--days", type=_days, default=certs.CA_DAYS, help="lifetime (3650)")
    server = _action(actions, "server", "issue a server's certificate")
    server.add_argument(
        "--host", action="append", default=[], metavar="NAME", help="a host name (repeatable)"
    )
    server.add_argument(
        "--ip", action="append", default=[], metavar="ADDR", help="an IP address (repeatable)"
    )
    server.add_argument("--days", type=_days, default=certs.LEAF_DAYS, help="lifetime (825)")
    agent = _action(actions, "agent", "issue an agent's certificate")
    agent.add_argument("name", metavar="NAME", help="the agent's name, e.g. build-01")
    agent.add_argument("--days", type=_days, default=certs.LEAF_DAYS, help="lifetime (825)")
    listing = _action(actions, "list", "list the certificates there, with their expiry")
    listing.add_argument("--json", action="store_true", help="print them as JSON")
    parser.set_defaults(handler=handle)


def _action(actions: Any, name: str, help: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(name, help=help, description=help)
    parser.add_argument("--dir", type=Path, help="where the files are (default $XENE_HOME/certs)")
    if name != "list":
        parser.add_argument("--force", action="store_true", help="replace files already there")
    return parser


def _days(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days (1 or more)")
    return int(text)


def handle(args: argparse.Namespace) -> int:
    folder: Path = args.dir or certs.home()
    now = dt.datetime.now(dt.UTC)
    try:
        if args.action == "list":
            return _list(folder, args.json)
        if args.action == "init":
            written = _save(folder, "ca", certs.new_ca(args.name, now, args.days), args.force)
        else:
            written = _issue(folder, args, now)
    except CertError as exc:
        print(f"xene: {exc}", file=sys.stderr)
        return 2
    info = certs.describe(written.read_bytes())
    print(
        f"wrote {written} and its key ({info.kind} {info.name!r}, until {info.not_after:%Y-%m-%d})"
    )
    return 0


def _issue(folder: Path, args: argparse.Namespace, now: dt.datetime) -> Path:
    ca = _read_ca(folder)
    if args.action == "server":
        hosts = [*args.host, *args.ip]
        if not hosts:
            raise CertError(
                "name the server: --host NAME and/or --ip ADDR, as agents will reach it "
                "(e.g. --host xene.example.com --ip 10.0.0.5)"
            )
        bad = [ip for ip in args.ip if not _is_ip(ip)]
        if bad:
            raise CertError(f"--ip {bad[0]!r} is not an IP address (use --host for names)")
        pair = certs.issue(ca, "server", hosts[0], now, hosts=hosts, days=args.days)
        return _save(folder, "server", pair, args.force)
    name = certs.check_name(args.name)
    pair = certs.issue(ca, "agent", name, now, hosts=[name], days=args.days)
    return _save(folder, f"agent-{name}", pair, args.force)


def _read_ca(folder: Path) -> Pair:
    try:
        return Pair((folder / "ca.pem").read_bytes(), (folder / "ca.key").read_bytes())
    except FileNotFoundError as exc:
        raise CertError(
            f"no CA in {folder} ({exc.filename} is missing): make it with `xene certs init`"
            + ("" if folder == certs.home() else f" --dir {folder}")
        ) from exc


def _save(folder: Path, stem: str, pair: Pair, force: bool) -> Path:
    """Write `stem`.pem and `stem`.key (0600) in `folder` (made 0700 if missing)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    cert, key = folder / f"{stem}.pem", folder / f"{stem}.key"
    for path in (cert, key):
        if path.exists() and not force:
            raise CertError(
                f"{path} is already there: nothing was written. Use it, or replace it "
                "with --force"
                + (" (every certificate the old CA signed stops working)" if stem == "ca" else "")
            )
    _write(key, pair.key_pem, 0o600)
    _write(cert, pair.cert_pem, 0o644)
    return cert


def _write(path: Path, data: bytes, mode: int) -> None:
    """Atomically, with `mode` from the start (a key is never readable by others)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(temporary, path)


def _list(folder: Path, as_json: bool) -> int:
    found = []
    for path in sorted(folder.glob("*.pem")):
        try:
            found.append((path, certs.describe(path.read_bytes())))
        except CertError as exc:
            print(f"xene: {path}: {exc}", file=sys.stderr)
    if as_json:
        print(json.dumps([_as_json(path, info) for path, info in found], indent=2))
        return 0
    if not found:
        print(f"no certificates in {folder}: start with `xene certs init`")
    now = dt.datetime.now(dt.UTC)
    for path, info in found:
        left = (info.not_after - now).days
        state = "EXPIRED" if left < 0 else f"{left} days left"
        hosts = f" for {', '.join(info.hosts)}" if info.kind == "server" else ""
        until = f"until {info.not_after:%Y-%m-%d} ({state})"
        print(f"{path.name:<24} {info.kind:<6} {info.name}{hosts}  {until}")
    return 0


def _as_json(path: Path, info: certs.CertInfo) -> dict[str, Any]:
    return {
        "file": str(path),
        "kind": info.kind,
        "name": info.name,
        "hosts": list(info.hosts),
        "not_before": info.not_before.isoformat(),
        "not_after": info.not_after.isoformat(),
        "issuer": info.issuer,
        "sha256": info.fingerprint,
    }


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
