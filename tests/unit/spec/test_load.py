"""`load_file`/`load_text`: format detection, every problem at once, examples and fixtures."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from xene.errors import InvalidDefinition
from xene.spec.load import load_file, load_text

from .conftest import Errors, without_locations

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".yaml", ".json", ".py"))
VALID = sorted((ROOT / "tests" / "fixtures" / "valid").iterdir())
INVALID = ROOT / "tests" / "fixtures" / "invalid"

FIRST_PROBLEM = {
    "bad-breaker.flow.yaml": "6: settings.circuit_breaker_threshold: circuit_breaker_threshold "
    "is the fraction of recent runs that may fail before the pipeline pauses: a number above 0 "
    "and at most 1 (0.5: half of the last 10 runs), got a number (5)",
    "bad-cron.yaml": "8: spec.triggers.nightly.cronConfig: cron schedule '0 25 * * *' is not valid",
    "bad-on-enter.fsm.yaml": '8: on_enter.opened: unknown pipeline "ring-bell" for state "opened"',
    "boolean-dependency.yaml": "11: spec.pipelines.build.tasks.after.dependencies[0]: `on` was "
    "read as a boolean; quote it: 'on'",
    "cycle.yaml": "12: spec.pipelines.main.tasks.b.dependencies[0]: cycle: a -> b -> c -> a;",
    "duplicate-keys.yaml": '10: spec.pipelines.main.tasks.build: duplicate key "build"',
    "input-port-typo.flow.yaml": '7: edges[0].to: node "second" has no input port "inptu"; '
    'did you mean "in"? a node has one input, "in": write to: second',
    "malformed.json": "4: invalid JSON: Expecting property name enclosed in double quotes",
    "malformed.yaml": "6: invalid YAML: did not find expected node content",
    "many-problems.yaml": '2: apiVersion: apiVersion "v2" is not supported',
    "python-tag.yaml": "11: spec.pipelines.main.tasks.run.steps[0].cmd: the YAML tag "
    "!!python/object/apply:os.system is not allowed",
    "queue-trigger.flow.yaml": '5: triggers[0].type: trigger type "queue" is not supported '
    "yet; supported: webhook, cron, filesystem, manual",
    "secret-under-params.yaml": "9: spec.triggers.push.params: a manifest trigger has no "
    '"params": write secret at the trigger\'s top level, beside type ({type: webhook, '
    "secret: ...})",
    "trigger-params-typo.flow.yaml": '8: triggers[0].params.secert: unknown key "secert" in '
    'params of webhook trigger "hook"; did you mean "secret"? (known keys: host, method, path, '
    "port, secret, secret_env, signature, token, token_env)",
    "unknown-dependency.yaml": "17: spec.pipelines.build.tasks.test.dependencies[0]: unknown task "
    '"lnt" (pipeline "build", task "test"); known tasks: lint, setup',
    "unknown-format.yaml": "1: the file has none of the keys kind, nodes or state_machine",
    "unknown-port.flow.yaml": '11: edges[0]: node "check" (std::switch) has no port "maybe"',
    "unknown-selector.flow.yaml": '6: nodes.first.config.message: selector "${frist...}" names '
    'unknown node or root "frist"; did you mean "first"?',
    "wrong-kind.yaml": '1: kind: kind "Deployment" is not supported',
}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_loads(path: Path) -> None:
    assert load_file(path).pipelines or load_file(path).state_machines


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_every_original_format_fixture_loads(path: Path) -> None:
    assert load_file(path).name


@pytest.mark.parametrize("name", sorted(FIRST_PROBLEM))
def test_every_invalid_fixture_reports_its_problem_at_its_line(name: str) -> None:
    path = INVALID / name
    with pytest.raises(InvalidDefinition) as caught:
        load_file(path)
    assert str(caught.value.problems[0]).startswith(f"{path}:{FIRST_PROBLEM[name]}")


def test_every_invalid_fixture_has_an_expected_problem() -> None:
    assert sorted(p.name for p in INVALID.iterdir()) == sorted(FIRST_PROBLEM)


def test_json_and_yaml_of_one_manifest_compile_to_the_same_ir() -> None:
    from_yaml = load_file(ROOT / "examples" / "ci.yaml")
    from_json = dataclasses.replace(
        load_file(ROOT / "examples" / "ci.json"), source=from_yaml.source
    )
    assert without_locations(from_json) == without_locations(from_yaml)


def test_all_problems_are_reported_at_once_sorted_by_line() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        load_file(INVALID / "many-problems.yaml")
    assert [p.loc.line for p in caught.value.problems] == [2, 4, 7, 10, 13, 15, 16]


def test_a_kind_key_means_a_manifest(errors: Errors) -> None:
    assert (
        errors("kind: Job\n")[0] == 'wf.yaml:1: kind: kind "Job" is not supported: a Xene '
        "manifest has kind: Workflow"
    )


def test_a_file_of_none_of_the_formats_names_all_three(errors: Errors) -> None:
    assert errors("steps: []\n") == [
        "wf.yaml:1: the file has none of the keys kind, nodes or state_machine: write a Xene "
        "manifest (kind: Workflow), a flow (nodes: ...) or a state machine (state_machine: ...)"
    ]


def test_an_empty_file_is_reported(errors: Errors) -> None:
    assert errors("# nothing\n")[0].startswith(
        "wf.yaml:1: the file is empty: write a Xene manifest"
    )


def test_a_top_level_list_is_reported(errors: Errors) -> None:
    assert errors("- a\n")[0].startswith("wf.yaml:1: the file is not a definition: write")


def test_python_text_cannot_be_loaded_from_text() -> None:
    with pytest.raises(InvalidDefinition, match="a Python workflow loads from its file"):
        load_text("import xene\n", "wf.py")


def test_python_files_go_to_the_python_api(tmp_path: Path) -> None:
    path = tmp_path / "flow.py"
    path.write_text(
        "import xene\n\n@xene.task\ndef hello():\n    return 1\n\n"
        "pipeline = xene.Pipeline('hello', [hello])\n"
    )
    assert load_file(path).format == "python"


def test_loading_a_plain_manifest_imports_neither_croniter_nor_the_node_registry() -> None:
    script = (
        "import sys\nfrom xene.spec.load import load_file\n"
        f"load_file({str(ROOT / 'examples' / 'ci.yaml')!r})\n"
        "print(sorted(m for m in ('croniter', 'xene.nodes.registry') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
