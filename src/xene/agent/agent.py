"""An agent's life: register with a server (retrying until one answers), heartbeat on
its own schedule, claim and execute runs (work.py), and on SIGTERM drain: take no new
runs, keep heartbeating while the running ones finish (within the grace), leave the rest
(their leases released), wait until the server has every commit, then leave."""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

from xene.agent.calls import AgentApi
from xene.agent.containers import DOCKER_LABEL, Sweeper
from xene.agent.heartbeat import Heartbeats
from xene.agent.link import CONTROL, Link, Unreachable
from xene.agent.settings import AgentSettings
from xene.agent.work import Work

log = logging.getLogger("xene.agent")
RETRY_S = (0.5, 1.0, 2.0, 5.0)
"""Waits between registration attempts while no server answers, the last repeated."""


class Refused(Exception):
    """A server refused the agent (its certificate, token or offer): the message says why."""


class BadSpool(Exception):
    """The spool directory cannot be made: the message says what to do."""


class Agent:
    def __init__(self, settings: AgentSettings, version: str = "") -> None:
        self.settings, self.version = settings, version
        self.link = Link(settings)
        self.name = settings.name
        self.lease_s = 15.0
        self.draining = False
        """It takes no new runs: it is stopping."""
        params = {} if settings.cert or settings.token else {"name": settings.name}
        self.api = AgentApi(self.link, params)
        self.work: Work | None = None
        """Once registered: the runs it claims and holds."""
        self.heartbeats = Heartbeats(self.link, self._status, self.register, params, self._heard)

    @property
    def running(self) -> int:
        return 0 if self.work is None else len(self.work.held)

    def _status(self) -> dict[str, Any]:
        runs = {} if self.work is None else self.work.runs()
        return {"running": self.running, "draining": self.draining, "runs": runs}

    def _heard(self, reply: dict[str, Any]) -> None:
        if self.work is not None:
            self.work.heard(reply)

    async def register(self) -> None:
        """Tell the server who this agent is; Refused if it will not have it."""
        s = self.settings
        offer = {
            "name": s.name, "labels": list(s.labels), "capacity": s.capacity,
            "version": self.version, "host": s.host,
        }  # fmt: skip
        answer = await self.link.request(CONTROL, "POST", "/api/v1/agent/register", offer)
        if answer.status != 200:
            raise Refused(f"{self.link.server} refused the agent: {answer.error()}")
        given = answer.json()
        self.name, self.lease_s = given["name"], float(given["lease_s"])
        self.heartbeats.every_s = float(given["heartbeat_s"])
        log.info("agent %s registered with %s", self.name, self.link.server)

    async def run(self, stop: asyncio.Event, leave: asyncio.Event | None = None) -> None:
        """Until `stop` is set (SIGTERM): registered, heartbeating, executing runs; then
        drain (see `Work.drain`; `leave` set: stop waiting for commits to be sent)."""
        try:
            if await self._register_until(stop):
                await self._work_until(stop, leave or asyncio.Event())
        finally:
            await self.link.aclose()

    async def _work_until(self, stop: asyncio.Event, leave: asyncio.Event) -> None:
        spool = self.settings.spool_dir(self.name)
        try:
            spool.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise BadSpool(
                f"the spool {spool} cannot be made ({exc.strerror}): give --spool a "
                "directory this user may write"
            ) from exc
        self.work = work = Work(self.api, self.settings.capacity, spool, self.register, self.name)
        beating = asyncio.Event()
        beats = asyncio.create_task(self.heartbeats.loop(beating), name="xene-heartbeats")
        sweeper = self._sweeper(work)
        work.start()
        try:
            await stop.wait()
            self.draining = True
            log.info("agent %s draining: no new runs", self.name)
            await work.stop_claiming()
            await self.heartbeats.beat()  # the server learns at once, not at the next beat
            await work.drain(self.settings.grace_s, leave)
        finally:
            await work.stop_claiming()
            if sweeper is not None:
                await sweeper.stop()
            beating.set()
            await beats

    def _sweeper(self, work: Work) -> Sweeper | None:
        """With `docker`: the sweep of the containers of runs it no longer holds (a run
        it left, or lost, or one an earlier process of it held), started."""
        if DOCKER_LABEL not in self.settings.labels:
            return None
        from xene.executors.scopes import agent_scope

        async def held(run_ids: list[str]) -> list[str]:
            return [run_id for run_id in run_ids if run_id in work.held]

        sweeper = Sweeper(agent_scope(self.name), held, self.settings.sweep_s)
        sweeper.start()
        return sweeper

    async def _register_until(self, stop: asyncio.Event) -> bool:
        """Register, retrying while no server answers; False if stopped first."""
        for attempt in itertools.count():
            try:
                await self.register()
                return True
            except Unreachable as exc:
                wait = RETRY_S[min(attempt, len(RETRY_S) - 1)]
                log.warning("%s; trying again in %.1fs", exc, wait)
            try:
                await asyncio.wait_for(stop.wait(), wait)
                return False
            except TimeoutError:
                continue
        raise AssertionError("unreachable")  # itertools.count() never ends
