"""The Xene manifest compiles into the IR, and each mistake is one located problem."""

from __future__ import annotations

from collections.abc import Callable

from xene import ir
from xene.ir import TASK

from .conftest import Errors

Load = Callable[..., ir.Workflow]

CI = """
kind: Workflow
apiVersion: v1alpha1
metadata:
  name: ci
  description: Continuous integration
spec:
  triggers:
    push: {type: webhook}
    unused: {type: manual}
  pipelines:
    build:
      trigger: push
      envs: {MODE: test}
      tasks:
        setup:
          workingDir: /tmp/w
          steps:
            - {name: checkout, type: shell, cmd: git clone x}
        lint:
          dependencies: [setup]
          steps:
            - {name: lint, type: shell, cmd: make lint}
"""


def _manifest(tasks: str, *, pipeline: str = "", triggers: str = "") -> str:
    """A manifest with one pipeline `p`; `tasks` and `pipeline` are indented YAML lines."""
    return (
        "kind: Workflow\nmetadata:\n  name: wf\nspec:\n"
        + (f"  triggers:\n{triggers}" if triggers else "")
        + f"  pipelines:\n    p:\n{pipeline}      tasks:\n{tasks}"
    )


ONE_TASK = "        t:\n          steps: [{name: s, cmd: 'true'}]\n"


def test_tasks_become_nodes_that_join_all(load: Load) -> None:
    pipeline = load(CI).pipeline("build")
    assert [(n.id, n.type, n.join) for n in pipeline.nodes] == [
        ("setup", TASK, "all"),
        ("lint", TASK, "all"),
    ]


def test_dependencies_become_edges_on_port_out(load: Load) -> None:
    (edge,) = load(CI).pipeline("build").edges
    assert (edge.source, edge.target, edge.port) == ("setup", "lint", "out")


def test_steps_keep_their_order_and_fields(load: Load) -> None:
    (step,) = load(CI).pipeline("build").node("setup").steps
    assert (step.name, step.kind, step.cmd) == ("checkout", "shell", "git clone x")


def test_working_dir_and_envs_are_kept(load: Load) -> None:
    pipeline = load(CI).pipeline("build")
    assert (pipeline.node("setup").working_dir, dict(pipeline.env)) == ("/tmp/w", {"MODE": "test"})


def test_pipeline_names_its_trigger(load: Load) -> None:
    assert load(CI).pipeline("build").triggers == ("push",)


def test_unreferenced_triggers_are_dropped(load: Load) -> None:
    assert [t.name for t in load(CI).triggers] == ["push"]


def test_locations_point_at_the_definition(load: Load) -> None:
    node = load(CI, "ci.yaml").pipeline("build").node("lint")
    assert str(node.loc) == "ci.yaml:19: spec.pipelines.build.tasks.lint"


def test_unknown_dependency_names_pipeline_task_and_known_tasks(errors: Errors) -> None:
    text = CI.replace("dependencies: [setup]", "dependencies: [lnt]")
    assert errors(text, "ci.yaml") == [
        'ci.yaml:20: spec.pipelines.build.tasks.lint.dependencies[0]: unknown task "lnt" '
        '(pipeline "build", task "lint"); known tasks: setup'
    ]


def test_dependency_listed_twice_is_reported(errors: Errors) -> None:
    text = CI.replace("dependencies: [setup]", "dependencies: [setup, setup]")
    assert errors(text)[0].endswith('task "lint" lists dependency "setup" twice; keep one')


def test_pipeline_trigger_must_exist(errors: Errors) -> None:
    assert errors(CI.replace("trigger: push", "trigger: pull"), "ci.yaml") == [
        'ci.yaml:12: spec.pipelines.build.trigger: unknown trigger "pull" (pipeline "build"); '
        "known triggers: push, unused"
    ]


def test_kind_other_than_workflow_is_rejected(errors: Errors) -> None:
    assert errors(CI.replace("kind: Workflow", "kind: Pipeline")) == [
        'wf.yaml:1: kind: kind "Pipeline" is not supported: a Xene manifest has kind: Workflow'
    ]


