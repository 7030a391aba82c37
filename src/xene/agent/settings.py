"""What an agent is told on its command line."""

from __future__ import annotations

import os
import platform
import ssl
from pathlib import Path

from xene import labels as label_rules
from xene.frozen import frozen

MAX_CAPACITY = 1000
"""As the servers allow (xene.service.agents.MAX_CAPACITY)."""


@frozen
class AgentSettings:
    servers: tuple[str, ...]
    """Server URLs, tried in turn: the first that answers is used until it stops."""
    cert: str | None = None
    """Its certificate and key (`xene certs agent NAME`): who it is, by mutual TLS."""
    key: str | None = None
    ca: str | None = None
    """The CA that signed the servers' certificates; None: the system's CAs."""
    token: str | None = None
    """An agent token, where mutual TLS is not set up."""
    name: str = ""
    """Needed only when neither a certificate nor a token names the agent."""
    labels: tuple[str, ...] = ()
    """What it offers; `docker` is added at its start when a Docker engine answers
    (`xene.agent.containers.offered_labels`)."""
    capacity: int = 1
    grace_s: float = 30.0
    """On SIGTERM: how long running steps may take to finish."""
    host: str = platform.node()
    spool: str | None = None
    """Where runs' commits wait to be sent; None: `$XENE_HOME/agent/NAME/spool`."""
    sweep_s: float = 60.0
    """With `docker`: how often it sweeps the containers of runs it no longer holds."""

    def spool_dir(self, name: str) -> Path:
        if self.spool:
            return Path(self.spool).expanduser()
        home = Path(os.environ.get("XENE_HOME") or "~/.xene").expanduser()
        return home / "agent" / name / "spool"

    def tls(self) -> ssl.SSLContext | bool:
        """What httpx verifies servers with, and shows them (the agent's certificate)."""
        if self.ca is None and self.cert is None:
            return True
        context = ssl.create_default_context(cafile=self.ca)
        if self.cert is not None:
            context.load_cert_chain(self.cert, self.key)
        return context

    def problems(self) -> list[str]:
        """What keeps these settings from working, for a newcomer."""
        found = []
        if not self.servers:
            found.append("name a server: --server https://xene.example.com:6060")
        if bool(self.cert) != bool(self.key):
            found.append("--cert and --key go together")
        for flag, path in (("--cert", self.cert), ("--key", self.key), ("--ca", self.ca)):
            if path and not Path(path).is_file():
                found.append(f"{flag} {path}: no such file")
        if not 1 <= self.capacity <= MAX_CAPACITY:
            found.append(f"--capacity {self.capacity}: give 1 to {MAX_CAPACITY} runs at once")
        wrong = label_rules.problem(self.labels)
        if wrong:
            found.append(f"--labels: {wrong}")
        if not self.sweep_s > 0:
            found.append(f"--sweep-every {self.sweep_s:g}: give a number of seconds above 0")
        if self.grace_s < 0:
            found.append(f"--grace {self.grace_s:g}: give running steps 0 seconds or more")
        if not (self.cert or self.token or self.name):
            found.append(
                "the agent needs an identity: --cert and --key (`xene certs agent NAME`), "
                "an agent token in XENE_TOKEN (`xene token create --role agent`), or, for a "
                "server without auth, --name"
            )
        return found
