"""Contract: what `xene serve` keeps beside runs (`ServerStore`): applied workflows,
pipeline modes, run counts; and the migration that adds them to an older database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store import old_schemas
from tests.store.factories import new_run, run_row
from xene.store import open_store, sqlfiles
from xene.store.base import Batch, ServerStore, Store
from xene.store.memory import MemoryStore
from xene.store.sql import SqlStore
from xene.store.sqlfiles import Migration

AT = 1_700_000_000.0
CI = "tasks:\n  build: {steps: [make]}\n"
CI2 = "tasks:\n  build: {steps: [make all]}\n"


@pytest.fixture
def server(store: Store) -> ServerStore:
    """The `store` fixture as what it also is: a ServerStore (checked by mypy here)."""
    assert isinstance(store, MemoryStore | SqlStore)
    return store


# -- applied workflows -----------------------------------------------------------------
async def test_first_apply_is_version_1_and_a_change(server: ServerStore) -> None:
    applied, changed = await server.apply_workflow("ci", CI, "manifest", "ci.yaml", AT)
    assert changed is True
    assert (applied.name, applied.text, applied.format) == ("ci", CI, "manifest")
    assert (applied.filename, applied.version, applied.applied_at) == ("ci.yaml", 1, AT)
    assert await server.get_workflow("ci") == applied


async def test_applying_the_same_text_again_changes_nothing(server: ServerStore) -> None:
    first, _ = await server.apply_workflow("ci", CI, "manifest", "ci.yaml", AT)
    again, changed = await server.apply_workflow("ci", CI, "manifest", "ci.yaml", AT + 10)
    assert changed is False
    assert again == first  # same version, applied_at of the first apply
    assert await server.get_workflow("ci") == first


async def test_applying_another_text_is_the_next_version(server: ServerStore) -> None:
    await server.apply_workflow("ci", CI, "manifest", "ci.yaml", AT)
    await server.apply_workflow("ci", CI, "manifest", "ci.yaml", AT + 5)
    applied, changed = await server.apply_workflow("ci", CI2, "flow", "ci.json", AT + 10)
    assert changed is True
    assert (applied.version, applied.applied_at, applied.text) == (2, AT + 10, CI2)
    assert (applied.format, applied.filename) == ("flow", "ci.json")
    assert await server.get_workflow("ci") == applied


async def test_get_workflow_of_an_unknown_name_is_none(server: ServerStore) -> None:
    assert await server.get_workflow("nope") is None


async def test_list_workflows_is_sorted_by_name(server: ServerStore) -> None:
    for name in ("release", "ci", "nightly"):
        await server.apply_workflow(name, CI, "manifest", f"{name}.yaml", AT)
    assert [w.name for w in await server.list_workflows()] == ["ci", "nightly", "release"]


async def test_delete_workflow_forgets_it_and_its_pipeline_modes(server: ServerStore) -> None:
    await server.apply_workflow("ci", CI, "manifest", "ci.yaml", AT)
    await server.apply_workflow("cd", CI, "manifest", "cd.yaml", AT)
    await server.set_pipeline_mode("ci", "build", "paused")
    await server.set_pipeline_mode("cd", "deploy", "stopped")
    assert await server.delete_workflow("ci") is True
    assert await server.get_workflow("ci") is None
    assert await server.pipeline_modes("ci") == {}
    assert [w.name for w in await server.list_workflows()] == ["cd"]
    assert await server.pipeline_modes("cd") == {"deploy": "stopped"}


async def test_delete_workflow_of_an_unknown_name_is_false(server: ServerStore) -> None:
    assert await server.delete_workflow("nope") is False


async def test_delete_workflow_keeps_its_runs(server: ServerStore) -> None:
    await server.apply_workflow("ci", CI, "manifest", "ci.yaml", AT)
    run_id, _ = await server.create_run(new_run())
    await server.delete_workflow("ci")
    assert await server.get_run(run_id) is not None


# -- pipeline modes --------------------------------------------------------------------
async def test_set_pipeline_mode_upserts(server: ServerStore) -> None:
    await server.set_pipeline_mode("ci", "build", "paused")
    await server.set_pipeline_mode("ci", "build", "draining")
    assert await server.pipeline_modes("ci") == {"build": "draining"}


async def test_pipeline_modes_lists_only_those_set_for_the_workflow(server: ServerStore) -> None:
    await server.apply_workflow("ci", CI, "manifest", "ci.yaml", AT)
    assert await server.pipeline_modes("ci") == {}
    await server.set_pipeline_mode("ci", "test", "stopped")
    await server.set_pipeline_mode("ci", "build", "active")
    await server.set_pipeline_mode("other", "build", "paused")
    assert await server.pipeline_modes("ci") == {"build": "active", "test": "stopped"}


async def test_workflow_and_modes_reads_the_workflow_with_its_modes(server: ServerStore) -> None:
    assert await server.workflow_and_modes("ci") is None
    applied, _ = await server.apply_workflow("ci", CI, "manifest", "ci.yaml", AT)
    assert await server.workflow_and_modes("ci") == (applied, {})
    await server.set_pipeline_mode("ci", "test", "stopped")
    await server.set_pipeline_mode("ci", "build", "paused")
    await server.set_pipeline_mode("other", "build", "draining")
    modes = {"build": "paused", "test": "stopped"}
    assert await server.workflow_and_modes("ci") == (applied, modes)


# -- counts ----------------------------------------------------------------------------
async def test_count_runs_counts_runs_by_state(server: ServerStore) -> None:
    assert await server.count_runs() == {}
    await server.create_run(new_run(state="WaitingForExecutor", owner="", lease_until=0))
    await server.create_run(new_run(state="WaitingForExecutor", owner="", lease_until=0))
    await server.create_run(new_run())
    done, _ = await server.create_run(new_run())
    await server.commit(done, Batch(run=run_row(done, "Success", ended_at=AT)))
    assert await server.count_runs() == {"WaitingForExecutor": 2, "NotExecuted": 1, "Success": 1}


# -- migration 0002 --------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return str(request.getfixturevalue("pg_empty"))


async def test_a_version_1_database_gains_the_server_tables_and_keeps_its_runs(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sqlfiles.load_migrations

    def first_only(dialect: str) -> list[Migration]:
        return real(dialect)[:1]

    with monkeypatch.context() as patch:
        patch.setattr(sqlfiles, "load_migrations", first_only)
        old = await open_store(empty_url)
        assert isinstance(old, SqlStore)
        # The insert as version 1 had it: keys not scoped (0005), no run_key (0011).
        scoped = "(workflow, pipeline, idempotency_key)"
        v1 = sqlfiles.load_queries("postgres")["insert_run"].replace(scoped, "(idempotency_key)")
        old._q["insert_run"] = v1 if old.dialect == "postgres" else v1.replace("%s", "?")
        old_schemas.before_0016(old._q)
        old_schemas.before_0014(old._q)
        run_id, _ = await old.create_run(new_run())
        await old.close()
    store = await open_store(empty_url)
    assert isinstance(store, SqlStore)
    try:
        assert await store.schema_version() >= 2
        assert await store.cancel_requested(run_id) is False
        assert await store.request_cancel(run_id) is True
        assert await store.cancel_requested(run_id) is True
        applied, _ = await store.apply_workflow("ci", CI, "manifest", "ci.yaml", AT)
        assert applied.version == 1
    finally:
        await store.close()
