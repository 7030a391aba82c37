"""Wake-ups: a change committed to the store wakes whoever waits for it, at once.

Three channels, each notified by the store when it commits the change:

    queued   a run waits for an executor (created, requeued, retried, left by a
             stopping server); the key is ""
    cancel   a cancel was requested; the key is the run id
    changed  a run's records changed (its state, a node's, a step's, new log lines);
             the key is the run id

A waiter subscribes first, then looks at the store, then waits: a change committed after
the look wakes it. Polling stays the fallback: every waiter waits at most its poll
interval and then looks anyway, so a lost notification costs one interval, never a hang.

`LocalWakeups` serves the stores whose writers are all in this process (memory, SQLite):
the store tells it once a transaction has committed. `PgWakeups` LISTENs on a connection
of its own: PostgreSQL delivers a NOTIFY when (and only if) its transaction commits, to
every process sharing the database; a lost connection is opened again, and every waiter
is then woken to look (what was notified meanwhile is lost). `queued` and `cancel` are
NOTIFYed within the transaction that commits the change; `changed`, committed by every
journal write, is sent just after it, several changes in one small transaction
(`send_soon`), and only while some process watches changes: a NOTIFY in each commit
made concurrent commits a quarter slower (PostgreSQL serializes committing transactions
that notify). A process with a `changed` waiter says so (`watching`) every
ANNOUNCE_S and when a process that has just begun to listen asks (`asking`); a writer
that heard none for WATCHED_S (or cannot listen) stops sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

from xene.core.states import State

if TYPE_CHECKING:
    from xene.store.base import Batch, NewRun

log = logging.getLogger("xene.store.wakeups")

Channel: TypeAlias = Literal["queued", "cancel", "changed"]
Wake: TypeAlias = tuple[Channel, str]
CHANNELS: tuple[Channel, ...] = ("queued", "cancel", "changed")
ANY = ""
"""The key of a subscription to every key of its channel."""
MISSED = "*"
"""The key a waiter is given when notifications may have been lost: look at everything."""
IN_TRANSACTION: frozenset[Channel] = frozenset({"queued", "cancel"})
"""Channels NOTIFYed within the transaction of their change (the others just after)."""
SEND_AT_MOST = 200
"""Notifications sent in one statement by `send_soon`."""
PG_PREFIX = "xene_"
_CHANNEL_OF: dict[str, Channel] = {PG_PREFIX + c: c for c in CHANNELS}
WATCHING = ("watching", "")
"""Sent by a process waiting for `changed`: writers then notify their changes."""
ASKING = ("asking", "")
"""Sent by a process that begins to listen: watchers answer `watching` at once."""
ANNOUNCE_S = 10.0
WATCHED_S = 3 * ANNOUNCE_S
ANSWER_S = 1.0
"""How long a process that asked takes changes to be watched while answers come."""
RECONNECT_S = 1.0


class Subscription:
    """One waiter's interest in a channel (and a key, or ANY); `with` ends it."""

    def __init__(self, owner: Dispatch, channel: Channel, key: str) -> None:
        self.owner, self.channel, self.key = owner, channel, key
        self.keys: set[str] = set()
        self._event = asyncio.Event()

    def wake(self, key: str = MISSED) -> None:
        """Wake the waiter (the store notified `key`, or this process knows better)."""
        self.keys.add(key)
        self._event.set()

    async def wait(self, timeout: float) -> set[str]:
        """The keys notified since the last wait, as soon as there is one; an empty set
        when `timeout` seconds pass first (look at the store anyway: the poll)."""
        self.owner.started()
        if not self._event.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._event.wait()
        self._event.clear()
        keys, self.keys = self.keys, set()
        return keys

    def close(self) -> None:
        self.owner.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Wakeups(Protocol):
    """What waiters see of a store's wake-ups."""

    def subscribe(self, channel: Channel, key: str = ANY) -> Subscription: ...

    async def close(self) -> None: ...


