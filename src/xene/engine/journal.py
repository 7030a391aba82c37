"""The write-ahead journal: what changed since the last commit, committed in one batch.

The engine tells the journal every change, as it tells any listener; the scheduler loop
commits the journal before it starts any node that has effects (a task, an I/O node), so
a node's completion is durable before its successors run. Output lines are buffered in
chunks and committed as they come (the loop is woken when enough have piled up), so a
step printing gigabytes holds only one chunk in memory.

Every batch carries the epoch of the lease the execution holds (`Batch.epoch`). Once the
store refuses one (`Fenced`: another executor has claimed the run since), the journal
writes nothing more: it tells its execution (`on_fenced`), which stops every step at
once, and each later flush raises `Fenced` again without committing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from xene.core.records import Listener, NodeRecord, RunRecord, StepRecord
from xene.store.base import ApprovalRecord, Batch, Fenced, LogChunk, NodeProgress
from xene.store.roles import ExecutionStore
from xene.store.rows import node_row, progress_json, run_row, step_row

CHUNK_LINES = 1000
CHUNK_BYTES = 256 * 1024
BACKLOG_BYTES = 4 * 1024 * 1024
"""Output buffered beyond this makes steps' readers wait until it is committed."""
PROGRESS_STEPS = 100
"""A split's progress is committed when it has moved on by a hundredth of its items."""


@dataclass(slots=True)
class _Lines:
    """Output lines of one step not committed yet."""

    node: str
    step: str | None
    at: float
    lines: list[str] = field(default_factory=list)
    size: int = 0


def _sealed(chunk: _Lines) -> bool:
    return len(chunk.lines) >= CHUNK_LINES or chunk.size >= CHUNK_BYTES


