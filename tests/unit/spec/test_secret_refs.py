"""Secrets named by a definition: task `secrets:`, `${secrets.NAME}` in node configs,
webhook `secret:`/`token:`; each mistake located, and unknown names checked."""

from __future__ import annotations

from collections.abc import Callable

from xene import ir
from xene.spec import secret_refs
from xene.spec.export import to_manifest

from .conftest import Errors

Load = Callable[..., ir.Workflow]


def manifest(task: str, triggers: str = "    go: {type: manual}\n") -> str:
    return (
        "kind: Workflow\nmetadata:\n  name: wf\nspec:\n  triggers:\n" + triggers
        + "  pipelines:\n    p:\n      trigger: go\n      tasks:\n        t:\n" + task
    )  # fmt: skip


DEPLOY = (
    "          secrets: [DEPLOY_KEY, API_TOKEN]\n"
    "          steps: [{name: s, cmd: 'echo $DEPLOY_KEY'}]\n"
)
FLOW = """\
name: orders
triggers: [{id: hook, type: webhook, params: {secret: "${secrets.HOOK_SECRET}"}}]
nodes:
  call:
    type: std::http
    config:
      url: https://example.com
      headers: {Authorization: "Bearer ${secrets.API_TOKEN}"}
  note: {type: std::log, config: {message: "${secrets.API_TOKEN} and ${input.id}"}}
edges: [{from: hook, to: call}, {from: call, to: note}]
"""


def test_a_tasks_secrets_are_names_located_at_their_item(load: Load) -> None:
    node = load(manifest(DEPLOY)).pipeline("p").node("t")
    assert [ref.name for ref in node.secrets] == ["DEPLOY_KEY", "API_TOKEN"]
    assert str(node.secrets[1].loc) == "wf.yaml:12: spec.pipelines.p.tasks.t.secrets[1]"


def test_the_pipeline_knows_every_secret_its_nodes_need(load: Load) -> None:
    assert load(manifest(DEPLOY)).pipeline("p").secret_names == {"DEPLOY_KEY", "API_TOKEN"}


def test_a_flow_nodes_config_selectors_name_its_secrets_once(load: Load) -> None:
    pipeline = load(FLOW).pipeline("orders")
    assert [r.name for r in pipeline.node("call").secrets] == ["API_TOKEN"]
    assert [r.name for r in pipeline.node("note").secrets] == ["API_TOKEN"]
    assert pipeline.node("call").secrets[0].loc.path == "nodes.call.config.headers.Authorization"


def test_a_webhook_secret_written_as_a_selector_names_a_secret(load: Load) -> None:
    (trigger,) = load(FLOW).triggers
    assert [(r.name, r.loc.path) for r in trigger.secrets] == [
        ("HOOK_SECRET", "triggers[0].params.secret")
    ]
    assert trigger.params["secret"] == "${secrets.HOOK_SECRET}"  # resolved on delivery


def test_a_plain_webhook_secret_is_still_the_value_itself(load: Load) -> None:
    triggers = "    go: {type: webhook, secret: s3cret, token: '${secrets.HOOK_TOKEN}'}\n"
    (trigger,) = load(manifest(DEPLOY, triggers)).triggers
    assert trigger.params["secret"] == "s3cret"
    assert [r.name for r in trigger.secrets] == ["HOOK_TOKEN"]


def test_a_selector_inside_a_longer_webhook_secret_is_refused(errors: Errors) -> None:
    triggers = "    go: {type: webhook, secret: 'x-${secrets.HOOK}'}\n"
    assert errors(manifest(DEPLOY, triggers)) == [
        "wf.yaml:6: spec.triggers.go.secret: write secret: ${secrets.NAME} alone"
    ]


