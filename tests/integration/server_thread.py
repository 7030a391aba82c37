"""A real `xene serve` in this process: the API app served by uvicorn on a free port in
a background thread with its own event loop, so the CLI (run in the test's thread with
`main([...])`) talks to it over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from xene.core.states import State
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.server.tls import uvicorn_options
from xene.store import open_store

FINAL = tuple(state.value for state in State if state.finished)

DEADLINE_S = 30.0


class ServerThread:
    def __init__(self, store_url: str, config: ServerConfig) -> None:
        self.store_url, self.config = store_url, config
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        scheme = "https" if config.tls_cert else "http"
        self.url = f"{scheme}://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server: uvicorn.Server | None = None
        self.runtime: Runtime | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="xene-serve", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start() or stop(), not lost in the thread
            self.failure = exc

    async def _serve(self) -> None:
        store = await open_store(self.store_url)
        try:
            self.runtime = Runtime(store, self.config)
            self.loop = asyncio.get_running_loop()
            app = create_app(self.runtime, manage=True)
            app.state.log_poll_s = 0.05
            tls = uvicorn_options(self.config)
            config = uvicorn.Config(app, log_level="warning", lifespan="on", **tls)
            self.server = uvicorn.Server(config)
            await self.server.serve(sockets=[self.sock])
        finally:
            await store.close()

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + DEADLINE_S
        while not (self.server is not None and self.server.started):
            if self.failure is not None or not self.thread.is_alive():
                raise AssertionError(f"the server did not start: {self.failure!r}")
            assert time.monotonic() < deadline, "the server never started"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.runtime is not None and self.loop is not None and not self.loop.is_closed():
            # As `xene serve` on SIGTERM: no new work, and agents' long polls answer now.
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self.loop.call_soon_threadsafe(self.runtime.begin_stop)
        if self.server is not None:
            self.server.should_exit = True
        self.thread.join(DEADLINE_S)
        self.sock.close()
        assert not self.thread.is_alive(), "the server did not stop"
        if self.failure is not None:
            raise self.failure

    def wait_run(self, run_id: str, states: tuple[str, ...] = FINAL, token: str = "") -> Any:
        """The run (its JSON) once it is in one of `states`, by default a final one."""
        deadline = time.monotonic() + DEADLINE_S
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with httpx.Client(base_url=self.url, headers=headers) as client:
            while True:
                run = client.get(f"/api/v1/runs/{run_id}").json()
                if run.get("state") in states:
                    return run
                assert time.monotonic() < deadline, f"run {run_id} still {run}"
                time.sleep(0.05)


@contextmanager
def serving(store_url: str, **config: Any) -> Iterator[ServerThread]:
    """A started server over the store, stopped (and checked) on the way out."""
    settings = {
        "auth": False,
        "poll_s": 0.2,
        "grace_s": 1.0,
        "rate_burst": 10_000,
        "rate_per_s": 10_000.0,
    } | config
    server = ServerThread(store_url, ServerConfig(**settings)).start()
    try:
        yield server
    finally:
        server.stop()
