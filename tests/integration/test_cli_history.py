"""`xene runs`, `show`, `logs`, `gc` and `approvals`, in process, on a SQLite store.

Runs are seeded by `xene run --store` in process, or written directly with the Store API
where a test needs a run caught at a given moment (`logs --follow`).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from xene.cli import gc, logs
from xene.cli.main import main
from xene.core.records import NodeRecord, RunRecord, StepRecord
from xene.core.states import State
from xene.store import open_store, rows
from xene.store.base import Batch, LogChunk, NewRun, RunSource

CI = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: shop}
spec:
  pipelines:
    ci:
      tasks:
        lint:
          steps:
            - {name: ruff, type: shell, cmd: "echo lint-ok"}
        test:
          dependencies: [lint]
          steps:
            - {name: unit, type: shell, cmd: "echo unit-ok && echo coverage=91 >> $XENE_OUTPUT"}
            - {name: report, type: shell, cmd: "echo report-ok"}
"""

FAILING = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: broken}
spec:
  pipelines:
    deploy:
      tasks:
        push: {steps: [{name: upload, type: shell, cmd: "echo no route >&2; exit 3"}]}
"""

SPLIT = """\
name: prices
nodes:
  items: {type: std::split, config: {field: items}}
  price: {type: std::log, config: {message: "price ${items.item}"}}
edges:
  - {from: items.out, to: price}
"""

WAIT = """\
name: refunds
nodes:
  request: {type: std::map, config: {passthrough: true, mappings: [{to: amount, value: 120}]}}
  review: {type: std::wait, config: {metadata_fields: [amount], timeout_secs: 3600}}
  done: {type: std::log, config: {message: refunded}}
edges:
  - {from: request, to: review}
  - {from: review.out, to: done}
"""


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/x.db"


def seed(
    capsys: pytest.CaptureFixture[str],
    url: str,
    tmp_path: Path,
    text: str,
    data: Any = None,
    name: str = "w.yaml",
) -> str:
    """`xene run` the file in process, into the store; the run's id."""
    path = tmp_path / name
    path.write_text(text)
    argv = ["run", str(path), "--store", url, "--json"]
    main([*argv, "--input", json.dumps(data)] if data is not None else argv)
    return str(json.loads(capsys.readouterr().out)["id"])


