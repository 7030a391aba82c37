"""The container executor's options and a task's own image, as a manifest writes them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from xene import ir
from xene.spec import containers

from .conftest import Errors

Load = Callable[..., ir.Workflow]

HEAD = "kind: Workflow\nmetadata: {name: wf}\nspec:\n  pipelines:\n    p:\n"
TASKS = "      tasks:\n        t:\n          steps: [{name: s, cmd: 'true'}]\n"
WHERE = "spec.pipelines.p.executor.containerConfig"


def _manifest(config: str, tasks: str = TASKS) -> str:
    """A pipeline `p` whose executor's containerConfig is `config` (flow-style YAML)."""
    return HEAD + f"      executor: {{type: container, containerConfig: {config}}}\n" + tasks


def _config(load: Load, config: str) -> ir.ContainerConfig:
    found = load(_manifest(config)).pipeline("p").executor.container
    assert found is not None
    return found


def test_every_option_is_read(load: Load) -> None:
    config = _config(
        load,
        "{image: 'golang:1.22', pull: always, cpus: 1.5, memory: 512m, pids: 128, "
        "network: none, user: '1000:1000', volumes: ['/srv/cache:/cache:ro', 'gomod:/go/pkg'], "
        "workdir: /src/}",
    )
    assert config == ir.ContainerConfig(
        image="docker.io/library/golang:1.22",
        pull="always",
        cpus=1.5,
        memory="512m",
        pids=128,
        network="none",
        user="1000:1000",
        volumes=("/srv/cache:/cache:ro", "gomod:/go/pkg"),
        workdir="/src",
    )


def test_the_defaults_are_those_of_the_record(load: Load) -> None:
    assert _config(load, "{image: golang}") == ir.ContainerConfig("docker.io/library/golang:latest")


def test_whole_numbers_are_read_as_written(load: Load) -> None:
    config = _config(load, "{image: golang, cpus: 2, memory: 67108864, user: 1000}")
    assert (config.cpus, config.memory, config.user) == (2.0, "67108864", "1000")


def test_the_original_manifest_loads_with_its_image_normalised(load: Load) -> None:
    from pathlib import Path

    from xene.spec.load import load_file

    root = Path(__file__).resolve().parents[3]
    workflow = load_file(root / "tests" / "fixtures" / "valid" / "xene-original-manifest.json")
    assert workflow.pipelines[0].executor.image == "docker.io/library/golang:latest"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            "{image: golang, pul: always}",
            f'{WHERE}.pul: unknown key "pul" in containerConfig; did you mean "pull"? '
            "(known keys: cpus, image, memory, network, pids, pull, user, volumes, workdir)",
        ),
        (
            "{image: golang, pull: sometimes}",
            f'{WHERE}.pull: unknown pull policy "sometimes"; use one of: if-not-present, '
            "always, never",
        ),
        (
            "{image: golang, cpus: 0}",
            f"{WHERE}.cpus: cpus is a number above 0, such as 0.5 or 2; got a number (0)",
        ),
        (
            "{image: golang, cpus: '2'}",
            f'{WHERE}.cpus: cpus is a number above 0, such as 0.5 or 2; got text ("2")',
        ),
        (
            "{image: golang, memory: lots}",
            f"{WHERE}.memory: 'lots' is not a memory size; write bytes (1048576) or a number "
            'with a unit, such as "512k", "256m" or "1g" (units: b, k, m, g, t; 1k = 1024 bytes)',
        ),
        (
            "{image: golang, memory: 1k}",
            f"{WHERE}.memory: memory '1k' is below Docker's minimum of 6m (6 MiB); "
            'give at least "6m", such as "256m"',
        ),
        (
            "{image: golang, memory: [1g]}",
            f'{WHERE}.memory: memory is a size such as "256m", "1g" or bytes; got a list',
        ),
        (
            "{image: golang, pids: 0}",
            f"{WHERE}.pids: expected a whole number >= 1, got a number (0)",
        ),
        ("{image: golang, network: ''}", f'{WHERE}.network: "network" must not be empty'),
        ("{image: golang, user: ''}", f'{WHERE}.user: "user" must not be empty'),
        ("{image: golang, user: [a]}", f"{WHERE}.user: expected text, got a list"),
        (
            "{image: golang, volumes: /a:/b}",
            f'{WHERE}.volumes: expected a list, got text ("/a:/b")',
        ),
        (
            "{image: golang, workdir: src}",
            f'{WHERE}.workdir: workdir "src" must be an absolute path in the container, '
            "such as /workspace",
        ),
        (
            "{image: golang, workdir: /}",
            f"{WHERE}.workdir: workdir cannot be /: the workspace is mounted there; use /workspace",
        ),
        (
            "{image: Golang}",
            f'{WHERE}.image: image "Golang" is not valid: repository names are lower case; '
            'write "golang" for "Golang"',
        ),
        ("{image: ''}", f'{WHERE}.image: "image" must not be empty'),
    ],
)
def test_a_wrong_option_is_a_located_error(errors: Errors, config: str, message: str) -> None:
    assert errors(_manifest(config)) == [f"wf.yaml:6: {message}"]


