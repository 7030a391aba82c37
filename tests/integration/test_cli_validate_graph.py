"""`xene validate` and `xene graph`, in process, on the examples and the fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.cli_helpers import (
    EXAMPLES,
    FIXTURES,
    forgetting_imported_workflows,
    run_main,
    write,
)

VALID = sorted((FIXTURES / "valid").iterdir())
INVALID = FIXTURES / "invalid"
ORDERS = EXAMPLES / "orders.flow.yaml"
ORDER_NODES = [
    "receive",
    "split_items",
    "quantity",
    "price_item",
    "line_total",
    "order_total",
    "check_total",
    "large_order",
    "small_order",
    "join_branches",
    "confirm",
    "send_confirmation",
    "finished",
]

# Each invalid fixture: where its first problem is, and what it says.
PROBLEMS = {
    "bad-breaker.flow.yaml": "6: settings.circuit_breaker_threshold: circuit_breaker_threshold "
    "is the fraction of recent runs that may fail before the pipeline pauses",
    "bad-cron.yaml": "8: spec.triggers.nightly.cronConfig: cron schedule '0 25 * * *' is not valid",
    "boolean-dependency.yaml": "11: spec.pipelines.build.tasks.after.dependencies[0]: `on` was "
    "read as a boolean; quote it: 'on'",
    "bad-on-enter.fsm.yaml": '8: on_enter.opened: unknown pipeline "ring-bell"',
    "cycle.yaml": "12: spec.pipelines.main.tasks.b.dependencies[0]: cycle: a -> b -> c -> a",
    "duplicate-keys.yaml": '10: spec.pipelines.main.tasks.build: duplicate key "build" '
    "(first on line 8)",
    "input-port-typo.flow.yaml": '7: edges[0].to: node "second" has no input port "inptu"; '
    'did you mean "in"?',
    "malformed.json": "4: invalid JSON",
    "malformed.yaml": "6: invalid YAML",
    "many-problems.yaml": '2: apiVersion: apiVersion "v2" is not supported',
    "python-tag.yaml": "11: spec.pipelines.main.tasks.run.steps[0].cmd: "
    "the YAML tag !!python/object/apply:os.system is not allowed",
    "queue-trigger.flow.yaml": '5: triggers[0].type: trigger type "queue" is not supported '
    "yet; supported: webhook, cron, filesystem, manual",
    "secret-under-params.yaml": "9: spec.triggers.push.params: a manifest trigger has no "
    '"params": write secret at the trigger\'s top level',
    "trigger-params-typo.flow.yaml": '8: triggers[0].params.secert: unknown key "secert" in '
    'params of webhook trigger "hook"; did you mean "secret"?',
    "unknown-dependency.yaml": "17: spec.pipelines.build.tasks.test.dependencies[0]: "
    'unknown task "lnt"',
    "unknown-format.yaml": "1: the file has none of the keys kind, nodes or state_machine",
    "unknown-port.flow.yaml": '11: edges[0]: node "check" (std::switch) has no port "maybe"',
    "unknown-selector.flow.yaml": 'nodes.first.config.message: selector "${frist...}" '
    'names unknown node or root "frist"; did you mean "first"?',
    "wrong-kind.yaml": '1: kind: kind "Deployment" is not supported',
}

SIDE_EFFECT = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: toucher}
spec:
  pipelines:
    main:
      tasks:
        touch: {steps: [{name: touch, type: shell, cmd: "touch '{marker}'"}]}
"""


def problem_lines(err: str, path: Path) -> list[str]:
    """The problems reported for `path`; asserts each is located and the count closes them."""
    lines = err.splitlines()
    *problems, count = lines
    assert re.fullmatch(rf"{re.escape(str(path))}: {len(problems)} problems?", count), err
    for line in problems:
        assert re.match(rf"{re.escape(str(path))}:\d+: \S", line), line
    return problems


# -- validate ----------------------------------------------------------------------------


def test_validate_prints_ok_for_each_valid_file(capsys: pytest.CaptureFixture[str]) -> None:
    files = [*VALID, *sorted(EXAMPLES.iterdir())]
    with forgetting_imported_workflows(EXAMPLES):
        result = run_main(capsys, "validate", *files)
    assert result.code == 0, result.err
    assert [line.split(":")[0] for line in result.lines] == [f"ok  {f}" for f in files]
    assert result.err == ""  # the container executor runs now: no warning


