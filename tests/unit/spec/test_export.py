"""Any workflow's IR exports to the plain dict (and YAML) a Xene manifest holds."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

import xene
from xene import ir
from xene.spec.export import to_manifest, to_yaml
from xene.spec.load import load_file, load_text

from .conftest import without_locations

ROOT = Path(__file__).resolve().parents[3]


def _workflow(*pipelines: ir.Pipeline, triggers: tuple[ir.Trigger, ...] = ()) -> ir.Workflow:
    return ir.Workflow(name="demo", pipelines=pipelines, triggers=triggers)


def _pipeline(*nodes: ir.Node, edges: tuple[ir.Edge, ...] = (), **fields: Any) -> ir.Pipeline:
    return ir.Pipeline(name="p", nodes=nodes, edges=edges, **fields)


def _shell(node_id: str, **fields: Any) -> ir.Node:
    step = ir.Step(name="run", cmd=f"echo {node_id}")
    return ir.Node(id=node_id, type=ir.TASK, steps=(step,), join="all", **fields)


def _tasks(workflow: ir.Workflow) -> dict[str, Any]:
    tasks: dict[str, Any] = to_manifest(workflow)["spec"]["pipelines"]["p"]["tasks"]
    return tasks


def extract() -> list[int]:
    return [1, 2]


def transform(extract: list[int]) -> list[int]:
    return extract


def test_a_python_workflow_exports_to_the_manifest_dict() -> None:
    e = xene.task(extract)
    t = xene.task(retries=2, timeout="30s", needs=[e])(transform)
    workflow = xene.Workflow("etl-demo", [xene.Pipeline("etl", [e, t])], description="d")
    assert to_manifest(workflow.compile()) == {
        "kind": "Workflow",
        "apiVersion": "v1alpha1",
        "metadata": {"name": "etl-demo", "description": "d"},
        "spec": {
            "triggers": {"manual": {"type": "manual"}},
            "pipelines": {
                "etl": {
                    "trigger": "manual",
                    "tasks": {
                        "extract": {
                            "steps": [{"name": "extract", "type": "python", "call": _call(extract)}]
                        },
                        "transform": {
                            "dependencies": ["extract"],
                            "retry": {"max_attempts": 3},
                            "timeout": 30,
                            "steps": [
                                {"name": "transform", "type": "python", "call": _call(transform)}
                            ],
                        },
                    },
                }
            },
        },
    }


def _call(fn: Any) -> str:
    return f"{__name__}:{fn.__qualname__}"


def test_declared_triggers_are_kept_without_a_manual_one() -> None:
    cron = ir.Trigger(name="nightly", type="cron", params={"cronConfig": "0 3 * * *"})
    workflow = _workflow(_pipeline(_shell("a"), triggers=("nightly",)), triggers=(cron,))
    assert to_manifest(workflow)["spec"]["triggers"] == {
        "nightly": {"type": "cron", "cronConfig": "0 3 * * *"}
    }


def test_the_manual_trigger_avoids_a_taken_name() -> None:
    taken = ir.Trigger(name="manual", type="webhook")
    workflow = _workflow(_pipeline(_shell("a")), triggers=(taken,))
    pipeline = to_manifest(workflow)["spec"]["pipelines"]["p"]
    assert pipeline["trigger"] == "manual-2"


def test_a_disabled_trigger_says_so() -> None:
    hook = ir.Trigger(name="hook", type="webhook", enabled=False)
    workflow = _workflow(_pipeline(_shell("a"), triggers=("hook",)), triggers=(hook,))
    assert to_manifest(workflow)["spec"]["triggers"]["hook"] == {
        "type": "webhook",
        "enabled": False,
    }


def test_a_shell_step_exports_its_command() -> None:
    tasks = _tasks(_workflow(_pipeline(_shell("a"))))
    assert tasks["a"] == {"steps": [{"name": "run", "type": "shell", "cmd": "echo a"}]}


def test_retry_writes_only_the_fields_that_differ_from_the_defaults() -> None:
    retry = ir.RetryPolicy(max_attempts=4, initial_delay_ms=50, jitter=False)
    tasks = _tasks(_workflow(_pipeline(_shell("a", retry=retry))))
    assert tasks["a"]["retry"] == {"max_attempts": 4, "initial_delay_ms": 50, "jitter": False}


def test_a_fractional_timeout_stays_fractional() -> None:
    tasks = _tasks(_workflow(_pipeline(_shell("a", timeout_s=1.5))))
    assert tasks["a"]["timeout"] == 1.5


def test_task_settings_use_manifest_keys() -> None:
    node = _shell("a", description="build", working_dir="/src", env={"A": "1"}, enabled=False)
    assert _tasks(_workflow(_pipeline(node)))["a"] == {
        "description": "build",
        "workingDir": "/src",
        "env": {"A": "1"},
        "enabled": False,
        "steps": [{"name": "run", "type": "shell", "cmd": "echo a"}],
    }


def test_a_std_node_exports_its_type_and_config() -> None:
    node = ir.Node(id="check", type="std::switch", config={"expression": "${x} > 1"})
    assert _tasks(_workflow(_pipeline(node)))["check"] == {
        "type": "std::switch",
        "config": {"expression": "${x} > 1"},
    }


def test_a_dependency_with_a_port_and_condition_is_a_mapping() -> None:
    edge = ir.Edge(source="check", target="a", port="true", condition="${ok}", loop_back=True)
    switch = ir.Node(id="check", type="std::switch")
    tasks = _tasks(_workflow(_pipeline(switch, _shell("a"), edges=(edge,))))
    assert tasks["a"]["dependencies"] == [
        {"task": "check", "port": "true", "if": "${ok}", "loop_back": True}
    ]


def test_pipeline_settings_use_manifest_keys() -> None:
    pipeline = _pipeline(
        _shell("a"),
        description="nightly build",
        executor=ir.Executor(type="container", container=ir.ContainerConfig("golang")),
        env={"GOFLAGS": "-mod=mod"},
    )
    exported = to_manifest(_workflow(pipeline))["spec"]["pipelines"]["p"]
    assert {k: exported[k] for k in ("description", "executor", "envs")} == {
        "description": "nightly build",
        "executor": {"type": "container", "containerConfig": {"image": "golang"}},
        "envs": {"GOFLAGS": "-mod=mod"},
    }


def test_read_only_mappings_export_as_plain_dicts() -> None:
    node = ir.Node(id="m", type="std::map", config=MappingProxyType({"pairs": ({"a": 1},)}))
    assert _tasks(_workflow(_pipeline(node)))["m"]["config"] == {"pairs": [{"a": 1}]}


def test_yaml_reads_back_as_the_manifest() -> None:
    workflow = _workflow(_pipeline(_shell("a"), _shell("b"), edges=(ir.Edge("a", "b"),)))
    assert yaml.safe_load(to_yaml(workflow)) == to_manifest(workflow)


def test_yaml_keeps_the_manifest_key_order() -> None:
    text = to_yaml(_workflow(_pipeline(_shell("a"))))
    assert text.splitlines()[:2] == ["kind: Workflow", "apiVersion: v1alpha1"]


def test_a_manifest_cron_trigger_exports_as_it_was_written_and_loads_again() -> None:
    exported = to_yaml(load_file(ROOT / "examples" / "container.yaml"))
    assert "cron: " not in exported.replace("cronConfig: ", "")
    assert load_text(exported, "again.yaml").triggers[0].params["cron"] == "*/5 * * * *"


FULL_CONTAINER = """
kind: Workflow
metadata: {name: go}
spec:
  triggers: {by-hand: {type: manual}}
  pipelines:
    build:
      trigger: by-hand
      executor:
        type: container
        containerConfig:
          image: golang:1.22
          pull: never
          cpus: 1.5
          memory: 512m
          pids: 64
          network: none
          user: "1000:1000"
          volumes: [/srv/cache:/cache:ro, gomod:/go/pkg]
          workdir: /src
      tasks:
        vet:
          env: {A: "1"}
          steps: [{name: vet, cmd: go vet ./..., env: {B: "2"}}]
        web:
          image: node:20
          dependencies: [vet]
          steps: [{name: test, cmd: npm test}]
