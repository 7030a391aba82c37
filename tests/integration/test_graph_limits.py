"""A static fan-out of 1 -> 1000 -> 1 loads and runs; past the graph limits, `xene run`
refuses the file with a located error that says how to raise them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_main
from xene.engine.engine import Engine
from xene.spec import limits
from xene.spec.load import load_file

WIDTH = 1000


def fanout_file(directory: Path, width: int = WIDTH) -> Path:
    """A flow file: `start` -> `n0`..`n{width-1}` -> `join` (a wait_all merge)."""
    nodes = {"start": {"type": "std::json_dynamic", "config": {"operation": "passthrough"}}}
    for i in range(width):
        nodes[f"n{i}"] = {"type": "std::map", "config": {"mappings": [{"from": "id", "to": "id"}]}}
    nodes["join"] = {"type": "std::merge", "config": {"strategy": "wait_all"}}
    edges = [{"from": "start", "to": f"n{i}"} for i in range(width)]
    edges += [{"from": f"n{i}", "to": "join"} for i in range(width)]
    document = {"name": "wide", "version": "1.0", "nodes": nodes, "edges": edges}
    path = directory / "wide.json"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _default_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(limits.NODES_ENV, raising=False)
    monkeypatch.delenv(limits.EDGES_ENV, raising=False)


async def test_a_fan_out_of_1_1000_1_loads_and_runs(tmp_path: Path, engine: Engine) -> None:
    (pipeline,) = load_file(fanout_file(tmp_path)).pipelines
    run = await engine.run(pipeline, {"id": 7})
    assert run.succeeded, run.error
    assert len(run.nodes["join"].output) == WIDTH


def test_xene_run_refuses_a_fan_out_past_the_limit_where_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(limits.NODES_ENV, "500")
    path = fanout_file(tmp_path)
    result = run_main(capsys, "run", path, "--store", "memory://", "--quiet")
    assert result.code == 2
    assert f"{path}:1: " in result.err
    assert "has 1002 nodes and 2000 edges; the limits are 500 nodes" in result.err