def test_unknown_api_version_is_rejected(errors: Errors) -> None:
    assert errors(CI.replace("v1alpha1", "v9")) == [
        'wf.yaml:2: apiVersion: apiVersion "v9" is not supported; use v1alpha1'
    ]


def test_workflow_name_must_match_the_name_pattern(errors: Errors) -> None:
    assert errors(CI.replace("name: ci", "name: -ci")) == [
        'wf.yaml:4: metadata.name: workflow name "-ci" is not valid: use 2 to 253 letters, '
        "digits, '-', '.' or '_', starting and ending with a letter or digit"
    ]


def test_workflow_name_of_253_characters_is_accepted(load: Load) -> None:
    assert load(CI.replace("name: ci", "name: " + "a" * 253)).name == "a" * 253


def test_workflow_name_of_254_characters_is_rejected(errors: Errors) -> None:
    assert "is not valid" in errors(CI.replace("name: ci", "name: " + "a" * 254))[0]


def test_unknown_trigger_type_is_rejected(errors: Errors) -> None:
    assert errors(CI.replace("type: webhook", "type: github")) == [
        'wf.yaml:8: spec.triggers.push.type: unknown trigger type "github"; use one of: '
        "default, webhook, cron, manual, filesystem"
    ]


def test_five_field_cron_trigger_loads(load: Load) -> None:
    text = CI.replace("{type: webhook}", '{type: cron, cronConfig: "*/5 * * * *"}')
    assert load(text).triggers[0].params["cron"] == "*/5 * * * *"


def test_six_field_cron_trigger_loads_with_seconds_moved_last(load: Load) -> None:
    text = CI.replace("{type: webhook}", '{type: cron, cronConfig: "15 */5 * * * *"}')
    assert load(text).triggers[0].params["cron"] == "*/5 * * * * 15"


def test_cron_trigger_keeps_its_cron_config(load: Load) -> None:
    text = CI.replace("{type: webhook}", "{type: cron, cronConfig: '@daily'}")
    assert load(text).triggers[0].params["cronConfig"] == "@daily"


def test_invalid_cron_is_rejected_at_its_line(errors: Errors) -> None:
    text = CI.replace("{type: webhook}", '{type: cron, cronConfig: "61 * * * *"}')
    assert errors(text) == [
        "wf.yaml:8: spec.triggers.push.cronConfig: cron schedule '61 * * * *' is not valid; "
        "check each field's range"
    ]


def test_cron_trigger_without_schedule_is_rejected(errors: Errors) -> None:
    text = CI.replace("{type: webhook}", "{type: cron}")
    assert errors(text) == [
        'wf.yaml:8: spec.triggers.push.cronConfig: a cron trigger needs "cronConfig", '
        'such as "*/5 * * * *"'
    ]


def test_container_executor_keeps_its_image_normalised(load: Load) -> None:
    executor = "      executor: {type: container, containerConfig: {image: golang}}\n"
    pipeline = load(_manifest(ONE_TASK, pipeline=executor)).pipeline("p")
    config = ir.ContainerConfig("docker.io/library/golang:latest")
    assert pipeline.executor == ir.Executor("container", config)


def test_container_executor_without_image_is_rejected(errors: Errors) -> None:
    executor = "      executor: {type: container}\n"
    assert errors(_manifest(ONE_TASK, pipeline=executor)) == [
        "wf.yaml:7: spec.pipelines.p.executor: a container executor needs an image: "
        "executor: {type: container, containerConfig: {image: golang}}"
    ]


def test_unknown_executor_type_is_rejected(errors: Errors) -> None:
    executor = "      executor: {type: vm}\n"
    assert errors(_manifest(ONE_TASK, pipeline=executor)) == [
        'wf.yaml:7: spec.pipelines.p.executor.type: unknown executor type "vm"; use one of: '
        "local, container"
    ]