class Journal(Listener):
    tick_s: float | None = 1.0
    """The loop wakes at least this often: output is committed, the lease renewed."""

    def __init__(
        self,
        store: ExecutionStore,
        run: RunRecord,
        now: float,
        wake: asyncio.Event,
        lease_s: float,
        epoch: int | None = None,
    ) -> None:
        self.store = store
        self.epoch = epoch
        """The lease's epoch, put on every batch; None: commits are not fenced."""
        self.fenced: Fenced | None = None
        """Why nothing more is committed: the store refused a batch of this epoch."""
        self.on_fenced: Callable[[], None] | None = None
        """Called once, when the store first refuses a batch (before flush raises)."""
        self.lease_s = lease_s
        self.run = run
        self.wake = wake
        self.run_changed_flag = False
        self.nodes: dict[str, NodeRecord] = {}
        self.progress: dict[str, NodeRecord] = {}
        """Nodes whose progress alone changed since they were last committed whole."""
        self.progress_committed: dict[str, int] = {}
        """The progress last committed of each node that has any (its items done)."""
        self.steps: dict[tuple[str, int], StepRecord] = {}
        self.chunks: list[_Lines] = []
        self.pending_bytes = 0
        self.room = asyncio.Event()
        self.room.set()
        self.approvals: list[ApprovalRecord] = []
        self.lease_until = now + lease_s
        self.renew_at = now + lease_s / 3
        self.released = False
        self._committing = asyncio.Lock()
        """Batches reach the store in the order they were taken."""

    @property
    def dirty(self) -> bool:
        return bool(
            self.run_changed_flag
            or self.nodes
            or self.progress
            or self.steps
            or self.chunks
            or self.approvals
        )

    def due(self, now: float) -> bool:
        """Something to commit: a change, or the lease to renew or release (a step that
        prints nothing for longer than the lease must not lose its run)."""
        return self.dirty or self.released or now >= self.renew_at

    # -- told by the engine -------------------------------------------------------------
    def run_changed(self, run: RunRecord) -> None:
        self.run_changed_flag = True

    def node_changed(self, run: RunRecord, node: NodeRecord) -> None:
        self.nodes[node.key] = node
        self.progress.pop(node.key, None)
        if node.state.finished:
            self.progress_committed.pop(node.key, None)
        elif node.progress is not None:
            self.progress_committed[node.key] = node.progress[0]

    def progress_changed(self, run: RunRecord, node: NodeRecord) -> None:
        # The split's row holds all its items: committing it on each item's end would
        # make a split of n items cost n² (SQLite rewrites a whole row to update one
        # field), so the count alone is committed, by hundredths.
        if node.key in self.nodes or node.progress is None:
            return
        done, total = node.progress
        moved = done - self.progress_committed.get(node.key, 0)
        if moved * PROGRESS_STEPS >= total:
            self.progress[node.key] = node
            self.progress_committed[node.key] = done

    def step_changed(self, run: RunRecord, node: NodeRecord, step: StepRecord) -> None:
        index = next(i for i, known in enumerate(node.steps) if known is step)  # not ==
        # A new process group is committed with the next batch (within a second): no
        # commit of its own per step. Recovery also finds groups by their environment.
        self.steps[(node.key, index)] = step

    def log(self, run: RunRecord, node: NodeRecord, step: str | None, line: str) -> None:
        last = self.chunks[-1] if self.chunks else None
        if last is None or last.node != node.key or last.step != step or _sealed(last):
            last = _Lines(node.key, step, 0.0)
            self.chunks.append(last)
        last.lines.append(line)
        last.size += len(line) + 1
        self.pending_bytes += len(line) + 1
        if self.pending_bytes >= CHUNK_BYTES or len(last.lines) >= CHUNK_LINES:
            self.wake.set()
        if self.pending_bytes >= BACKLOG_BYTES:
            self.room.clear()

    def suspend(self, approval: ApprovalRecord) -> None:
        self.approvals.append(approval)

    def release(self) -> None:
        """Give the run up (it is suspended): whoever decides may resume it at once."""
        self.lease_until = 0.0
        self.renew_at = 0.0
        self.released = True

    @property
    def full(self) -> bool:
        """So much output waits to be committed that steps should stop reading more."""
        return not self.room.is_set()

    async def wait_room(self) -> None:
        await self.room.wait()

    # -- committing ---------------------------------------------------------------------
    def take(self, now: float) -> Batch:
        """Snapshot every change into a batch and start afresh (synchronously)."""
        batch = Batch(
            run=run_row(self.run) if self.run_changed_flag else None,
            nodes=[node_row(n) for n in self.nodes.values()],
            progress=[NodeProgress(k, progress_json(n.progress)) for k, n in self.progress.items()],
            steps=[step_row(key, index, s) for (key, index), s in self.steps.items()],
            logs=[LogChunk(self.run.id, c.node, c.step, now, tuple(c.lines)) for c in self.chunks],
            approvals=self.approvals,
            epoch=self.epoch,
        )
        if self.released:
            batch.lease_until, self.released = 0.0, False
            self.renew_at = float("inf")
        elif now >= self.renew_at:
            self.lease_until = now + self.lease_s
            self.renew_at = now + self.lease_s / 3
            batch.lease_until = self.lease_until
        self.run_changed_flag = False
        self.nodes, self.progress, self.steps = {}, {}, {}
        self.chunks, self.approvals = [], []
        self.pending_bytes = 0
        self.room.set()
        return batch

    async def flush(self, now: float) -> None:
        """Commit what changed; raises `Fenced` (and commits nothing, now or ever after)
        once the store has refused a batch of this journal's epoch."""
        async with self._committing:
            batch = self.take(now)
            if self.fenced is not None:  # what changed since is dropped: not ours
                raise Fenced(str(self.fenced))
            if batch:
                try:
                    await self.store.commit(self.run.id, batch)
                except Fenced as fenced:
                    self.fenced = fenced
                    if self.on_fenced is not None:
                        self.on_fenced()
                    raise


class NullJournal:
    """The journal of a run kept nowhere (`Engine.run` without a store): nothing to
    commit, never full, no lease; the loop waits only for what wakes it."""

    dirty = False
    full = False
    tick_s: float | None = None

    def due(self, now: float) -> bool:
        return False

    def release(self) -> None:
        pass

    async def flush(self, now: float) -> None:
        pass

    async def wait_room(self) -> None:
        pass


RunJournal = Journal | NullJournal
"""What an execution commits through."""
