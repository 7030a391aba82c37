"""`xene fsm`: state machines and their instances kept in a SQLite store, in process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from xene.cli import fsm as fsm_cli
from xene.cli.fsm_defs import definition, machine
from xene.cli.main import main
from xene.spec.load import load_file
from xene.store import open_store
from xene.store.base import MachineInstance

LIGHT = """\
name: light
state_machine:
  initial_state: green
  events:
    - {name: slow, destination: yellow, sources: [green]}
    - {name: stop, destination: red, sources: [yellow]}
    - {name: go, destination: green, sources: [red]}
on_enter:
  red: hold
pipelines:
  hold:
    tasks:
      wait: {steps: [{name: barrier, type: shell, cmd: "echo down"}]}
"""

MANIFEST = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: plain}
spec:
  pipelines:
    p: {tasks: {t: {steps: [{name: s, type: shell, cmd: "true"}]}}}
"""


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/x.db"


@pytest.fixture
def light(tmp_path: Path) -> str:
    return write(tmp_path, "light.fsm.yaml", LIGHT)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def fsm(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str, str]:
    code = main(["fsm", *argv, "--store", url])
    out, err = capsys.readouterr()
    return code, out, err


def started(capsys: pytest.CaptureFixture[str], url: str, light: str) -> str:
    """Define the light machine and start an instance; its id."""
    fsm(capsys, url, "define", light)
    return fsm(capsys, url, "run", "light")[1].strip()


def test_define_stores_the_machines_and_list_shows_them(url, light, capsys):
    code, out, _ = fsm(capsys, url, "define", light)
    assert code == 0
    assert "defined light: starts in green" in out
    _, listed, _ = fsm(capsys, url, "list")
    (row,) = listed.splitlines()[1:]
    assert row.split()[:2] == ["light", "green"]
    assert "green, yellow, red" in row


def test_defining_a_name_twice_is_refused(url, light, capsys):
    fsm(capsys, url, "define", light)
    code, _, err = fsm(capsys, url, "define", light)
    assert code == 1
    assert "'light' is defined already" in err


def test_define_of_a_file_without_state_machines_exits_2(url, tmp_path, capsys):
    code, _, err = fsm(capsys, url, "define", write(tmp_path, "w.yaml", MANIFEST))
    assert code == 2
    assert "defines no state machine" in err


