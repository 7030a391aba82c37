"""Server transactions shared by the SQL stores (`ServerStore`): applied workflows,
pipeline modes, claiming queued runs, requeue and cancel requests (retries:
sql_retries.py)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence

from xene.core.states import PipelineMode, State
from xene.frozen import frozen
from xene.store import rows, sql_runs
from xene.store.base import AppliedWorkflow, StoredRun
from xene.store.txn import Result, Row, Stmt, Txn

Queries = Mapping[str, str]


def _workflow(row: Row) -> AppliedWorkflow:
    name, text, format_, filename, version, applied_at = row
    return AppliedWorkflow(name, text, format_, filename, int(version), float(applied_at))


# -- workflows and pipeline modes ------------------------------------------------------
def apply_workflow(
    q: Queries, name: str, text: str, format: str, filename: str, at: float
) -> Txn[tuple[AppliedWorkflow, bool]]:
    """One upsert: a new version only when the text differs (atomic on both databases)."""
    done = yield Stmt(q["apply_workflow"], (name, text, format, filename, at))
    applied = yield from get_workflow(q, name)
    assert applied is not None
    return applied, done.rowcount == 1


def get_workflow(q: Queries, name: str) -> Txn[AppliedWorkflow | None]:
    found = yield Stmt(q["get_workflow"], (name,))
    return _workflow(found.rows[0]) if found.rows else None


def workflow_and_modes(
    q: Queries, name: str
) -> Txn[tuple[AppliedWorkflow, dict[str, PipelineMode]] | None]:
    found = yield Stmt(q["workflow_and_modes"], (name,))
    if not found.rows:
        return None
    modes = rows.db_modes(row[6:] for row in found.rows if row[6] is not None)
    return _workflow(found.rows[0][:6]), modes


def list_workflows(q: Queries) -> Txn[list[AppliedWorkflow]]:
    found = yield Stmt(q["list_workflows"])
    return [_workflow(row) for row in found.rows]


def delete_workflow(q: Queries, name: str) -> Txn[bool]:
    done = yield Stmt(q["delete_workflow"], (name,))
    yield Stmt(q["delete_pipeline_modes"], (name,))
    return done.rowcount == 1


def set_pipeline_mode(q: Queries, workflow: str, pipeline: str, mode: PipelineMode) -> Txn[None]:
    yield Stmt(q["set_pipeline_mode"], (workflow, pipeline, mode))


def pipeline_modes(q: Queries, workflow: str) -> Txn[dict[str, PipelineMode]]:
    found = yield Stmt(q["pipeline_modes"], (workflow,))
    return rows.db_modes(found.rows)


# -- queued runs -----------------------------------------------------------------------
@frozen
class Claim:
    """What a claimer asks for: up to `limit` runs it may execute, held until then."""

    owner: str
    limit: int
    lease_until: float
    now: float
    labels: Sequence[str] = ()
    """The claimer's labels: a run needing another is not for it."""

    def params(self) -> tuple[str, float, float, str, int]:
        """The claim statements' parameters (the labels as a JSON array)."""
        offered = json.dumps(sorted(self.labels))
        return self.owner, self.lease_until, self.now, offered, self.limit


def claim_runs(q: Queries, claim: Claim, *, returning: bool) -> Txn[list[str]]:
    """Oldest first. `returning` (PostgreSQL): one UPDATE ... RETURNING whose rows are
    locked with SKIP LOCKED; else (SQLite, whose writers BEGIN IMMEDIATE in turn) a
    select, then an update of what it found."""
    if claim.limit <= 0:
        return []
    if returning:
        claimed = yield Stmt(q["claim_runs"], claim.params())
        return sorted(str(row[0]) for row in claimed.rows)
    found = yield Stmt(q["claimable_runs"], claim.params()[2:])
    ids = [str(row[0]) for row in found.rows]
    if ids:
        taken = [(claim.owner, claim.lease_until, i) for i in ids]
        yield Stmt(q["claim_run_by_id"], taken, many=True)
    return ids


def claim_stored_runs(q: Queries, claim: Claim, *, returning: bool) -> Txn[list[StoredRun]]:
    """`claim_runs`, then each run taken read back in the same hop. `returning`
    (PostgreSQL): the claim returns the run rows; only a run with records (nodes or
    retries: one taken over, or retried) is read further."""
    if returning and claim.limit > 0:
        found = yield Stmt(q["claim_stored_runs"], claim.params())
        rows_ = sorted(found.rows, key=lambda row: str(row[0]))
        fresh = {str(row[0]): row[:-1] for row in rows_ if not row[-1]}
        ids = [str(row[0]) for row in rows_]
    else:
        fresh = {}
        ids = yield from claim_runs(q, claim, returning=returning)
    claimed = []
    for run_id in ids:
        if run_id in fresh:
            claimed.append(sql_runs.stored_run(fresh[run_id], Result(), Result(), ()))
            continue
        stored = yield from sql_runs.get_run(q, run_id)
        if stored is not None:  # always, but for a run deleted meanwhile (PostgreSQL)
            claimed.append(stored)
    return claimed


def requeue_run(q: Queries, run_id: str) -> Txn[bool]:
    done = yield Stmt(q["requeue_run"], (run_id,))
    return done.rowcount == 1


def request_cancel(q: Queries, run_id: str, now: float) -> Txn[bool]:
    """A queued run nobody claimed is cancelled at once; any other unfinished run is
    flagged for its executor."""
    cancelled = yield Stmt(q["cancel_queued_run"], (now, run_id))
    if cancelled.rowcount == 1:
        return True
    flagged = yield Stmt(q["request_cancel"], (run_id,))
    return flagged.rowcount == 1


def cancel_requested(q: Queries, run_id: str) -> Txn[bool]:
    found = yield Stmt(q["cancel_requested"], (run_id,))
    return bool(found.scalar) if found.rows else False


def cancels_requested(q: Queries, run_ids: Collection[str]) -> Txn[set[str]]:
    found = yield Stmt(q["cancels_requested"], (json.dumps(list(run_ids)),))
    return {str(row[0]) for row in found.rows}


def count_runs(q: Queries) -> Txn[dict[State, int]]:
    found = yield Stmt(q["count_runs"])
    return rows.db_state_counts(found.rows)