def test_a_task_cannot_name_an_executor_of_its_own(errors: Errors) -> None:
    task = ONE_TASK + "          executor: {type: container}\n"
    assert errors(_manifest(task)) == [
        'wf.yaml:10: spec.pipelines.p.tasks.t.executor: task "t" runs on its pipeline\'s '
        "executor: name it once for the pipeline, beside its tasks: executor: {type: local}; "
        "in a container pipeline, a task may name an image of its own: image: node:20"
    ]


def test_pipeline_extensions_are_read(load: Load) -> None:
    extras = "      timeout: 1h\n      maxConcurrency: 2\n      config: {limit: 5}\n"
    pipeline = load(_manifest(ONE_TASK, pipeline=extras)).pipeline("p")
    assert (pipeline.timeout_s, pipeline.max_concurrency, dict(pipeline.config)) == (
        3600.0,
        2,
        {"limit": 5},
    )


def test_task_timeout_accepts_a_duration(load: Load) -> None:
    tasks = ONE_TASK + "          timeout: 1m30s\n"
    assert load(_manifest(tasks)).pipeline("p").node("t").timeout_s == 90.0


def test_step_timeout_accepts_seconds(load: Load) -> None:
    tasks = "        t:\n          steps: [{name: s, cmd: 'true', timeout: 30}]\n"
    assert load(_manifest(tasks)).pipeline("p").node("t").steps[0].timeout_s == 30.0


def test_bad_timeout_is_rejected(errors: Errors) -> None:
    tasks = ONE_TASK + "          timeout: soon\n"
    assert errors(_manifest(tasks)) == [
        "wf.yaml:10: spec.pipelines.p.tasks.t.timeout: 'soon' is not a duration; write seconds "
        '(30) or units such as "90s", "5m", "1h30m" (units: ms, s, m, h, d)'
    ]


def test_task_retry_is_read(load: Load) -> None:
    tasks = ONE_TASK + "          retry: {max_attempts: 4, initial_delay_ms: 10, jitter: false}\n"
    assert load(_manifest(tasks)).pipeline("p").node("t").retry == ir.RetryPolicy(
        max_attempts=4, initial_delay_ms=10, jitter=False
    )


def test_retry_block_without_max_attempts_tries_three_times(load: Load) -> None:
    tasks = ONE_TASK + "          retry: {initial_delay_ms: 10}\n"
    assert load(_manifest(tasks)).pipeline("p").node("t").retry.max_attempts == 3


def test_retry_max_delay_below_initial_delay_is_rejected(errors: Errors) -> None:
    tasks = ONE_TASK + "          retry: {initial_delay_ms: 500, max_delay_ms: 100}\n"
    assert errors(_manifest(tasks)) == [
        "wf.yaml:10: spec.pipelines.p.tasks.t.retry.max_delay_ms: max_delay_ms must be at least "
        "initial_delay_ms"
    ]


def test_python_step_is_read(load: Load) -> None:
    tasks = (
        "        t:\n          steps: [{name: s, type: python, call: 'pkg.mod:fn', args: {x: 1}}]\n"
    )
    (step,) = load(_manifest(tasks)).pipeline("p").node("t").steps
    assert (step.kind, step.call, dict(step.args)) == ("python", "pkg.mod:fn", {"x": 1})


def test_python_step_call_must_be_module_colon_function(errors: Errors) -> None:
    tasks = "        t:\n          steps: [{name: s, type: python, call: pkg.fn}]\n"
    assert errors(_manifest(tasks)) == [
        'wf.yaml:9: spec.pipelines.p.tasks.t.steps[0].call: call "pkg.fn" must be '
        "module:function, as in mypkg.tasks:build"
    ]


def test_shell_step_needs_a_cmd(errors: Errors) -> None:
    tasks = "        t:\n          steps: [{name: s, type: shell}]\n"
    assert errors(_manifest(tasks)) == [
        'wf.yaml:9: spec.pipelines.p.tasks.t.steps[0].cmd: "cmd" is required here'
    ]


def test_step_and_task_env_are_read(load: Load) -> None:
    tasks = (
        "        t:\n          env: {A: 1, B: true}\n"
        "          steps: [{name: s, cmd: 'true', env: {C: x}}]\n"
    )
    node = load(_manifest(tasks)).pipeline("p").node("t")
    assert (dict(node.env), dict(node.steps[0].env)) == ({"A": "1", "B": "true"}, {"C": "x"})