class Dispatch:
    """Subscriptions by channel and key, and the delivery of a notification to them."""

    def __init__(self) -> None:
        self._subs: dict[tuple[Channel, str], set[Subscription]] = {}

    def subscribe(self, channel: Channel, key: str = ANY) -> Subscription:
        sub = Subscription(self, channel, key)
        self._subs.setdefault((channel, key), set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get((sub.channel, sub.key))
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[(sub.channel, sub.key)]

    def deliver(self, channel: Channel, key: str) -> None:
        for wanted in {key, ANY}:
            for sub in list(self._subs.get((channel, wanted), ())):
                sub.wake(key)

    def deliver_missed(self) -> None:
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.wake(MISSED)

    def started(self) -> None:
        """A waiter waits (again): deliveries must be under way."""

    async def close(self) -> None:
        self.deliver_missed()


class LocalWakeups(Dispatch):
    """For stores whose every writer is in this process: told after each commit."""

    def notify(self, wakes: Iterable[Wake]) -> None:
        for channel, key in wakes:
            self.deliver(channel, key)


class PgWakeups(Dispatch):
    """LISTEN on a dedicated connection, opened when the first waiter waits."""

    def __init__(
        self,
        url: str,
        send: Callable[[Sequence[tuple[str, str]]], Awaitable[None]],
        reconnect_s: float = RECONNECT_S,
    ) -> None:
        super().__init__()
        self.url, self.reconnect_s = url, reconnect_s
        self.answer_s = ANSWER_S
        self._send = send
        """NOTIFYs in a transaction of their own (the store's)."""
        self._unsent: dict[tuple[str, str], None] = {}
        self._sending: asyncio.Task[None] | None = None
        self._announce_at = float("-inf")
        self._watched_until = float("-inf")
        self.listening = False
        """Whether the connection LISTENs now (else waiters fall back on their poll)."""
        self.connection: Any = None
        """The listening connection (its backend pid tells it apart in pg_stat_activity)."""
        self._task: asyncio.Task[None] | None = None
        self._listened = False

    def started(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="xene-wakeups")
        if asyncio.get_running_loop().time() >= self._announce_at:
            self._announce()

    def _announce(self) -> None:
        if any(channel == "changed" for channel, _ in self._subs):
            self._announce_at = asyncio.get_running_loop().time() + ANNOUNCE_S
            self.send_soon([WATCHING])

    @property
    def watched(self) -> bool:
        """Whether some process may wait for `changed` (it said so lately, or this one
        cannot hear it)."""
        return not self.listening or asyncio.get_running_loop().time() < self._watched_until

    def _heard_watcher(self, for_s: float = WATCHED_S) -> None:
        self._watched_until = asyncio.get_running_loop().time() + for_s

    async def _listen(self) -> None:
        told = False  # warned of this outage already: the next tries say it quietly
        while True:
            self._listened = False
            try:
                await self._listen_once()
            except Exception as exc:  # the server went away, or never answered
                told = told and not self._listened  # listened, then lost: a new outage
                log.log(
                    logging.DEBUG if told else logging.WARNING,
                    "listening for store notifications failed (%s); polling until it "
                    "is back, trying again every %ss",
                    str(exc).strip() or type(exc).__name__,
                    self.reconnect_s,
                    extra={"action": "wakeups.lost"},
                )
                told = True
            await asyncio.sleep(self.reconnect_s)

    async def _listen_once(self) -> None:
        from psycopg import AsyncConnection

        conn = await AsyncConnection.connect(self.url, autocommit=True, **KEEPALIVES)
        try:
            for name in _CHANNEL_OF:
                await conn.execute(f"LISTEN {name}")
            for name in (WATCHING[0], ASKING[0]):
                await conn.execute(f"LISTEN {PG_PREFIX}{name}")
            self.connection, self.listening = conn, True
            self._listened = True
            self._heard_watcher(self.answer_s)  # deaf until now: ask who watches
            self.send_soon([ASKING])
            self.deliver_missed()  # what committed before LISTEN took effect
            async for note in conn.notifies():
                self._heard(note.channel, note.payload)
        finally:
            self.connection, self.listening = None, False
            await conn.close()

    def _heard(self, name: str, payload: str) -> None:
        channel = _CHANNEL_OF.get(name)
        if channel is not None:
            self.deliver(channel, payload)
        elif name == PG_PREFIX + WATCHING[0]:
            self._heard_watcher()
        elif name == PG_PREFIX + ASKING[0]:
            self._announce()

    def send_soon(self, notes: Iterable[tuple[str, str]]) -> None:
        """NOTIFY `notes` (their changes committed already) as soon as the ones before
        are sent: what commits meanwhile goes together."""
        self._unsent.update(dict.fromkeys(notes))
        if self._sending is None or self._sending.done():
            self._sending = asyncio.create_task(self._send_unsent(), name="xene-notify")

    async def _send_unsent(self) -> None:
        while self._unsent:
            wakes = list(self._unsent)[:SEND_AT_MOST]
            for wake in wakes:
                del self._unsent[wake]
            try:
                await self._send(wakes)
            except Exception:  # the server is away: waiters find the changes by polling
                log.warning("notifying %d changes failed", len(wakes), exc_info=True)

    async def close(self) -> None:
        if self._sending is not None:
            with contextlib.suppress(Exception):
                await self._sending
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().close()


KEEPALIVES: dict[str, Any] = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}
"""A listening connection is idle for long: a peer gone without a word (a cut network)
is noticed within about 25 s, then the connection is opened again."""


def notify_sql(wakes: Iterable[tuple[str, str]]) -> tuple[str, list[str]]:
    """One statement NOTIFYing every wake (in the transaction that commits the change)."""
    params: list[str] = []
    for channel, key in wakes:
        params += [PG_PREFIX + channel, key]
    calls = ", ".join(["pg_notify(%s, %s)"] * (len(params) // 2))
    return f"SELECT {calls}", params


# -- what each change wakes (shared by every store) ------------------------------------
def created(run: NewRun) -> tuple[Wake, ...]:
    changed: Wake = ("changed", run.id)
    return (("queued", ANY), changed) if run.state == "WaitingForExecutor" else (changed,)


def committed(run_id: str, batch: Batch) -> tuple[Wake, ...]:
    """A commit of records wakes followers of the run; a released lease (a stopping
    server left the run) wakes executors, who may take it."""
    wakes: tuple[Wake, ...] = ()
    records = batch.run, batch.nodes, batch.steps, batch.logs, batch.progress, batch.approvals
    if any(records):
        wakes += (("changed", run_id),)
    left = batch.run is None or not (batch.run.state.finished or batch.run.state is State.SUSPENDED)
    if batch.lease_until == 0.0 and left:  # not for a run ended or waiting on a human
        wakes += (("queued", ANY),)
    return wakes


def queued(run_id: str) -> tuple[Wake, ...]:
    return (("queued", ANY), ("changed", run_id))


def cancel_requested(run_id: str) -> tuple[Wake, ...]:
    """A queued run nobody executes is cancelled at once: a change too."""
    return (("cancel", run_id), ("changed", run_id))


def of(store: object) -> Wakeups:
    """The store's wake-ups; for a store without any, some that never wake (the waiters
    then poll, as they would anyway)."""
    found = getattr(store, "wakeups", None)
    return found if isinstance(found, Dispatch) else Dispatch()
