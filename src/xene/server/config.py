"""How a server is set up: where it listens, its store, its limits, who may do what."""

from __future__ import annotations

from xene.frozen import frozen


@frozen
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 6060
    store_url: str | None = None
    """None: $XENE_STORE, else SQLite at $XENE_HOME/xene.db."""
    tls_cert: str | None = None
    tls_key: str | None = None
    client_ca: str | None = None
    """With TLS: the CA whose client certificates identify agents (mutual TLS)."""
    auth: bool = True
    """False: no tokens asked (local use only: anyone who reaches the port is admin)."""
    jwt_secret: str | None = None
    """HS256 secret; None: read (or create) $XENE_HOME/jwt-secret."""
    max_body_bytes: int = 10 * 1024 * 1024
    rate_per_s: float = 50.0
    """Requests per second per client (token or address), with bursts of `rate_burst`."""
    rate_burst: int = 100
    fs_roots: tuple[str, ...] = ()
    """Directories filesystem triggers may watch; none: filesystem triggers are refused."""
    agent: bool = True
    """False (`--no-agent`): this server executes no run; agents elsewhere (another
    server's built-in one, on the same store) do."""
    capacity: int = 4
    """Runs the built-in agent executes at once."""
    agent_labels: tuple[str, ...] = ()
    """The built-in agent's labels: it takes a run only if it has all its pipeline's
    (`docker` for a container pipeline: `xene serve` adds it when an engine answers)."""
    container_scope: str = ""
    """The `xene.scope` of the containers of the runs the built-in agent executes: the
    store's (`xene.cli.stores.scope_of`), shared with `xene run` on it; '': this
    process's alone."""
    sweep_s: float = 60.0
    """How often the built-in agent, when it has the `docker` label, sweeps the
    containers its scope's runs left once they no longer run (and at its start)."""
    grace_s: float = 30.0
    """On SIGTERM: how long running steps may take to finish."""
    lease_s: float = 15.0
    """A run not renewed for this long (its server died) is taken over by another."""
    metrics_public: bool = False
    """True: `/metrics` answers without a token (for a Prometheus that sends none)."""
    max_queued: int = 1000
    """Runs that may wait for an executor in the store; past it new runs are refused
    (503, or a skipped cron or filesystem fire). 0: no bound."""
    claim_wait_s: float = 30.0
    """The longest a remote agent's claim waits for a run to be queued (it asks for up
    to 30 s); a proxy that cuts idle requests sooner needs less."""
    poll_s: float = 1.0
    """How often the server looks at the store for what no notification told it of (see
    store/wakeups.py): queued runs, cancel requests, changes of other servers' runs."""
