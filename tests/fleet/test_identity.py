"""Who may be an agent: `xene agent` with a certificate from another CA, an expired one,
or none is refused; an agent token cannot call people's routes, a viewer token cannot
call the agents' ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.fleet.conftest import Fleet, token, xene
from tests.fleet.harness import AgentProcess, Api, until
from xene import certs

pytestmark = pytest.mark.slow


def stranger(folder: Path) -> tuple[str, str]:
    """An agent certificate from a CA of the same name but another key."""
    xene("certs", "init", "--dir", str(folder))
    xene("certs", "agent", "fleet-a", "--dir", str(folder))
    return str(folder / "agent-fleet-a.pem"), str(folder / "agent-fleet-a.key")


def expired(fleet: Fleet, folder: Path) -> tuple[str, str]:
    """A certificate of the fleet's own CA that expired yesterday."""
    ca = certs.Pair(
        Path(fleet.pki.path("ca.pem")).read_bytes(), Path(fleet.pki.path("ca.key")).read_bytes()
    )
    then = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    pair = certs.issue(ca, "agent", "fleet-b", then, hosts=["fleet-b"], days=2)
    folder.mkdir()
    cert, key = folder / "old.pem", folder / "old.key"
    cert.write_bytes(pair.cert_pem)
    key.write_bytes(pair.key_pem)
    key.chmod(0o600)
    return str(cert), str(key)


def refused(agent: AgentProcess, api: Api) -> str:
    """The agent's log once it has tried and failed; it must not have registered."""

    def failed() -> str | None:
        out = agent.output()
        return out if "trying again" in out or not agent.alive() else None

    out = until(failed, f"agent {agent.name} to try a server and fail")
    assert agent.name not in api.agents(), out
    return out


def test_agents_with_a_foreign_an_expired_or_no_certificate_are_refused(
    fleet: Fleet, tmp_path: Path
) -> None:
    server = fleet.server()
    api = fleet.api(server)
    ca = ["--ca", fleet.pki.path("ca.pem")]
    cert, key = stranger(tmp_path / "other-ca")
    foreign = fleet.agent("fleet-a", [server], extra=["--cert", cert, "--key", key, *ca])
    cert, key = expired(fleet, tmp_path / "old")
    old = fleet.agent("fleet-b", [server], extra=["--cert", cert, "--key", key, *ca])
    bare = fleet.agent("fleet-none", [server], extra=ca)  # named by --name alone
    own = [
        "--cert",
        fleet.pki.path("agent-fleet-c.pem"),
        "--key",
        fleet.pki.path("agent-fleet-c.key"),
    ]
    doubting = fleet.agent(
        "fleet-c", [server], extra=[*own, "--ca", str(tmp_path / "other-ca" / "ca.pem")]
    )
    for agent in (foreign, old):  # the server ends the handshake; the agent says what to check
        assert "--client-ca" in refused(agent, api)
    assert "CERTIFICATE_VERIFY_FAILED" in refused(doubting, api)  # it does not trust the server
    until(lambda: not bare.alive(), "the agent without a certificate to give up")
    assert bare.wait(1) != 0
    assert "client certificate" in bare.output()
    assert "fleet-none" not in api.agents()
    good = fleet.agent("fleet-a", [server])  # the same name, with the fleet's certificate
    api.wait_online(good.name)


def test_an_agent_token_is_for_agent_routes_and_a_viewer_token_is_not(fleet: Fleet) -> None:
    server = fleet.server()
    agent_token = token(fleet.pki, fleet.store, "agent")
    viewer_token = token(fleet.pki, fleet.store, "viewer")
    as_agent, as_viewer = fleet.api(server, agent_token), fleet.api(server, viewer_token)
    people = as_agent.client.get("/runs")
    assert people.status_code == 403, people.text
    offer = {"name": "fleet-agent", "labels": [], "capacity": 1}  # the token's name
    agents_route = as_viewer.client.post("/agent/register", json=offer)
    assert agents_route.status_code == 403, agents_route.text
    assert "for agents" in agents_route.json()["error"]
    assert as_viewer.client.get("/runs").status_code == 200
    assert as_agent.client.post("/agent/register", json=offer).status_code == 200
