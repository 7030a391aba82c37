"""The Python API builds the same IR as a hand-written definition, and refuses bad graphs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import xene
from xene import errors, ir
from xene.spec.python_api import load_python_file

EXAMPLES = Path(__file__).parents[3] / "examples"


def _loc(fn: Callable[..., Any]) -> ir.Location:
    return ir.Location(file=fn.__code__.co_filename, line=fn.__code__.co_firstlineno)


def _node(fn: Callable[..., Any], **fields: Any) -> ir.Node:
    step = ir.Step(
        name=fn.__name__,
        kind="python",
        call=f"{fn.__module__}:{fn.__qualname__}",
        fn=fn,
        loc=_loc(fn),
    )
    return ir.Node(id=fn.__name__, type=ir.TASK, join="all", steps=(step,), loc=_loc(fn), **fields)


def _noop(name: str) -> xene.Task[..., Any]:
    def fn() -> None:
        return None

    return xene.task(name=name)(fn)


@pytest.fixture
def clean_modules(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Forget the workflow files a test imports (not the libraries they pull in)."""
    before = set(sys.modules)
    yield
    roots = (EXAMPLES.resolve(), tmp_path_factory.getbasetemp().resolve())
    for name in set(sys.modules) - before:
        file = getattr(sys.modules[name], "__file__", None) or ""
        if any(Path(file).is_relative_to(root) for root in roots):
            del sys.modules[name]


def test_decorated_pipeline_compiles_to_the_hand_built_ir() -> None:
    def extract() -> list[int]:
        return [1, 2, 3]

    def transform(data: list[int]) -> list[int]:
        return [x * 2 for x in data]

    def load(transform: list[int]) -> None:
        return None

    e = xene.task(extract)
    t = xene.task(retries=2, timeout="30s", needs=[e])(transform)
    ld = xene.task(load).needs(t)
    built = xene.Pipeline("etl", [e, t, ld], description="demo").compile()

    expected = ir.Pipeline(
        name="etl",
        nodes=(
            _node(extract),
            _node(transform, retry=ir.RetryPolicy(max_attempts=3), timeout_s=30.0),
            _node(load),
        ),
        edges=(
            ir.Edge(source="extract", target="transform", loc=_loc(transform)),
            ir.Edge(source="transform", target="load", loc=_loc(load)),
        ),
        description="demo",
        loc=built.loc,
    )
    assert built == expected


def test_bare_decorator_and_empty_call_build_the_same_node() -> None:
    def work() -> None:
        return None

    assert xene.task(work).node() == xene.task()(work).node()


def test_task_name_overrides_the_function_name() -> None:
    @xene.task(name="fetch")
    def extract() -> None:
        return None

    assert extract.node().id == "fetch"


def test_description_defaults_to_the_docstring_first_line() -> None:
    @xene.task
    def extract() -> None:
        """Read the numbers.

        More detail here.
        """

    assert extract.node().description == "Read the numbers."


def test_calling_a_task_calls_the_function() -> None:
    @xene.task
    def add(a: int, b: int) -> int:
        return a + b

    assert add(2, 3) == 5


def test_chained_shift_makes_a_chain() -> None:
    a, b, c = _noop("a"), _noop("b"), _noop("c")
    a >> b >> c
    assert (b.dependencies, c.dependencies) == (("a",), ("b",))


def test_list_on_the_left_of_shift_fans_in() -> None:
    a, b, c = _noop("a"), _noop("b"), _noop("c")
    [a, b] >> c
    assert c.dependencies == ("a", "b")


def test_list_on_the_right_of_shift_fans_out() -> None:
    a, b, c = _noop("a"), _noop("b"), _noop("c")
    a >> [b, c]
    assert (b.dependencies, c.dependencies) == (("a",), ("a",))


def test_needs_accepts_task_names() -> None:
    a = _noop("a")
    b = xene.task(name="b", needs=["a"])(lambda: None)
    edges = xene.Pipeline("p", [a, b]).compile().edges
    assert [(e.source, e.target) for e in edges] == [("a", "b")]


