"""The fleet: real `xene serve` and `xene agent` processes over HTTPS with mutual TLS, on
PostgreSQL.

Each test module gets a fresh database (a copy of the store tests' migrated template;
without a PostgreSQL server the tests skip, loudly, and fail under CI=true, as the
store tests do) and a XENE_HOME whose certificates `xene certs` made. The `fleet`
fixture starts processes and stops every one it started, printing the tail of each
one's log (pytest shows it when the test fails).
"""

from __future__ import annotations

import contextlib
import io
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.fleet.harness import FINAL, AgentProcess, Api, Child, Pki, Server
from tests.store.conftest import PgAdmin, pg_admin, pg_template, pg_url
from xene.cli.main import main

__all__ = ["pg_admin", "pg_template"]
pytestmark = pytest.mark.slow
AGENT_NAMES = ("fleet-a", "fleet-b", "fleet-c")


def xene(*argv: str) -> str:
    """`xene ARGV` in this process (certificates, tokens): what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    assert code == 0, f"xene {' '.join(argv)} exited {code}: {out.getvalue()}"
    return out.getvalue()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    made = Pki(tmp_path_factory.mktemp("fleet-home"))
    folder = str(made.dir)
    xene("certs", "init", "--dir", folder)
    xene("certs", "server", "--host", "localhost", "--ip", "127.0.0.1", "--dir", folder)
    for name in AGENT_NAMES:
        xene("certs", "agent", name, "--dir", folder)
    secret = made.home / "jwt-secret"  # the servers sign and check tokens with it
    secret.write_text(secrets.token_urlsafe(48))
    secret.chmod(0o600)
    return made


@pytest.fixture(scope="module")
def store_url(pg_admin: PgAdmin, pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for the module's servers."""
    name = pg_admin.create(template=pg_template)
    yield pg_url(name)
    pg_admin.drop(name)


def token(pki: Pki, store: str, role: str) -> str:
    """A new token of `role`, made by `xene token create` on the servers' store."""
    secret = str(pki.home / "jwt-secret")
    made = xene(
        "token", "create", "--role", role, "--name", f"fleet-{role}", "--store", store,
        "--secret-file", secret, "--expires", "1d",
    )  # fmt: skip
    return made.strip()


@pytest.fixture(scope="module")
def admin_token(pki: Pki, store_url: str) -> str:
    return token(pki, store_url, "admin")


class Fleet:
    """What a test started: stopped at its end, the runs it left unfinished cancelled
    (so that no later test's agents pick them up)."""

    def __init__(self, pki: Pki, store: str, admin: str, work: Path) -> None:
        self.pki, self.store, self.admin = pki, store, admin
        self.work = work
        """Where the test's steps leave their side effects."""
        self.children: list[Child] = []
        self.apis: list[Api] = []

    def server(self, *options: str, lease_s: float = 3.0) -> Server:
        made = Server(self.pki, self.store, *options, lease_s=lease_s)
        self.children.append(made)
        return made.start()

    def agent(
        self,
        name: str,
        servers: Sequence[Server],
        *,
        labels: Sequence[str] = (),
        capacity: int = 1,
        extra: Sequence[str] = (),
    ) -> AgentProcess:
        made = AgentProcess(self.pki, name, servers, labels=labels, capacity=capacity, extra=extra)
        self.children.append(made)
        return made.start()

    def api(self, server: Server, token: str | None = None) -> Api:
        made = Api(server, token or self.admin)
        self.apis.append(made)
        return made

    def close(self) -> None:
        for api in self.apis:
            with contextlib.suppress(Exception):
                cancel_unfinished(api)
            api.close()
        for child in reversed(self.children):
            child.stop()
        for child in self.children:
            print(f"--- {child.log.name} (last lines)\n{child.output()[-4000:]}")


def cancel_unfinished(api: Api) -> None:
    page = api.ok("GET", "/runs", params={"limit": 500})
    for run in page["runs"]:
        if run["state"] not in FINAL:
            api.client.post(f"/runs/{run['id']}/cancel")


@pytest.fixture
def fleet(pki: Pki, store_url: str, admin_token: str, tmp_path: Path) -> Iterator[Fleet]:
    made = Fleet(pki, store_url, admin_token, tmp_path)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """Where the tests' steps leave their side effects."""
    return tmp_path
