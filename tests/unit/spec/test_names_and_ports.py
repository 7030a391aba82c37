"""Edge input ports, and YAML 1.1 booleans (`on`, `yes`, `off`) where a name is meant."""

from __future__ import annotations

from collections.abc import Callable

from xene import ir

from .conftest import Errors

Load = Callable[..., ir.Workflow]

NODES = """
name: f
triggers: [{id: hook, type: webhook}]
nodes:
  a: {type: std::log, config: {message: a}}
  m: {type: std::merge}
edges:
"""


def edges(*lines: str) -> str:
    """`NODES` with these edges (the first on line 7)."""
    return NODES + "".join(f"  - {line}\n" for line in lines)


# -- input ports ---------------------------------------------------------------------------
def test_a_typo_in_an_input_port_is_refused_with_a_hint(errors: Errors) -> None:
    assert errors(edges("{from: hook, to: a.inptu}")) == [
        'wf.yaml:7: edges[0].to: node "a" has no input port "inptu"; did you mean "in"? a '
        'node has one input, "in": write to: a'
    ]


def test_a_merge_input_port_names_its_numbered_inputs(errors: Errors) -> None:
    assert errors(edges("{from: a, to: m.input}")) == [
        'wf.yaml:7: edges[0].to: node "m" has no input port "input"; did you mean "in"? a node '
        'has one input, "in" (a std::merge also takes in_0, in_1, ...): write to: m'
    ]


def test_in_and_a_merges_numbered_inputs_are_input_ports(load: Load) -> None:
    workflow = load(edges("{from: hook, to: a.in}", "{from: a, to: m.in_0}"))
    pipeline = workflow.pipelines[0]
    assert [(e.source, e.target) for e in (*pipeline.entry_edges, *pipeline.edges)] == [
        ("hook", "a"),
        ("a", "m"),
    ]


def test_a_numbered_input_is_a_merges_only(errors: Errors) -> None:
    assert errors(edges("{from: hook, to: a.in_1}")) == [
        'wf.yaml:7: edges[0].to: node "a" has no input port "in_1"; did you mean "in"? a node '
        'has one input, "in": write to: a'
    ]


# -- booleans in name positions ------------------------------------------------------------
MANIFEST = """
kind: Workflow
apiVersion: v1alpha1
metadata: {name: ci}
spec:
  triggers:
    on: {type: manual}
  pipelines:
    build:
      trigger: TRIGGER
      tasks:
        on: {steps: [{name: s, cmd: "true"}]}
        test: {dependencies: [DEPENDENCY], steps: [{name: s, cmd: "true"}]}
"""


def manifest(trigger: str = "'on'", dependency: str = "'on'") -> str:
    return MANIFEST.replace("TRIGGER", trigger).replace("DEPENDENCY", dependency)


def test_quoted_on_names_a_task_and_a_trigger(load: Load) -> None:
    pipeline = load(manifest()).pipelines[0]
    assert (pipeline.triggers, [(e.source, e.target) for e in pipeline.edges]) == (
        ("on",),
        [("on", "test")],
    )


def test_an_unquoted_on_in_dependencies_is_told_to_be_quoted(errors: Errors) -> None:
    assert errors(manifest(dependency="on")) == [
        "wf.yaml:12: spec.pipelines.build.tasks.test.dependencies[0]: `on` was read as a "
        "boolean; quote it: 'on'"
    ]


def test_an_unquoted_on_as_the_pipeline_trigger_is_told_to_be_quoted(errors: Errors) -> None:
    assert errors(manifest(trigger="on")) == [
        "wf.yaml:9: spec.pipelines.build.trigger: `on` was read as a boolean; quote it: 'on'"
    ]


def test_yes_no_and_off_are_caught_as_well(errors: Errors) -> None:
    text = NODES.replace("id: hook", "id: off") + "  - {from: off, to: a}\n  - {from: a, to: yes}\n"
    assert errors(text) == [
        "wf.yaml:2: triggers[0].id: `off` was read as a boolean; quote it: 'off'",
        "wf.yaml:7: edges[0].from: `off` was read as a boolean; quote it: 'off'",
        "wf.yaml:8: edges[1].to: `yes` was read as a boolean; quote it: 'yes'",
    ]


def test_a_key_named_on_stays_a_name(load: Load) -> None:
    text = NODES.replace("  a: {type", "  on: {type") + "  - {from: hook, to: 'on'}\n"
    assert [n.id for n in load(text).pipelines[0].nodes] == ["on", "m"]


def test_a_boolean_in_json_is_not_told_to_be_quoted(errors: Errors) -> None:
    text = (
        '{"kind": "Workflow", "apiVersion": "v1alpha1", "metadata": {"name": "ci"},\n'
        ' "spec": {"pipelines": {"b": {"tasks": {"t": {"dependencies": [true],\n'
        '  "steps": [{"name": "s", "cmd": "true"}]}}}}}}\n'
    )
    assert errors(text, "wf.json") == [
        "wf.json:2: spec.pipelines.b.tasks.t.dependencies[0]: expected a task name, got a "
        "boolean (true)"
    ]
