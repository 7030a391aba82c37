"""Agent labels in every format: what a pipeline needs of the agent that runs it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from xene import ir, labels
from xene.errors import InvalidDefinition
from xene.spec import python_api
from xene.spec.export import to_yaml
from xene.spec.load import load_text

from .conftest import Errors

Load = Callable[..., ir.Workflow]

MANIFEST = """
kind: Workflow
metadata: {name: wf}
spec:
  pipelines:
    train:
      agent: {labels: [os=linux, gpu, gpu]}
      tasks:
        t: {steps: [{name: s, cmd: 'true'}]}
"""
FLOW = """
name: wf
version: "1.0"
settings: {agent_labels: [gpu]}
nodes:
  a: {type: "std::log", config: {message: hi}}
"""


def test_a_manifest_pipeline_names_its_agent_labels(load: Load) -> None:
    assert load(MANIFEST).pipeline("train").agent_labels == ("gpu", "os=linux")


def test_a_pipeline_without_labels_needs_none(load: Load) -> None:
    assert (
        load(MANIFEST.replace("      agent: {labels: [os=linux, gpu, gpu]}\n", ""))
        .pipeline("train")
        .agent_labels
        == ()
    )


def test_a_flow_names_them_in_its_settings(load: Load) -> None:
    assert load(FLOW, "f.flow.yaml").pipelines[0].agent_labels == ("gpu",)


def test_a_bad_label_is_refused_where_it_is(errors: Errors) -> None:
    problems = errors(MANIFEST.replace("[os=linux, gpu, gpu]", "[gpu, 'has space']"))
    assert problems == [
        "wf.yaml:6: spec.pipelines.train.agent.labels[1]: label 'has space' is not usable: "
        + labels.RULE
    ]


def test_agent_takes_labels_only(errors: Errors) -> None:
    (problem,) = errors(MANIFEST.replace("{labels:", "{lables:"))
    assert 'unknown key "lables" in agent' in problem


def test_the_python_api_takes_them_too() -> None:
    @python_api.task
    def t() -> None:
        return None

    pipeline = python_api.Pipeline("p", [t], agent_labels=["gpu", "arm"])
    assert pipeline.compile().agent_labels == ("arm", "gpu")
    bad = python_api.Pipeline("p", [t], agent_labels=["a b"])
    with pytest.raises(InvalidDefinition, match="label 'a b' is not usable"):
        bad.compile()


def test_labels_export_and_load_again(load: Load) -> None:
    exported = to_yaml(load(MANIFEST))
    assert "      agent:\n        labels:\n        - gpu\n        - os=linux\n" in exported
    again = load_text(exported, "again.yaml")
    assert again.pipeline("train").agent_labels == ("gpu", "os=linux")