"""


def test_a_container_pipeline_round_trips_every_option_and_task_image() -> None:
    workflow = load_text(FULL_CONTAINER, "go.yaml")
    exported = to_manifest(workflow)["spec"]["pipelines"]["build"]
    assert exported["executor"] == {
        "type": "container",
        "containerConfig": {
            "image": "docker.io/library/golang:1.22",
            "pull": "never",
            "cpus": 1.5,
            "memory": "512m",
            "pids": 64,
            "network": "none",
            "user": "1000:1000",
            "volumes": ["/srv/cache:/cache:ro", "gomod:/go/pkg"],
            "workdir": "/src",
        },
    }
    assert exported["tasks"]["web"]["image"] == "docker.io/library/node:20"
    again = load_text(to_yaml(workflow), "again.yaml")
    assert without_locations(again.pipelines) == without_locations(workflow.pipelines)


def test_whole_cpus_export_as_a_whole_number() -> None:
    config = ir.ContainerConfig("docker.io/library/golang:latest", cpus=2.0)
    pipeline = _pipeline(_shell("a"), executor=ir.Executor("container", config))
    exported = to_manifest(_workflow(pipeline))["spec"]["pipelines"]["p"]["executor"]
    assert exported["containerConfig"] == {"image": "docker.io/library/golang:latest", "cpus": 2}