def test_needs_takes_a_single_task_without_a_list() -> None:
    a = _noop("a")
    assert xene.task(needs=a)(lambda: None).dependencies == ("a",)


def test_a_repeated_dependency_is_declared_once() -> None:
    a, b = _noop("a"), _noop("b")
    a >> b
    b.needs(a, "a")
    assert b.dependencies == ("a",)


def test_a_retry_policy_option_is_used_as_is() -> None:
    policy = ir.RetryPolicy(max_attempts=5, initial_delay_ms=10, jitter=False)
    assert xene.task(retry=policy)(lambda: None).node().retry is policy


@pytest.mark.parametrize(("timeout", "seconds"), [("1h30m", 5400.0), (45, 45.0), ("500ms", 0.5)])
def test_timeout_becomes_seconds(timeout: str | float, seconds: float) -> None:
    assert xene.task(timeout=timeout)(lambda: None).node().timeout_s == seconds


def test_a_bad_timeout_is_refused_when_decorating() -> None:
    with pytest.raises(errors.InvalidDefinition, match="timeout"):
        xene.task(timeout="soon")(lambda: None)


def test_negative_retries_are_refused() -> None:
    with pytest.raises(errors.InvalidDefinition, match="retries=-1"):
        xene.task(retries=-1)(lambda: None)


def test_an_unknown_option_is_refused_by_name() -> None:
    with pytest.raises(errors.InvalidDefinition, match="retires"):
        xene.task(retires=2)(lambda: None)  # type: ignore[call-overload]


def test_duplicate_task_names_are_refused() -> None:
    with pytest.raises(errors.InvalidDefinition, match="two tasks named 'a'"):
        xene.Pipeline("p", [_noop("a"), _noop("a")]).compile()


def test_an_unknown_dependency_is_refused_naming_both_tasks() -> None:
    a, b = _noop("a"), _noop("b")
    a >> b
    with pytest.raises(errors.InvalidDefinition, match="task 'b' needs 'a', which is not in"):
        xene.Pipeline("p", [b]).compile()


def test_a_cycle_is_refused_with_its_path() -> None:
    a, b = _noop("a"), _noop("b")
    a >> b >> a
    with pytest.raises(errors.InvalidDefinition, match="a -> b -> a"):
        xene.Pipeline("p", [a, b]).compile()


def test_a_problem_is_located_at_the_function_definition() -> None:
    def orphan() -> None:
        return None

    task = xene.task(needs=["missing"])(orphan)
    with pytest.raises(errors.InvalidDefinition) as caught:
        xene.Pipeline("p", [task]).compile()
    assert caught.value.problems[0].loc == _loc(orphan)


def test_an_empty_pipeline_is_refused() -> None:
    with pytest.raises(errors.InvalidDefinition, match="has no tasks"):
        xene.Pipeline("p").compile()


def test_a_plain_function_in_a_pipeline_is_refused() -> None:
    with pytest.raises(errors.InvalidDefinition, match=r"@xene\.task"):
        xene.Pipeline("p", [print])  # type: ignore[list-item]


def test_adding_the_same_task_twice_keeps_one_node() -> None:
    a = _noop("a")
    assert len(xene.Pipeline("p", [a]).add(a).compile().nodes) == 1


def test_a_workflow_compiles_in_the_python_format() -> None:
    workflow = xene.Workflow("w", [xene.Pipeline("p", [_noop("a")])]).compile()
    assert (workflow.format, [p.name for p in workflow.pipelines]) == ("python", ["p"])


def test_a_workflow_refuses_two_pipelines_of_one_name() -> None:
    pipelines = [xene.Pipeline("p", [_noop("a")]), xene.Pipeline("p", [_noop("b")])]
    with pytest.raises(errors.InvalidDefinition, match="two pipelines named 'p'"):
        xene.Workflow("w", pipelines).compile()


