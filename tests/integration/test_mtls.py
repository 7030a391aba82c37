"""Mutual TLS on a real socket: `xene serve --tls-cert --tls-key --client-ca` takes an
agent by the certificate `xene certs` issued it, refuses one from another CA, an expired
one or none on the agent routes, and still serves people's bearer tokens."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.api.conftest import JWT_SECRET, bearer
from tests.integration.cli_helpers import run_main
from tests.integration.server_thread import ServerThread, serving
from xene import certs
from xene.agent.agent import Agent, Refused
from xene.agent.link import Unreachable
from xene.agent.settings import AgentSettings
from xene.store import open_store

NOW = dt.datetime.now(dt.UTC)
OFFER = {"labels": ["linux"], "capacity": 1}


def write(folder: Path, stem: str, pair: certs.Pair) -> tuple[Path, Path]:
    cert, key = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert.write_bytes(pair.cert_pem)
    key.write_bytes(pair.key_pem)
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    ca = certs.new_ca("Xene CA", NOW)
    write(folder, "ca", ca)
    write(folder, "server", certs.issue(ca, "server", "localhost", NOW, hosts=["127.0.0.1"]))
    write(folder, "build-01", certs.issue(ca, "agent", "build-01", NOW))
    old = NOW - dt.timedelta(days=30)
    write(folder, "expired", certs.issue(ca, "agent", "old-box", old, days=2))
    stranger = certs.new_ca("Xene CA", NOW)  # the same name, another key
    write(folder, "stranger", certs.issue(stranger, "agent", "build-01", NOW))
    return folder


@pytest.fixture
def server(pki: Path, tmp_path: Path) -> Iterator[ServerThread]:
    config = {
        "auth": True,
        "jwt_secret": JWT_SECRET,
        "tls_cert": str(pki / "server.pem"),
        "tls_key": str(pki / "server.key"),
        "client_ca": str(pki / "ca.pem"),
    }
    with serving(f"sqlite:///{tmp_path}/xene.db", **config) as server:
        yield server


def client(server: ServerThread, pki: Path, who: str | None, **headers: str) -> httpx.Client:
    context = ssl.create_default_context(cafile=pki / "ca.pem")
    if who is not None:
        context.load_cert_chain(pki / f"{who}.pem", pki / f"{who}.key")
    return httpx.Client(base_url=server.url, verify=context, headers=headers)


def token(server: ServerThread, role: str) -> dict[str, str]:
    async def make() -> dict[str, str]:
        store = await open_store(server.store_url)
        try:
            return await bearer(store, role)
        finally:
            await store.close()

    return asyncio.run(make())


def test_an_agent_is_named_by_its_certificate(server: ServerThread, pki: Path) -> None:
    with client(server, pki, "build-01") as agent:
        answer = agent.post("/api/v1/agent/register", json=OFFER)
        assert answer.status_code == 200, answer.text
        assert answer.json()["name"] == "build-01"
        beat = agent.post("/api/v1/agent/heartbeat", json={"running": 0})
        assert beat.status_code == 200, beat.text
    with client(server, pki, None, **token(server, "viewer")) as person:
        agents = person.get("/api/v1/agents").json()["agents"]
        (listed,) = [agent for agent in agents if agent["name"] == "build-01"]
    assert (listed["name"], listed["state"], listed["labels"]) == ("build-01", "online", ["linux"])


def test_a_certificate_cannot_claim_another_name(server: ServerThread, pki: Path) -> None:
    with client(server, pki, "build-01") as agent:
        answer = agent.post("/api/v1/agent/register", json=OFFER | {"name": "gpu-9"})
    assert answer.status_code == 409
    assert "names it 'build-01'" in answer.json()["error"]


@pytest.mark.parametrize("who", ["stranger", "expired"])
def test_a_certificate_from_another_ca_or_expired_ends_the_handshake(
    server: ServerThread, pki: Path, who: str
) -> None:
    with client(server, pki, who) as agent, pytest.raises(httpx.TransportError):
        agent.post("/api/v1/agent/register", json=OFFER)


def test_without_a_certificate_agent_routes_refuse(server: ServerThread, pki: Path) -> None:
    with client(server, pki, None) as anonymous:
        answer = anonymous.post("/api/v1/agent/register", json=OFFER)
    assert answer.status_code == 401
    assert "client certificate" in answer.json()["error"]
    with client(server, pki, None, **token(server, "admin")) as admin:
        assert admin.post("/api/v1/agent/register", json=OFFER).status_code == 403


def test_people_keep_their_tokens_on_the_same_port(server: ServerThread, pki: Path) -> None:
    with client(server, pki, None, **token(server, "viewer")) as person:
        assert person.get("/api/v1/runs").status_code == 200
    with client(server, pki, "build-01") as agent:
        assert agent.get("/api/v1/runs").status_code == 401  # a certificate is no token


def test_the_cli_trusts_a_server_certificate_through_xene_ca(
    server: ServerThread,
    pki: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XENE_TOKEN", token(server, "viewer")["authorization"].split()[1])
    untrusted = run_main(capsys, "agents", "--server", server.url)
    assert untrusted.code == 1
    assert "certificate" in untrusted.err
    monkeypatch.setenv("XENE_CA", str(pki / "ca.pem"))
    trusted = run_main(capsys, "agents", "--server", server.url)
    assert trusted.code == 0, trusted.err
    assert trusted.lines[0].split()[:2] == ["NAME", "STATE"]
    monkeypatch.setenv("XENE_CA", str(pki / "missing.pem"))
    missing = run_main(capsys, "agents", "--server", server.url)
    assert missing.code == 2
    assert "cannot be read as a CA certificate" in missing.err


async def test_an_agent_process_signs_in_with_its_certificate(
    server: ServerThread, pki: Path
) -> None:
    files = {"cert": str(pki / "build-01.pem"), "key": str(pki / "build-01.key")}
    agent = Agent(AgentSettings(servers=(server.url,), ca=str(pki / "ca.pem"), **files))
    await agent.register()
    assert agent.name == "build-01"
    assert await agent.heartbeats.beat()
    await agent.link.aclose()
    stranger = {"cert": str(pki / "stranger.pem"), "key": str(pki / "stranger.key")}
    refused = Agent(AgentSettings(servers=(server.url,), ca=str(pki / "ca.pem"), **stranger))
    with pytest.raises(Unreachable):  # the handshake ends: no answer at all
        await refused.register()
    await refused.link.aclose()
    anonymous = Agent(AgentSettings(servers=(server.url,), ca=str(pki / "ca.pem"), name="x"))
    with pytest.raises(Refused, match="client certificate signed by the server's --client-ca"):
        await anonymous.register()
    await anonymous.link.aclose()