def test_container_example_validates_without_a_container_engine(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_main(capsys, "validate", EXAMPLES / "container.yaml")
    assert result.code == 0, result.err
    assert "manifest 'go-in-a-container', 1 pipeline(s), 3 node(s), 1 trigger(s)" in result.out


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_validate_reports_an_invalid_fixture_with_located_problems(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = INVALID / name
    result = run_main(capsys, "validate", path)
    assert result.code == 2
    assert result.out == ""
    problems = problem_lines(result.err, path)
    assert PROBLEMS[name] in problems[0]


def test_validate_reports_every_problem_of_a_file_at_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = INVALID / "many-problems.yaml"
    result = run_main(capsys, "validate", path)
    assert result.code == 2
    keys = [line.split(": ")[1] for line in problem_lines(result.err, path)]
    assert keys == [
        "apiVersion",
        "metadata.name",
        "spec.triggers.push.type",
        "spec.pipelines.main.trigger",
        "spec.pipelines.main.tasks.build.dependecies",
        "spec.pipelines.main.tasks.build.steps[0].type",
        "spec.pipelines.main.tasks.build.timeout",
    ]


def test_validate_reports_each_of_several_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cycle, wrong_kind = INVALID / "cycle.yaml", INVALID / "wrong-kind.yaml"
    missing = tmp_path / "missing.yaml"
    files = [EXAMPLES / "ci.yaml", cycle, missing, wrong_kind, ORDERS]
    result = run_main(capsys, "validate", *files)
    assert result.code == 2
    assert [line.split(":")[0] for line in result.lines] == [
        f"ok  {EXAMPLES / 'ci.yaml'}",
        f"ok  {ORDERS}",
    ]
    assert f"{cycle}:12: " in result.err
    assert f"{missing}: no such file" in result.err
    assert f"{wrong_kind}:1: " in result.err


def test_validate_runs_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    marker = tmp_path / "side-effect"
    manifest = write(tmp_path, "toucher.yaml", SIDE_EFFECT.replace("{marker}", str(marker)))
    result = run_main(capsys, "validate", manifest)
    assert result.code == 0, result.err
    assert not marker.exists()


# -- graph -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format_", "expected"),
    [
        (
            "text",
            [
                "receive (std::map) <- api_webhook, nightly_batch",
                "order_total (std::aggregate) <- split_items.done",
                "large_order (std::log) <- check_total.true",
                "small_order (std::log) <- check_total.false",
                "confirm (std::loop) <- join_branches, send_confirmation [loop back]",
                "send_confirmation (std::log) <- confirm.continue",
                "finished (std::log) <- confirm.exit",
            ],
        ),
        (
            "mermaid",
            [
                "flowchart TD",
                'receive["receive (std::map)"]',
                'split_items -->|"done"| order_total',
                'check_total -->|"true"| large_order',
                'check_total -->|"false"| small_order',
                'confirm -->|"continue"| send_confirmation',
                "send_confirmation -.-> confirm",
                'confirm -->|"exit"| finished',
            ],
        ),
        (
            "dot",
            [
                'digraph "order_processing" {',
                '"receive" [label="receive (std::map)"];',
                '"split_items" -> "order_total" [label="done"];',
                '"check_total" -> "large_order" [label="true"];',
                '"check_total" -> "small_order" [label="false"];',
                '"confirm" -> "send_confirmation" [label="continue"];',
                '"send_confirmation" -> "confirm" [style=dashed];',
                '"confirm" -> "finished" [label="exit"];',
            ],
        ),
    ],
    ids=["text", "mermaid", "dot"],
)
def test_graph_draws_every_node_and_the_port_of_each_edge(
    capsys: pytest.CaptureFixture[str], format_: str, expected: list[str]
) -> None:
    result = run_main(capsys, "graph", ORDERS, "--format", format_)
    assert result.code == 0, result.err
    lines = [line.strip() for line in result.lines]
    missing = [line for line in expected if line not in lines]
    assert missing == [], result.out
    assert all(f"{node} (std::" in result.out for node in ORDER_NODES), result.out


def test_graph_of_an_invalid_file_exits_2_with_its_problems(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = INVALID / "unknown-port.flow.yaml"
    result = run_main(capsys, "graph", path)
    assert result.code == 2
    assert result.out == ""
    assert PROBLEMS[path.name] in problem_lines(result.err, path)[0]


def test_graph_of_an_unknown_pipeline_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(capsys, "graph", ORDERS, "--pipeline", "nope")
    assert result.code == 2
    assert "no pipeline 'nope'" in result.err