@pytest.mark.parametrize(
    ("volume", "message"),
    [
        ("/a", 'volume "/a" is not SOURCE:TARGET[:ro|:rw]'),
        ("/a:", 'volume "/a:" is not SOURCE:TARGET[:ro|:rw]'),
        ("/a:/b:ro:x", "is not SOURCE:TARGET[:ro|:rw]"),
        ("/a:/b:z", 'volume "/a:/b:z" has mode "z"; use ro (read-only) or rw'),
        ("./data:/data", 'source "./data" is neither an absolute host path (/srv/cache) nor'),
        ("/a:b", 'volume "/a:b": target "b" must be an absolute path, such as /cache'),
        ("/a:/workspace/", "is mounted on /workspace, where the run's workspace is (workdir)"),
        ("/a:/", 'volume "/a:/" cannot be mounted on /: mount it on a directory, such as /cache'),
    ],
)
def test_a_wrong_volume_is_located_at_its_item(errors: Errors, volume: str, message: str) -> None:
    (problem,) = errors(_manifest(f"{{image: golang, volumes: ['/ok:/ok', '{volume}']}}"))
    assert problem.startswith(f"wf.yaml:6: {WHERE}.volumes[1]: ")
    assert message in problem


def test_two_volumes_on_one_target_are_refused(errors: Errors) -> None:
    assert errors(_manifest("{image: golang, volumes: ['/a:/c', 'bb:/c/']}")) == [
        f'wf.yaml:6: {WHERE}.volumes[1]: volume "bb:/c/": another volume is mounted on /c already'
    ]


def test_a_volume_on_a_chosen_workdir_is_refused(errors: Errors) -> None:
    (problem,) = errors(_manifest("{image: golang, workdir: /src, volumes: ['/a:/src']}"))
    assert "is mounted on /src, where the run's workspace is (workdir)" in problem


def test_every_wrong_option_is_reported_at_once(errors: Errors) -> None:
    found = errors(_manifest("{image: golang, pull: x, cpus: -1, pids: -2, workdir: w}"))
    assert sorted(problem.split(": ")[1] for problem in found) == [
        f"{WHERE}.{key}" for key in ("cpus", "pids", "pull", "workdir")
    ]


def test_a_config_that_is_not_a_mapping_is_one_error(errors: Errors) -> None:
    assert errors(_manifest("golang")) == [
        f'wf.yaml:6: {WHERE}: expected a mapping (key: value), got text ("golang")'
    ]


def test_a_local_executor_with_a_container_config_is_refused(errors: Errors) -> None:
    text = HEAD + "      executor: {type: local, containerConfig: {image: golang}}\n" + TASKS
    assert errors(text) == [
        "wf.yaml:6: spec.pipelines.p.executor.containerConfig: containerConfig belongs to a "
        "container executor: write type: container (or leave containerConfig out to run the "
        "steps on this machine)"
    ]


def test_docker_is_another_name_for_the_container_executor(load: Load) -> None:
    text = HEAD + "      executor: {type: docker, containerConfig: {image: golang}}\n" + TASKS
    assert load(text).pipeline("p").executor.type == "container"


def _with_task_image(image: str, *, executor: str = "{image: golang}", task: str = "") -> str:
    tasks = (
        "      tasks:\n"
        "        t:\n          steps: [{name: s, cmd: 'true'}]\n"
        f"        web:\n{task}          image: {image}\n"
        "          steps: [{name: s, cmd: npm test}]\n"
    )
    return HEAD + f"      executor: {{type: container, containerConfig: {executor}}}\n" + tasks


def test_a_task_names_its_own_image(load: Load) -> None:
    pipeline = load(_with_task_image("'node:20'")).pipeline("p")
    assert [node.image for node in pipeline.nodes] == [None, "docker.io/library/node:20"]


