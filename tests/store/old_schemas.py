"""Make a store write as it did before a migration, to test upgrading what it wrote."""

from __future__ import annotations

from collections.abc import MutableMapping


def before_0014(q: MutableMapping[str, str]) -> None:
    """The queries of a store whose runs have no epoch and commit number (migration
    0014), for the statements an old store's test writes with: insert_run (whichever
    dialect's form it has been given), lock_run and get_run."""
    ph = "%s" if "%s" in q["run_counters"] else "?"
    insert = q["insert_run"].replace("lease_until, epoch", "lease_until")
    head, sep, tail = insert.rpartition(f"{ph}, {ph})")
    assert sep, "insert_run does not end its values with the lease and the epoch"
    q["insert_run"] = head + f"{ph} + 0 * {ph})" + tail  # the epoch's parameter, unused
    q["lock_run"] = q["lock_run"].replace("epoch, commit_seq", "0, 0")
    q["get_run"] = q["get_run"].replace("idempotency_key, epoch", "idempotency_key, 0")


def before_0015(q: MutableMapping[str, str]) -> None:
    """The queries of a store whose nodes have no note (migration 0015), for the node
    statements an old store's test writes and reads with: the note's parameter is still
    sent, and dropped (a node's progress is never NULL, so COALESCE keeps it)."""
    ph = "%s" if "%s" in q["run_counters"] else "?"
    for name in ("upsert_node", "insert_node"):
        text = q[name].replace("progress_json, note\n", "progress_json\n")
        text = text.replace(", note = excluded.note", "")
        head, sep, tail = text.rpartition(f"{ph}, {ph})")
        assert sep, f"{name} does not end its values with the progress and the note"
        q[name] = head + f"COALESCE({ph}, {ph}))" + tail
    for name in ("run_nodes", "retried_nodes"):
        q[name] = q[name].replace("progress_json, note\n", "progress_json, NULL\n")