def test_define_of_a_missing_file_exits_2(url, tmp_path, capsys):
    code, _, err = fsm(capsys, url, "define", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "no such file" in err


def test_run_prints_a_new_instance_in_the_initial_state(url, light, capsys):
    instance = started(capsys, url, light)
    _, out, _ = fsm(capsys, url, "ps", "light")
    (row,) = out.splitlines()[1:]
    assert row.split()[:2] == [instance, "green"]


def test_run_of_an_unknown_machine_exits_2_naming_the_defined_ones(url, light, capsys):
    fsm(capsys, url, "define", light)
    code, _, err = fsm(capsys, url, "run", "lights")
    assert code == 2
    assert "no state machine named 'lights'; defined: light" in err


def test_ps_lists_instances_of_exactly_that_name(url, light, tmp_path, capsys):
    longer = write(tmp_path, "light2.fsm.yaml", LIGHT.replace("name: light", "name: light-2"))
    fsm(capsys, url, "define", longer)
    other = fsm(capsys, url, "run", "light-2")[1].strip()
    mine = started(capsys, url, light)
    _, out, _ = fsm(capsys, url, "ps", "light")
    assert mine in out
    assert other not in out


def test_event_moves_the_instance_and_prints_the_transition(url, light, capsys):
    instance = started(capsys, url, light)
    code, out, _ = fsm(capsys, url, "event", instance, "slow")
    assert code == 0
    assert out.strip() == "green -> yellow"
    assert "yellow" in fsm(capsys, url, "ps", "light")[1]


def test_a_refused_event_changes_nothing_and_names_the_available_ones(url, light, capsys):
    instance = started(capsys, url, light)
    code, out, err = fsm(capsys, url, "event", instance, "stop")
    assert code == 1
    assert out == ""
    assert "not allowed in state 'green'" in err
    assert "available now: slow" in err
    assert fsm(capsys, url, "ps", "light")[1].splitlines()[1].split()[1] == "green"


def test_entering_a_state_with_on_enter_runs_its_pipeline_as_a_kept_run(url, light, capsys):
    instance = started(capsys, url, light)
    fsm(capsys, url, "event", instance, "slow")
    code, out, _ = fsm(capsys, url, "event", instance, "stop")
    assert code == 0
    assert out.splitlines()[0] == "yellow -> red"
    assert "wait/barrier │ down" in out
    assert main(["runs", "--store", url]) == 0
    assert "light/hold" in capsys.readouterr().out


def test_show_prints_state_available_events_and_history(url, light, capsys):
    instance = started(capsys, url, light)
    fsm(capsys, url, "event", instance, "slow")
    fsm(capsys, url, "event", instance, "stop")
    code, out, _ = fsm(capsys, url, "show", instance)
    assert code == 0
    assert "state: red" in out
    assert "available events: go" in out
    history = [line.split()[2:] for line in out.splitlines() if "->" in line]
    assert history == [["slow", "green", "->", "yellow"], ["stop", "yellow", "->", "red"]]


def test_an_unknown_instance_exits_2(url, capsys):
    for action in (["show", "nope"], ["event", "nope", "go"]):
        code, _, err = fsm(capsys, url, *action)
        assert code == 2
        assert "no state machine instance 'nope'" in err


def test_an_event_is_judged_in_the_stored_state(url, light, capsys):
    instance = started(capsys, url, light)
    asyncio.run(_move(url, instance))  # another process moved it: green -> yellow
    code, _, err = fsm(capsys, url, "event", instance, "slow")
    assert code == 1
    assert "not allowed in state 'yellow'" in err


def test_an_event_that_loses_the_race_to_another_changes_nothing(url, light, capsys, monkeypatch):
    instance = started(capsys, url, light)
    stale = asyncio.run(_get(url, instance))  # read in green ...
    asyncio.run(_move(url, instance))  # ... while another process moves it to yellow

    async def read_stale(store: object, instance_id: str) -> MachineInstance:
        return stale

    monkeypatch.setattr(fsm_cli, "_instance", read_stale)
    code, out, err = fsm(capsys, url, "event", instance, "slow")
    assert code == 1
    assert out == ""
    assert "moved meanwhile" in err
    history = asyncio.run(_get(url, instance)).history
    assert [h[:3] for h in history] == [("slow", "green", "yellow")]


async def _get(url: str, instance: str) -> MachineInstance:
    store = await open_store(url)
    try:
        found = await store.get_instance(instance)
    finally:
        await store.close()
    assert found is not None
    return found


async def _move(url: str, instance: str) -> None:
    store = await open_store(url)
    try:
        assert await store.move_instance(instance, "slow", "green", "yellow", 1.0)
    finally:
        await store.close()


def test_a_stored_definition_rebuilds_the_same_machine(light):
    workflow = load_file(light)
    (original,) = workflow.state_machines
    rebuilt = machine(definition(original, workflow))
    assert (rebuilt.name, rebuilt.initial_state, rebuilt.events) == (
        original.name,
        original.initial_state,
        original.events,
    )
    assert dict(rebuilt.on_enter) == {"red": "hold"}


def test_a_stored_definition_keeps_its_source_text_for_on_enter_pipelines(light):
    workflow = load_file(light)
    data = definition(workflow.state_machines[0], workflow)
    assert "hold" in data["source_text"]


@pytest.mark.parametrize("action", ["define", "list", "run", "ps", "event", "show"])
def test_every_fsm_action_has_help_with_the_store_option(action, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["fsm", action, "--help"])
    assert exited.value.code == 0
    assert "--store URL" in capsys.readouterr().out