def test_a_secret_name_that_is_no_environment_variable_is_refused(errors: Errors) -> None:
    task = "          secrets: [deploy-key]\n          steps: [{name: s, cmd: 'true'}]\n"
    (problem,) = errors(manifest(task))
    assert problem.startswith('wf.yaml:12: spec.pipelines.p.tasks.t.secrets[0]: "deploy-key"')
    assert "letters, digits and" in problem


def test_secret_names_of_xenes_own_variables_are_refused(errors: Errors) -> None:
    task = "          secrets: [XENE_RUN_ID]\n          steps: [{name: s, cmd: 'true'}]\n"
    assert "XENE_ are Xene's own" in errors(manifest(task))[0]


def test_a_secret_listed_twice_is_refused(errors: Errors) -> None:
    task = "          secrets: [A, A]\n          steps: [{name: s, cmd: 'true'}]\n"
    assert errors(manifest(task)) == [
        'wf.yaml:12: spec.pipelines.p.tasks.t.secrets[1]: secret "A" is listed twice; keep one'
    ]


def test_secrets_on_a_task_with_a_python_step_are_refused(errors: Errors) -> None:
    task = "          secrets: [A]\n          steps: [{name: py, type: python, call: 'm:f'}]\n"
    (problem,) = errors(manifest(task))
    assert problem.startswith("wf.yaml:12: spec.pipelines.p.tasks.t.secrets: secrets reach")
    assert 'step "py" is type: python' in problem


def test_secrets_on_a_std_node_task_are_refused_with_the_config_form(errors: Errors) -> None:
    task = "          type: std::log\n          secrets: [A]\n          config: {message: hi}\n"
    (problem,) = errors(manifest(task))
    assert "a task with a std node type names a secret in its config" in problem


def test_a_secret_selector_in_a_shell_command_explains_the_environment(errors: Errors) -> None:
    task = "          steps: [{name: s, cmd: 'curl -H ${secrets.TOKEN} x'}]\n"
    (problem,) = errors(manifest(task))
    assert problem.startswith("wf.yaml:12: spec.pipelines.p.tasks.t.steps[0].cmd:")
    assert "add secrets: [TOKEN] to the task and write $TOKEN" in problem


def test_a_secrets_selector_without_one_name_is_refused(errors: Errors) -> None:
    text = "name: f\nnodes:\n  n: {type: std::log, config: {message: '${secrets}'}}\n"
    assert errors(text) == ["wf.yaml:3: nodes.n.config.message: name one secret: ${secrets.NAME}"]


def test_check_locates_each_unknown_secret_with_a_hint(load: Load) -> None:
    workflow = load(FLOW)
    refs = secret_refs.references(workflow)
    problems = secret_refs.check(refs, {"HOOK_SECRET", "API_TOKN"}, "the store x.db")
    assert [str(p) for p in problems] == [
        'wf.yaml:8: nodes.call.config.headers.Authorization: unknown secret "API_TOKEN" in '
        'the store x.db (did you mean "API_TOKN"?): set it with `xene secret set API_TOKEN`',
        'wf.yaml:9: nodes.note.config.message: unknown secret "API_TOKEN" in the store x.db '
        '(did you mean "API_TOKN"?): set it with `xene secret set API_TOKEN`',
    ]


def test_check_finds_nothing_when_every_name_is_known(load: Load) -> None:
    refs = secret_refs.references(load(FLOW))
    assert secret_refs.check(refs, {"HOOK_SECRET", "API_TOKEN"}, "the store") == []


def test_the_references_of_some_pipelines_leave_triggers_out(load: Load) -> None:
    workflow = load(FLOW)
    assert {r.name for r in secret_refs.references(workflow, workflow.pipelines)} == {"API_TOKEN"}


def test_an_exported_manifest_keeps_a_tasks_secrets(load: Load) -> None:
    exported = to_manifest(load(manifest(DEPLOY)))
    task = exported["spec"]["pipelines"]["p"]["tasks"]["t"]
    assert task["secrets"] == ["DEPLOY_KEY", "API_TOKEN"]