def test_a_workflow_refuses_a_trigger_it_does_not_declare() -> None:
    pipeline = xene.Pipeline("p", [_noop("a")], triggers=["nightly"])
    with pytest.raises(errors.InvalidDefinition, match="trigger 'nightly'"):
        xene.Workflow("w", [pipeline]).compile()


@pytest.mark.usefixtures("clean_modules")
def test_load_python_file_compiles_the_example_workflow() -> None:
    workflow = load_python_file(EXAMPLES / "etl.py")
    edges = [(e.source, e.target) for e in workflow.pipeline("etl").edges]
    assert edges == [
        ("extract", "doubled"),
        ("extract", "squared"),
        ("doubled", "combine"),
        ("squared", "combine"),
        ("combine", "load"),
    ]


@pytest.mark.usefixtures("clean_modules")
def test_loaded_steps_keep_their_functions() -> None:
    workflow = load_python_file(EXAMPLES / "etl.py")
    combine = workflow.pipeline("etl").node("combine").steps[0].fn
    assert combine(doubled=[2], squared=[1]) == [{"doubled": 2, "squared": 1}]


@pytest.mark.usefixtures("clean_modules")
def test_loaded_workflow_records_its_source_file() -> None:
    path = str(EXAMPLES / "etl.py")
    assert load_python_file(path).source == path


@pytest.mark.usefixtures("clean_modules")
def test_loose_pipelines_are_gathered_under_the_file_name(tmp_path: Path) -> None:
    (tmp_path / "nightly_jobs.py").write_text(
        "import xene\n"
        "@xene.task\n"
        "def a(): pass\n"
        "first = xene.Pipeline('first', [a])\n"
        "second = xene.Pipeline('second', [a])\n"
    )
    workflow = load_python_file(tmp_path / "nightly_jobs.py")
    assert (workflow.name, [p.name for p in workflow.pipelines]) == (
        "nightly_jobs",
        ["first", "second"],
    )


@pytest.mark.usefixtures("clean_modules")
def test_a_workflow_file_may_import_its_neighbours(tmp_path: Path) -> None:
    (tmp_path / "xene_test_helpers.py").write_text("def answer():\n    return 42\n")
    (tmp_path / "flow_with_helper.py").write_text(
        "import xene\n"
        "from xene_test_helpers import answer\n"
        "task = xene.task(answer)\n"
        "workflow = xene.Workflow('w', [xene.Pipeline('p', [task])])\n"
    )
    workflow = load_python_file(tmp_path / "flow_with_helper.py")
    assert workflow.pipeline("p").node("answer").steps[0].fn() == 42


@pytest.mark.usefixtures("clean_modules")
def test_a_file_without_pipelines_says_what_to_define(tmp_path: Path) -> None:
    (tmp_path / "empty_flow.py").write_text("x = 1\n")
    with pytest.raises(errors.InvalidDefinition, match=r"define `workflow = xene.Workflow"):
        load_python_file(tmp_path / "empty_flow.py")


@pytest.mark.usefixtures("clean_modules")
def test_a_syntax_error_is_located(tmp_path: Path) -> None:
    (tmp_path / "broken_flow.py").write_text("x = 1\ndef (:\n")
    with pytest.raises(errors.InvalidDefinition, match=r"broken_flow.py:2: invalid Python"):
        load_python_file(tmp_path / "broken_flow.py")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(errors.InvalidDefinition, match="no such file"):
        load_python_file(tmp_path / "nowhere.py")


def test_the_public_api_is_pinned() -> None:
    assert sorted(xene.__all__) == [
        "ContainerConfig",
        "Engine",
        "EngineOptions",
        "Pipeline",
        "RetryPolicy",
        "ShellTask",
        "Task",
        "Trigger",
        "Workflow",
        "load_python_file",
        "run",
        "shell",
        "task",
    ]


def test_importing_xene_loads_no_yaml_rich_or_httpx() -> None:
    code = "import sys, xene; print(sorted({'yaml', 'rich', 'httpx'} & set(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    )
    assert result.stdout.strip() == "[]"