def test_env_value_must_be_text(errors: Errors) -> None:
    tasks = ONE_TASK + "          env: {A: [1, 2]}\n"
    assert errors(_manifest(tasks)) == [
        "wf.yaml:10: spec.pipelines.p.tasks.t.env.A: an environment value is text, got a list"
    ]


def test_duplicate_step_names_are_rejected(errors: Errors) -> None:
    tasks = "        t:\n          steps: [{name: s, cmd: a}, {name: s, cmd: b}]\n"
    assert errors(_manifest(tasks)) == [
        'wf.yaml:9: spec.pipelines.p.tasks.t.steps[1].name: duplicate step name "s" in this '
        "task; give each step its own name"
    ]


def test_std_node_task_is_read(load: Load) -> None:
    tasks = "        say:\n          type: std::log\n          config: {message: hi}\n"
    node = load(_manifest(tasks)).pipeline("p").node("say")
    assert (node.type, dict(node.config), node.join) == ("std::log", {"message": "hi"}, "all")


def test_task_with_both_type_and_steps_is_rejected(errors: Errors) -> None:
    tasks = ONE_TASK + "          type: std::log\n"
    assert errors(_manifest(tasks)) == [
        'wf.yaml:10: spec.pipelines.p.tasks.t.type: task "t" has both a type (std::log) and '
        "steps: a task runs either its steps or one std node with its config"
    ]


def test_config_on_a_task_with_steps_is_rejected(errors: Errors) -> None:
    tasks = ONE_TASK + "          config: {a: 1}\n"
    assert errors(_manifest(tasks))[0].startswith(
        "wf.yaml:10: spec.pipelines.p.tasks.t.config: config belongs to a task with a std node type"
    )


def test_misspelt_key_suggests_the_right_one(errors: Errors) -> None:
    tasks = ONE_TASK + "          dependecies: []\n"
    assert errors(_manifest(tasks)) == [
        'wf.yaml:10: spec.pipelines.p.tasks.t.dependecies: unknown key "dependecies" in task '
        '"t"; did you mean "dependencies"? (known keys: config, dependencies, description, '
        "env, image, retry, secrets, steps, timeout, type, workingDir)"
    ]


def test_missing_spec_is_reported(errors: Errors) -> None:
    assert errors("kind: Workflow\nmetadata: {name: wf}\n") == [
        'wf.yaml:1: spec: "spec" is required here',
        'wf.yaml:1: spec.pipelines: "pipelines" is required here',
    ]


def test_empty_pipelines_are_reported(errors: Errors) -> None:
    assert errors("kind: Workflow\nmetadata: {name: wf}\nspec:\n  pipelines: {}\n") == [
        "wf.yaml:4: spec.pipelines: a workflow needs at least one pipeline"
    ]


def test_pipeline_without_tasks_loads(load: Load) -> None:
    text = "kind: Workflow\nmetadata: {name: wf}\nspec:\n  pipelines: {later: {}}\n"
    assert load(text).pipeline("later").nodes == ()


def test_task_depending_on_itself_is_a_cycle(errors: Errors) -> None:
    tasks = "        t:\n          dependencies: [t]\n          steps: []\n"
    assert errors(_manifest(tasks))[0].startswith(
        "wf.yaml:9: spec.pipelines.p.tasks.t.dependencies[0]: cycle: t -> t;"
    )


def test_empty_cmd_is_rejected(errors: Errors) -> None:
    tasks = "        t:\n          steps: [{name: s, cmd: ''}]\n"
    assert errors(_manifest(tasks)) == [
        'wf.yaml:9: spec.pipelines.p.tasks.t.steps[0].cmd: "cmd" must not be empty'
    ]


def test_executor_may_be_written_as_a_word(load: Load) -> None:
    pipeline = load(_manifest(ONE_TASK, pipeline="      executor: local\n")).pipeline("p")
    assert pipeline.executor == ir.Executor()
