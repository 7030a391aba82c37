"""Leases with fencing, as every store applies them: each claim of a run starts a new
epoch; a commit carries the epoch its writer holds (`Batch.epoch`) and, from a remote
agent, its number within the epoch (`Batch.seq`). A commit of another epoch is refused
(`Fenced`) and writes nothing; one whose number the run has applied already is skipped.
The SQL stores check this in the statement that updates the run row (sql_runs.commit),
the memory store here."""

from __future__ import annotations

from xene.store.base import Batch, Fenced, NewRun


def created_epoch(run: NewRun) -> int:
    """A run its creator executes at once (it has an owner) is claimed by its creation."""
    return 1 if run.owner else 0


def applies(run_id: str, batch: Batch, epoch: int, commit_seq: int) -> bool:
    """Whether a batch applies to a run at `epoch` that has applied `commit_seq`: raises
    Fenced when its epoch is not the run's; False for a duplicate."""
    if batch.epoch is not None and batch.epoch != epoch:
        raise Fenced(
            f"run {run_id} was claimed again (its epoch is {epoch}, this commit's "
            f"{batch.epoch}): nothing was written; the run is no longer this process's "
            "to execute"
        )
    return batch.seq is None or batch.seq > commit_seq
