"""OpenState state machines, with on_enter pipelines defined in the same file."""

from __future__ import annotations

from collections.abc import Callable

from xene import ir

from .conftest import Errors

Load = Callable[..., ir.Workflow]

LIGHT = """
name: light
attributes: {author: me}
state_machine:
  initial_state: green
  events:
    - {name: slow, destination: yellow, sources: [green]}
    - {name: stop, destination: red, sources: [yellow]}
    - {name: go, destination: green, sources: [red]}
on_enter:
  red: halt
pipelines:
  halt:
    tasks:
      barrier:
        steps: [{name: down, cmd: echo down}]
"""


def test_machine_is_read(load: Load) -> None:
    (machine,) = load(LIGHT).state_machines
    assert (machine.name, machine.initial_state, machine.states) == (
        "light",
        "green",
        ("green", "yellow", "red"),
    )


def test_events_are_read_in_order(load: Load) -> None:
    (machine,) = load(LIGHT).state_machines
    assert machine.events[0] == ir.FsmEvent("slow", "yellow", ("green",))


def test_on_enter_names_a_pipeline_of_the_same_file(load: Load) -> None:
    workflow = load(LIGHT)
    assert (dict(workflow.state_machines[0].on_enter), workflow.pipelines[0].name) == (
        {"red": "halt"},
        "halt",
    )


def test_workflow_format_is_fsm(load: Load) -> None:
    assert load(LIGHT).format == "fsm"


def test_openstate_metadata_block_is_accepted(load: Load) -> None:
    text = LIGHT.replace("name: light\nattributes: {author: me}", "metadata: {name: light}")
    assert load(text).state_machines[0].name == "light"


def test_initial_state_is_required(errors: Errors) -> None:
    assert errors(LIGHT.replace("  initial_state: green\n", "")) == [
        'wf.yaml:3: state_machine.initial_state: "initial_state" is required here'
    ]


def test_event_names_are_unique(errors: Errors) -> None:
    assert errors(LIGHT.replace("name: go", "name: slow")) == [
        'wf.yaml:8: state_machine.events[2].name: duplicate event name "slow"; each event name '
        "may appear once (list every source state in its sources)"
    ]


def test_event_sources_must_not_be_empty(errors: Errors) -> None:
    assert errors(LIGHT.replace("sources: [red]", "sources: []")) == [
        'wf.yaml:8: state_machine.events[2].sources: event "go" needs at least one source '
        "state it may fire from, as in sources: [green]"
    ]


def test_on_enter_must_name_an_existing_pipeline(errors: Errors) -> None:
    assert errors(LIGHT.replace("red: halt", "red: hlat")) == [
        'wf.yaml:10: on_enter.red: unknown pipeline "hlat" for state "red"; pipelines in this '
        "file: halt"
    ]


def test_on_enter_must_name_a_known_state(errors: Errors) -> None:
    assert errors(LIGHT.replace("red: halt", "blue: halt")) == [
        'wf.yaml:10: on_enter.blue: unknown state "blue"; states: green, yellow, red'
    ]


def test_pipelines_in_an_fsm_file_are_checked_like_a_manifests(errors: Errors) -> None:
    assert errors(LIGHT.replace("cmd: echo down", "cmd: echo down, dependencies: [x]")) == [
        "wf.yaml:15: pipelines.halt.tasks.barrier.steps[0].dependencies: unknown key "
        '"dependencies" in a step (known keys: args, call, cmd, description, env, name, '
        "timeout, type)"
    ]
