"""`xene certs init|server|agent|list`: files where a newcomer looks for them, keys
private, nothing overwritten by accident, and certificates a TLS stack accepts."""

from __future__ import annotations

import contextlib
import json
import ssl
import stat
from pathlib import Path

import pytest

from tests.integration.cli_helpers import Result, run_main

Capsys = pytest.CaptureFixture[str]


def certs(capsys: Capsys, *args: str | Path) -> Result:
    return run_main(capsys, "certs", *args)


@pytest.fixture
def folder(capsys: Capsys, tmp_path: Path) -> Path:
    where = tmp_path / "certs"
    assert certs(capsys, "init", "--dir", where).code == 0
    return where


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_makes_the_ca_in_xene_home_with_a_private_key(capsys: Capsys) -> None:
    result = certs(capsys, "init")
    assert result.code == 0, result.err
    home = Path(__import__("os").environ["XENE_HOME"]) / "certs"
    assert "ca.pem" in result.out
    assert mode(home / "ca.key") == 0o600
    assert mode(home) == 0o700
    assert mode(home / "ca.pem") == 0o644


def test_the_ca_is_never_remade_without_force(capsys: Capsys, folder: Path) -> None:
    before = (folder / "ca.key").read_bytes()
    refused = certs(capsys, "init", "--dir", folder)
    assert refused.code == 2
    assert "already there: nothing was written" in refused.err
    assert "--force" in refused.err
    assert (folder / "ca.key").read_bytes() == before
    assert certs(capsys, "init", "--dir", folder, "--force").code == 0
    assert (folder / "ca.key").read_bytes() != before


def test_issuing_needs_a_ca_first(capsys: Capsys, tmp_path: Path) -> None:
    result = certs(capsys, "agent", "a1", "--dir", tmp_path / "none")
    assert result.code == 2
    assert "xene certs init" in result.err
    assert not (tmp_path / "none" / "agent-a1.pem").exists()


def test_a_server_and_an_agent_complete_a_mutual_handshake(capsys: Capsys, folder: Path) -> None:
    assert (
        certs(capsys, "server", "--host", "localhost", "--ip", "127.0.0.1", "--dir", folder).code
        == 0
    )
    assert certs(capsys, "agent", "build-01", "--dir", folder).code == 0
    assert mode(folder / "agent-build-01.key") == 0o600
    assert mode(folder / "server.key") == 0o600
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=folder / "ca.pem")
    server.load_cert_chain(folder / "server.pem", folder / "server.key")
    server.verify_mode = ssl.CERT_REQUIRED
    client = ssl.create_default_context(cafile=folder / "ca.pem")
    client.load_cert_chain(folder / "agent-build-01.pem", folder / "agent-build-01.key")
    peer = handshake(server, client, "localhost")
    assert dict(x[0] for x in peer["subject"])["commonName"] == "build-01"


def handshake(server: ssl.SSLContext, client: ssl.SSLContext, host: str) -> dict[str, object]:
    """Both ends of a TLS handshake in memory: the client certificate the server saw."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    c = client.wrap_bio(c_in, c_out, server_hostname=host)
    s = server.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        for end, outgoing, incoming in ((c, c_out, s_in), (s, s_out, c_in)):
            with contextlib.suppress(ssl.SSLWantReadError):
                end.do_handshake()
            incoming.write(outgoing.read())
    peer = s.getpeercert()
    assert peer, "the handshake did not complete"
    return peer


def test_a_server_needs_a_name_and_real_addresses(capsys: Capsys, folder: Path) -> None:
    nameless = certs(capsys, "server", "--dir", folder)
    assert nameless.code == 2
    assert "--host NAME and/or --ip ADDR" in nameless.err
    bad = certs(capsys, "server", "--host", "a", "--ip", "nope", "--dir", folder)
    assert bad.code == 2
    assert "'nope' is not an IP address" in bad.err
    assert not (folder / "server.pem").exists()


def test_a_bad_agent_name_writes_nothing(capsys: Capsys, folder: Path) -> None:
    result = certs(capsys, "agent", "../x", "--dir", folder)
    assert result.code == 2
    assert "not a usable agent name" in result.err
    assert sorted(p.name for p in folder.iterdir()) == ["ca.key", "ca.pem"]


def test_list_says_what_each_file_is_and_when_it_expires(capsys: Capsys, folder: Path) -> None:
    assert certs(capsys, "agent", "a1", "--days", "3", "--dir", folder).code == 0
    shown = certs(capsys, "list", "--dir", folder)
    assert shown.code == 0
    assert any(line.startswith("agent-a1.pem") and "2 days left" in line for line in shown.lines)
    listed = json.loads(certs(capsys, "list", "--json", "--dir", folder).out)
    assert {(c["kind"], c["name"]) for c in listed} == {("ca", "Xene CA"), ("agent", "a1")}


def test_days_must_be_a_whole_positive_number(capsys: Capsys, folder: Path) -> None:
    with pytest.raises(SystemExit):
        certs(capsys, "agent", "a1", "--days", "0", "--dir", folder)
    assert "not a whole number of days" in capsys.readouterr().err