def xene(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--store", url])
    out, err = capsys.readouterr()
    return code, out, err


# -- xene runs ---------------------------------------------------------------------------


def test_runs_lists_runs_newest_first_with_workflow_and_state(url, tmp_path, capsys):
    first = seed(capsys, url, tmp_path, CI)
    second = seed(capsys, url, tmp_path, FAILING)
    code, out, _ = xene(capsys, url, "runs")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["ID", "WORKFLOW/PIPELINE", "STATE"]
    assert second in lines[1]
    assert "broken/deploy" in lines[1]
    assert "✗ Error" in lines[1]
    assert first in lines[2]
    assert "shop/ci" in lines[2]
    assert "✓ Success" in lines[2]


def test_runs_filters_by_workflow_and_status_in_any_case(url, tmp_path, capsys):
    ok = seed(capsys, url, tmp_path, CI)
    failed = seed(capsys, url, tmp_path, FAILING)
    _, by_status, _ = xene(capsys, url, "runs", "--status", "ERROR")
    _, by_workflow, _ = xene(capsys, url, "runs", "--workflow", "shop")
    assert failed in by_status
    assert ok not in by_status
    assert ok in by_workflow
    assert failed not in by_workflow


def test_runs_limit_keeps_the_newest(url, tmp_path, capsys):
    seed(capsys, url, tmp_path, CI)
    newest = seed(capsys, url, tmp_path, CI)
    _, out, _ = xene(capsys, url, "runs", "--limit", "1", "--json")
    assert [r["id"] for r in json.loads(out)] == [newest]


def test_runs_json_lists_summaries(url, tmp_path, capsys):
    run_id = seed(capsys, url, tmp_path, FAILING)
    code, out, _ = xene(capsys, url, "runs", "--json")
    (summary,) = json.loads(out)
    assert code == 0
    assert summary["id"] == run_id
    assert (summary["workflow"], summary["pipeline"], summary["state"]) == (
        "broken",
        "deploy",
        "Error",
    )


def test_runs_refuses_an_unknown_status(url, capsys):
    code, _, err = xene(capsys, url, "runs", "--status", "done")
    assert code == 2
    assert "no such state" in err
    assert "Success" in err


def test_runs_on_an_empty_store_says_so(capsys):
    code, out, _ = xene(capsys, "memory://", "runs")
    assert code == 0
    assert "no runs yet" in out


def test_a_store_url_of_unknown_form_exits_2(capsys):
    code, _, err = xene(capsys, "mysql://db", "runs")
    assert code == 2
    assert "cannot open mysql://db" in err


def test_a_store_that_cannot_be_opened_exits_1(tmp_path, capsys):
    (tmp_path / "plain-file").write_text("")
    code, _, err = xene(capsys, f"sqlite:///{tmp_path}/plain-file/x.db", "runs")
    assert code == 1
    assert "cannot open sqlite:///" in err


# -- xene show ---------------------------------------------------------------------------


def test_show_prints_tasks_steps_states_and_outputs(url, tmp_path, capsys):
    run_id = seed(capsys, url, tmp_path, CI)
    code, out, _ = xene(capsys, url, "show", run_id)
    assert code == 0
    assert f"run {run_id}  shop/ci  ✓ Success" in out
    assert "✓ lint  Success" in out
    assert "✓ step unit  Success" in out
    assert "exit 0" in out
    assert 'output: {"coverage": "91"}' in out


def test_show_prints_the_error_of_a_failed_task(url, tmp_path, capsys):
    run_id = seed(capsys, url, tmp_path, FAILING)
    _, out, _ = xene(capsys, url, "show", run_id)
    assert "✗ push  Error" in out
    assert "✗ step upload  Error" in out
    assert "exit 3" in out


def test_show_groups_split_items_under_their_split(url, tmp_path, capsys):
    run_id = seed(capsys, url, tmp_path, SPLIT, {"items": ["a", "b"]}, name="prices.flow.yaml")
    _, out, _ = xene(capsys, url, "show", run_id)
    tree = out[out.index("✓ items") :]
    assert tree.index("item 0") < tree.index("✓ price") < tree.index("item 1")
    assert "price[items=0]" not in out


def test_show_json_is_the_record_with_its_source(url, tmp_path, capsys):
    run_id = seed(capsys, url, tmp_path, CI)
    _, out, _ = xene(capsys, url, "show", run_id, "--json")
    data = json.loads(out)
    assert data["id"] == run_id
    assert data["state"] == "Success"
    assert [n["key"] for n in data["nodes"]] == ["lint", "test"]
    assert data["source"] == {
        "path": str(tmp_path / "w.yaml"),
        "format": "manifest",
        "workflow": "shop",
        "pipeline": "ci",
    }


def test_show_an_unknown_run_exits_2(url, capsys):
    code, out, err = xene(capsys, url, "show", "01nosuchrun")
    assert code == 2
    assert out == ""
    assert "no run '01nosuchrun'" in err


def test_show_finds_a_run_by_a_unique_prefix(url, tmp_path, capsys):
    run_id = seed(capsys, url, tmp_path, CI)
    code, out, _ = xene(capsys, url, "show", run_id[:10])
    assert code == 0
    assert f"run {run_id}" in out


def test_show_refuses_an_ambiguous_prefix(url, tmp_path, capsys):
    first, second = seed(capsys, url, tmp_path, CI), seed(capsys, url, tmp_path, CI)
    common = next(i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)
    code, _, err = xene(capsys, url, "show", first[:common])
    assert code == 2
    assert "starts several run ids" in err


# -- xene logs ---------------------------------------------------------------------------


def test_logs_prints_each_step_under_a_header_in_run_order(url, tmp_path, capsys):
    run_id = seed(capsys, url, tmp_path, CI)
    code, out, _ = xene(capsys, url, "logs", run_id)
    assert code == 0
    assert out.splitlines() == [
        f"== shop/ci run {run_id} task lint step ruff ==",
        "lint-ok",
        f"== shop/ci run {run_id} task test step unit ==",
        "unit-ok",
        f"== shop/ci run {run_id} task test step report ==",
        "report-ok",
    ]


def test_logs_of_a_flow_name_nodes_and_follow_split_items(url, tmp_path, capsys):
    run_id = seed(capsys, url, tmp_path, SPLIT, {"items": ["a", "b"]}, name="prices.flow.yaml")
    _, out, _ = xene(capsys, url, "logs", run_id)
    assert out.splitlines() == [
        f"== prices/prices run {run_id} node price[items=0] ==",
        "price a",
        f"== prices/prices run {run_id} node price[items=1] ==",
        "price b",
    ]


def test_logs_filters_by_task_and_step(url, tmp_path, capsys):
    run_id = seed(capsys, url, tmp_path, CI)
    _, out, _ = xene(capsys, url, "logs", run_id, "--task", "test", "--step", "report")
    assert out.splitlines() == [f"== shop/ci run {run_id} task test step report ==", "report-ok"]


def test_logs_of_an_unknown_task_exits_2_naming_the_tasks(url, tmp_path, capsys):
    run_id = seed(capsys, url, tmp_path, CI)
    code, _, err = xene(capsys, url, "logs", run_id, "--task", "deploy")
    assert code == 2
    assert "no task 'deploy'" in err
    assert "lint, test" in err


def test_logs_follow_prints_chunks_as_committed_until_the_run_ends(url, capsys, monkeypatch):
    run_id = asyncio.run(_running_run(url))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # meanwhile, the run goes on and ends
        waits.append(seconds)
        await _commit(url, run_id, ("two", "three"), ended=len(waits) == 2)

    monkeypatch.setattr(logs, "sleep", sleep)
    code, out, err = xene(capsys, url, "logs", run_id, "--follow")
    assert code == 0
    assert out.splitlines() == [f"work/say │ {line}" for line in ("one", *("two", "three") * 2)]
    assert waits == [0.5, 0.5]
    assert "ended: Success" in err


async def _running_run(url: str) -> str:
    source = RunSource("", "", "manifest", "wf", "p")
    now = time.time()
    new = NewRun("01followedrun", "wf", "p", None, source, now, "test:1", now + 60)
    store = await open_store(url)
    try:
        await store.create_run(new)
    finally:
        await store.close()
    await _commit(url, new.id, ("one",), ended=False)
    return new.id


async def _commit(url: str, run_id: str, lines: tuple[str, ...], *, ended: bool) -> None:
    now = time.time()
    state = State.SUCCESS if ended else State.RUNNING
    run = RunRecord(run_id, "wf", "p", state=state, started_at=now, ended_at=now if ended else None)
    node = NodeRecord("work", "work", "task", state=state, steps=[StepRecord("say", state)])
    batch = Batch(
        run=rows.run_row(run),
        nodes=[rows.node_row(node)],
        steps=[rows.step_row("work", 0, node.steps[0])],
        logs=[LogChunk(run_id, "work", "say", now, lines)],
    )
    store = await open_store(url)
    try:
        await store.commit(run_id, batch)
    finally:
        await store.close()


# -- xene gc -----------------------------------------------------------------------------


def test_gc_deletes_finished_runs_older_than_the_age(url, tmp_path, capsys, monkeypatch):
    seed(capsys, url, tmp_path, CI)
    monkeypatch.setattr(gc, "now", lambda: time.time() + 2 * 86400)
    code, out, _ = xene(capsys, url, "gc", "--older-than", "1d", "--yes")
    assert code == 0
    assert "deleted 1 run " in out
    assert xene(capsys, url, "runs", "--json")[1].strip() == "[]"


def test_gc_keeps_runs_younger_than_the_age(url, tmp_path, capsys):
    run_id = seed(capsys, url, tmp_path, CI)
    code, out, _ = xene(capsys, url, "gc", "--older-than", "30d")
    assert code == 0
    assert "nothing to delete: no finished run ended before " in out
    assert run_id in xene(capsys, url, "runs")[1]


def test_gc_keeps_suspended_runs_however_old(url, tmp_path, capsys, monkeypatch):
    run_id = seed(capsys, url, tmp_path, WAIT, name="refunds.flow.yaml")
    monkeypatch.setattr(gc, "now", lambda: time.time() + 90 * 86400)
    xene(capsys, url, "gc", "--older-than", "30d", "--yes")
    assert run_id in xene(capsys, url, "runs")[1]


def test_gc_dry_run_lists_what_would_go_and_deletes_nothing(url, tmp_path, capsys, monkeypatch):
    run_id = seed(capsys, url, tmp_path, CI)
    monkeypatch.setattr(gc, "now", lambda: time.time() + 3600)
    _, out, _ = xene(capsys, url, "gc", "--older-than", "30m", "--dry-run")
    assert run_id in out
    assert "would delete 1 run " in out
    assert run_id in xene(capsys, url, "runs")[1]


def test_gc_refuses_an_age_that_is_not_a_duration(url, capsys):
    code, _, err = xene(capsys, url, "gc", "--older-than", "a month")
    assert code == 2
    assert "not a duration" in err


@pytest.mark.parametrize("age", ["30", "1.5"])
def test_gc_refuses_an_age_without_a_unit_naming_the_units(url, capsys, age):
    code, _, err = xene(capsys, url, "gc", "--older-than", age, "--yes")
    assert code == 2
    assert f"--older-than {age}: give a unit: d (days), h (hours), m (minutes), s (seconds)" in err


def test_gc_off_a_terminal_without_yes_refuses_and_deletes_nothing(
    url, tmp_path, capsys, monkeypatch
):
    run_id = seed(capsys, url, tmp_path, CI)
    monkeypatch.setattr(gc, "now", lambda: time.time() + 2 * 86400)
    code, _, err = xene(capsys, url, "gc", "--older-than", "1d")
    assert code == 2
    assert "gc would delete 1 run that ended before " in err
    assert "pass --yes to delete them" in err
    assert run_id in xene(capsys, url, "runs")[1]


@pytest.mark.slow
@pytest.mark.parametrize(("answer", "kept"), [("y", False), ("n", True)])
def test_gc_on_a_terminal_says_how_many_runs_would_go_and_asks(url, tmp_path, capsys, answer, kept):
    from tests.integration.cli_helpers import Terminal

    run_id = seed(capsys, url, tmp_path, CI)
    terminal = Terminal("gc", "--older-than", "1ms", "--store", url)
    try:
        terminal.expect("delete 1 run that ended before ")
        terminal.expect("? [y/N] ")
        terminal.send(f"{answer}\n")
        code = terminal.finish()
    finally:
        terminal.close()
    assert code == (1 if kept else 0)
    assert (run_id in xene(capsys, url, "runs")[1]) is kept


# -- xene approvals ----------------------------------------------------------------------


def test_approvals_lists_what_waits_and_how_to_decide(url, tmp_path, capsys):
    run_id = seed(capsys, url, tmp_path, WAIT, name="refunds.flow.yaml")
    code, out, _ = xene(capsys, url, "approvals")
    assert code == 0
    (row,) = [line for line in out.splitlines() if run_id in line]
    hook = row.split()[0]
    assert "review" in row
    assert "then reject" in row
    assert "amount=120" in row
    assert f"xene approve {hook} [--reject | --escalate]" in out


def test_approvals_all_shows_decided_ones_with_their_decision(url, tmp_path, capsys):
    seed(capsys, url, tmp_path, WAIT, name="refunds.flow.yaml")
    asyncio.run(_decide_all(url))
    assert "nothing waits" in xene(capsys, url, "approvals")[1]
    _, out, _ = xene(capsys, url, "approvals", "--all")
    assert "DECISION" in out
    assert "escalate at" in out
    assert "too risky" in out


def test_suspensions_the_older_name_of_approvals_still_works_unlisted(url, tmp_path, capsys):
    seed(capsys, url, tmp_path, WAIT, name="refunds.flow.yaml")
    assert xene(capsys, url, "suspensions") == xene(capsys, url, "approvals")
    assert xene(capsys, url, "suspensions", "--all")[1] == xene(capsys, url, "approvals", "-a")[1]
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    assert "approvals" in listed
    assert "suspensions" not in listed


async def _decide_all(url: str) -> None:
    store = await open_store(url)
    try:
        for waiting in await store.list_approvals():
            await store.decide(waiting.hook_id, "escalate", None, "too risky", time.time())
    finally:
        await store.close()


@pytest.mark.parametrize("command", ["runs", "show", "logs", "gc", "approvals"])
def test_every_history_command_explains_itself_and_its_store_option(command, capsys):
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert "Exit codes:" in out
    assert "Examples:" in out
    assert "--store URL" in out


def test_show_sums_up_split_items_past_the_first_few(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flow = tmp_path / "many.yaml"
    flow.write_text(
        "name: many\nnodes:\n"
        "  split: {type: std::split, config: {field: items}}\n"
        "  work: {type: std::log, config: {message: 'item ${split.item}'}}\n"
        "edges:\n  - {from: split, to: work}\n"
    )
    url = f"sqlite:///{tmp_path}/x.db"
    items = json.dumps({"items": list(range(12))})
    assert main(["run", str(flow), "--store", url, "--input", items, "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["id"]
    assert main(["show", run_id, "--store", url]) == 0
    out = capsys.readouterr().out
    assert "item 4" in out
    assert "item 5" not in out
    assert "… and more items: 7 Success (--all shows them)" in out
    assert main(["show", run_id, "--store", url, "--all"]) == 0
    assert "item 11" in capsys.readouterr().out