def test_a_task_image_that_is_the_pipelines_is_none(load: Load) -> None:
    pipeline = load(_with_task_image("docker.io/library/golang")).pipeline("p")
    assert pipeline.node("web").image is None


def test_a_task_image_in_a_local_pipeline_says_how(errors: Errors) -> None:
    text = HEAD + "      tasks:\n        t:\n          image: node\n          steps: []\n"
    assert errors(text) == [
        "wf.yaml:8: spec.pipelines.p.tasks.t.image: a task's image is for a pipeline with a "
        "container executor: give the pipeline executor: {type: container, containerConfig: "
        "{image: ...}}, or remove image"
    ]


def test_an_invalid_task_image_is_located(errors: Errors) -> None:
    assert errors(_with_task_image("'node:'")) == [
        'wf.yaml:11: spec.pipelines.p.tasks.web.image: image "node:" has an invalid tag "": '
        "a tag is up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
    ]


def test_an_empty_task_image_is_refused(errors: Errors) -> None:
    assert errors(_with_task_image("''")) == [
        'wf.yaml:11: spec.pipelines.p.tasks.web.image: "image" must not be empty'
    ]


def test_a_std_node_that_runs_no_commands_names_no_image(errors: Errors) -> None:
    text = HEAD + (
        "      executor: {type: container, containerConfig: {image: golang}}\n"
        "      tasks:\n        say:\n          type: std::log\n          image: node\n"
        "          config: {message: hi}\n"
    )
    assert errors(text) == [
        "wf.yaml:10: spec.pipelines.p.tasks.say.image: image belongs to a task that runs "
        "commands (steps or std::shell), not to a std::log task"
    ]


def test_a_std_shell_task_may_name_an_image(load: Load) -> None:
    text = HEAD + (
        "      executor: {type: container, containerConfig: {image: golang}}\n"
        "      tasks:\n        sh:\n          type: std::shell\n          image: alpine\n"
        "          config: {command: 'true'}\n"
    )
    assert load(text).pipeline("p").node("sh").image == "docker.io/library/alpine:latest"


def test_checked_normalises_and_reports_a_config_built_in_code() -> None:
    config, problems = containers.checked(
        ir.ContainerConfig("alpine", pull="x", memory="2m", volumes=("aa:/b", "c"))  # type: ignore[arg-type]
    )
    assert config.image == "docker.io/library/alpine:latest"
    assert [key for key, _ in problems] == ["pull", "memory", "volumes[1]"]


FLOW = """
name: build
settings:
  executor: {type: container, containerConfig: {image: golang, pids: 64}}
nodes:
  vet: {type: std::shell, config: {command: go vet ./...}}
  web: {type: std::shell, image: 'node:20', config: {command: npm test}}
edges:
  - {from: vet, to: web}
"""


def test_a_flow_runs_in_a_container_from_its_settings(load: Load) -> None:
    pipeline = load(FLOW).pipelines[0]
    assert pipeline.executor.container == ir.ContainerConfig(
        "docker.io/library/golang:latest", pids=64
    )
    assert [node.image for node in pipeline.nodes] == [None, "docker.io/library/node:20"]


def test_a_flow_option_is_located_under_settings(errors: Errors) -> None:
    assert errors(FLOW.replace("pids: 64", "pids: many")) == [
        "wf.yaml:3: settings.executor.containerConfig.pids: expected a whole number >= 1, "
        'got text ("many")'
    ]


def test_a_flow_node_image_without_a_container_says_where_to_give_one(errors: Errors) -> None:
    text = FLOW.replace("image: golang, pids: 64}}", "image: golang}}").replace(
        "  executor: {type: container, containerConfig: {image: golang}}", "  env: {A: '1'}"
    )
    assert errors(text) == [
        "wf.yaml:6: nodes.web.image: a node's image is for a pipeline with a container "
        "executor: give the flow's settings executor: {type: container, containerConfig: "
        "{image: ...}}, or remove image"
    ]


def test_a_std_python_node_in_a_container_flow_is_refused(errors: Errors) -> None:
    gen = "  gen: {type: std::python, config: {call: 'tools:gen'}}\n"
    text = FLOW.replace("edges:", gen + "edges:")
    (problem,) = errors(text)
    assert problem.startswith('wf.yaml:7: nodes.gen.type: node "gen" (std::python) would run')
