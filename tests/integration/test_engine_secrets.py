"""Secrets in runs: resolved once at the start, given only to what names them, and
masked in every log line, output, error and record, on real subprocesses."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping

from tests.conftest import FakeClock, Recorder
from xene.engine.engine import Engine
from xene.engine.options import EngineOptions
from xene.ir import TASK, Edge, Node, Pipeline, SecretRef, Step

TOKEN = "tok-9f8e7d6c5b4a"


def engine_with(
    clock: FakeClock, recorder: Recorder, secrets: Mapping[str, str] | None = None, **more: object
) -> Engine:
    options = EngineOptions(
        clock=clock,
        listeners=(recorder,),
        grace_s=1.0,
        secrets=secrets or {},
        **more,  # type: ignore[arg-type]
    )
    return Engine(options)


def task(name: str, *cmds: str, secrets: tuple[str, ...] = ()) -> Node:
    steps = tuple(Step(f"s{i}", cmd=cmd) for i, cmd in enumerate(cmds))
    refs = tuple(SecretRef(s) for s in secrets)
    return Node(name, TASK, steps=steps, join="all", secrets=refs)


def lines(recorder: Recorder) -> list[str]:
    return [line for _, _, line in recorder.lines]


async def test_a_task_gets_the_secrets_it_names_as_environment_variables_masked_in_its_log(
    clock: FakeClock, recorder: Recorder
) -> None:
    engine = engine_with(clock, recorder, {"TOKEN": TOKEN})
    p = Pipeline(
        "p", (task("t", 'echo "token is $TOKEN"; echo "${#TOKEN} chars"', secrets=("TOKEN",)),)
    )
    run = await engine.run(p)
    assert run.succeeded
    assert lines(recorder) == ["token is ***", f"{len(TOKEN)} chars"]


async def test_a_task_that_names_no_secret_gets_none(clock: FakeClock, recorder: Recorder) -> None:
    engine = engine_with(clock, recorder, {"TOKEN": TOKEN})
    p = Pipeline(
        "p",
        (task("named", "true", secrets=("TOKEN",)), task("other", 'echo "[${TOKEN:-unset}]"')),
    )
    await engine.run(p)
    assert lines(recorder) == ["[unset]"]


async def test_a_value_written_in_two_pieces_is_masked_in_the_line_they_make(
    clock: FakeClock, recorder: Recorder
) -> None:
    engine = engine_with(clock, recorder, {"TOKEN": TOKEN})
    # Two writes with a pause between: the reader gets them as two chunks of one line.
    cmd = 'printf %s "${TOKEN%????????}"; sleep 0.2; printf "%s end\\n" "${TOKEN#????????}"'
    await engine.run(Pipeline("p", (task("t", cmd, secrets=("TOKEN",)),)))
    assert lines(recorder) == ["*** end"]


async def test_a_python_step_writing_a_value_in_pieces_is_masked(
    clock: FakeClock, recorder: Recorder
) -> None:
    def chatty(data: object) -> None:
        sys.stdout.write(TOKEN[:5])
        sys.stdout.write(TOKEN[5:] + " written\n")

    engine = engine_with(clock, recorder, {"TOKEN": TOKEN})
    node = Node("t", TASK, steps=(Step("py", "python", fn=chatty),), secrets=(SecretRef("TOKEN"),))
    await engine.run(Pipeline("p", (node,)))
    assert lines(recorder) == ["*** written"]


async def test_outputs_holding_a_value_are_masked_for_records_and_successors(
    clock: FakeClock, recorder: Recorder
) -> None:
    engine = engine_with(clock, recorder, {"TOKEN": TOKEN})
    p = Pipeline(
        "p",
        (
            task("leak", 'echo "token=$TOKEN" >> $XENE_OUTPUT', secrets=("TOKEN",)),
            task("next", 'echo "got $XENE_INPUT"'),
        ),
        edges=(Edge("leak", "next"),),
    )
    run = await engine.run(p)
    assert run.nodes["leak"].output == {"token": "***"}
    assert lines(recorder) == ['got {"token": "***"}']
    assert TOKEN not in json.dumps(run.to_dict())


async def test_errors_holding_a_value_are_masked_in_the_run_record(
    clock: FakeClock, recorder: Recorder
) -> None:
    def fail(data: object) -> None:
        raise RuntimeError(f"refused {TOKEN}")

    engine = engine_with(clock, recorder, {"TOKEN": TOKEN})
    node = Node("t", TASK, steps=(Step("py", "python", fn=fail),), secrets=(SecretRef("TOKEN"),))
    run = await engine.run(Pipeline("p", (node,)))
    error = run.nodes["t"].error or ""
    assert error.splitlines()[0] == "RuntimeError: refused ***"  # then the user's frames
    assert TOKEN not in error
    assert run.nodes["t"].steps[0].error == "refused ***"
    assert (run.error or "").splitlines()[0] == "t: RuntimeError: refused ***"


async def test_a_flow_selector_resolves_to_the_value_and_its_log_is_masked(
    clock: FakeClock, recorder: Recorder
) -> None:
    engine = engine_with(clock, recorder, {"TOKEN": TOKEN})
    log = Node(
        "log",
        "std::log",
        config={"message": "auth ${secrets.TOKEN}"},
        secrets=(SecretRef("TOKEN"),),
    )
    shell = Node(
        "sh",
        "std::shell",
        config={"command": 'echo "${#T}"', "env": {"T": "${secrets.TOKEN}"}},
        secrets=(SecretRef("TOKEN"),),
    )
    run = await engine.run(Pipeline("p", (log, shell)))
    assert run.succeeded, run.error
    assert "auth ***" in lines(recorder)
    assert str(len(TOKEN)) in lines(recorder)


async def test_secrets_come_from_the_source_once_for_the_names_the_pipeline_needs(
    clock: FakeClock, recorder: Recorder
) -> None:
    asked: list[list[str]] = []

    async def source(names: object) -> Mapping[str, str]:
        asked.append(sorted(names))  # type: ignore[call-overload]
        return {"A": "value-a", "B": "value-b"}

    engine = engine_with(clock, recorder, secret_source=source)
    p = Pipeline(
        "p", (task("x", 'echo "$A"', secrets=("A",)), task("y", 'echo "$B"', secrets=("A", "B")))
    )
    run = await engine.run(p)
    assert run.succeeded
    assert asked == [["A", "B"]]
    assert sorted(lines(recorder)) == ["***", "***"]


async def test_an_unknown_secret_ends_the_run_in_error_before_anything_runs(
    clock: FakeClock, recorder: Recorder
) -> None:
    engine = engine_with(clock, recorder)
    run = await engine.run(Pipeline("p", (task("t", "echo ran", secrets=("NOPE",)),)))
    assert str(run.state) == "Error"
    assert run.error is not None
    assert run.error.startswith('cannot start: unknown secret "NOPE"')
    assert lines(recorder) == []
