"""The flow format compiles into one pipeline of nodes, ports and edges."""

from __future__ import annotations

from collections.abc import Callable

from xene import ir

from .conftest import Errors, without_locations

Load = Callable[..., ir.Workflow]

FLOW = """
name: orders
version: "1.0"
triggers:
  - id: hook
    type: webhook
    params: {path: /orders}
nodes:
  check:
    type: std::switch
    config:
      condition: {type: greater_than, field: risk, value: 0.8}
  safe:
    type: std::log
    config: {message: safe}
  risky:
    type: std::log
    retry: {max_attempts: 2}
    timeout_ms: 1500
    config: {message: risky}
edges:
  - from: hook
    to: check
  - from: check.false
    to: safe
  - from: check.true
    to: risky
    condition: "${risk} < 1"
settings:
  max_concurrent_executions: 4
  execution_timeout_ms: 30000
  env: {REGION: eu}
"""


def _flow(nodes: str, edges: str = "", extra: str = "") -> str:
    return f"name: f\nnodes:\n{nodes}" + (f"edges:\n{edges}" if edges else "") + extra


LOG = "  a:\n    type: std::log\n    config: {message: a}\n"


def test_flow_is_one_pipeline_named_after_it(load: Load) -> None:
    workflow = load(FLOW)
    assert (workflow.format, [p.name for p in workflow.pipelines]) == ("flow", ["orders"])


def test_flow_nodes_join_any(load: Load) -> None:
    assert {n.join for n in load(FLOW).pipelines[0].nodes} == {"any"}


def test_edge_from_a_trigger_is_an_entry_edge(load: Load) -> None:
    (entry,) = load(FLOW).pipelines[0].entry_edges
    assert (entry.source, entry.target, entry.port) == ("hook", "check", "out")


def test_pipeline_lists_its_trigger_ids(load: Load) -> None:
    assert load(FLOW).pipelines[0].triggers == ("hook",)


def test_edge_port_comes_after_the_dot(load: Load) -> None:
    edges = load(FLOW).pipelines[0].edges
    assert [(e.source, e.port, e.target) for e in edges] == [
        ("check", "false", "safe"),
        ("check", "true", "risky"),
    ]


def test_edge_condition_is_kept(load: Load) -> None:
    assert load(FLOW).pipelines[0].edges[1].condition == "${risk} < 1"


def test_node_retry_and_timeout_are_read(load: Load) -> None:
    node = load(FLOW).pipelines[0].node("risky")
    assert (node.retry.max_attempts, node.timeout_s) == (2, 1.5)


def test_settings_become_pipeline_limits_and_env(load: Load) -> None:
    pipeline = load(FLOW).pipelines[0]
    assert (pipeline.max_concurrency, pipeline.timeout_s, dict(pipeline.env)) == (
        4,
        30.0,
        {"REGION": "eu"},
    )


def test_top_level_config_is_the_pipeline_config(load: Load) -> None:
    assert dict(load(_flow(LOG, extra="config: {limit: 3}\n")).pipelines[0].config) == {"limit": 3}


def test_triggers_as_a_list_and_as_a_map_load_the_same(load: Load) -> None:
    as_map = FLOW.replace(
        "  - id: hook\n    type: webhook\n    params: {path: /orders}\n",
        "  hook:\n    type: webhook\n    params: {path: /orders}\n",
    )
    assert without_locations(load(as_map)) == without_locations(load(FLOW))


def test_five_field_cron_trigger_loads(load: Load) -> None:
    text = _flow(LOG, extra="triggers: [{id: tick, type: cron, params: {schedule: '0 * * * *'}}]\n")
    assert load(text).triggers[0].params["cron"] == "0 * * * *"


def test_six_field_cron_trigger_loads(load: Load) -> None:
    text = _flow(LOG, extra="triggers: {tick: {type: cron, params: {schedule: '0 0 * * * *'}}}\n")
    assert load(text).triggers[0].params["cron"] == "0 * * * * 0"


def test_unknown_trigger_type_is_rejected(errors: Errors) -> None:
    text = _flow(LOG, extra="triggers: [{id: t, type: email}]\n")
    assert errors(text) == [
        'wf.yaml:6: triggers[0].type: unknown trigger type "email"; use one of: webhook, cron, '
        "filesystem, manual"
    ]


def test_trigger_without_id_is_rejected(errors: Errors) -> None:
    assert errors(_flow(LOG, extra="triggers: [{type: manual}]\n")) == [
        'wf.yaml:6: triggers[0].id: "id" is required: the name edges use for this trigger'
    ]


def test_duplicate_trigger_id_is_rejected(errors: Errors) -> None:
    text = _flow(LOG, extra="triggers:\n  - {id: t, type: manual}\n  - {id: t, type: manual}\n")
    assert errors(text) == ['wf.yaml:8: triggers[1].id: duplicate trigger id "t"; ids are unique']


def test_trigger_id_equal_to_a_node_id_is_rejected(errors: Errors) -> None:
    assert errors(_flow(LOG, extra="triggers: [{id: a, type: manual}]\n")) == [
        'wf.yaml:6: triggers[0]: "a" names both a trigger and a node; edges name either, '
        "so rename one of them"
    ]


def test_edge_to_an_unknown_node_is_rejected(errors: Errors) -> None:
    assert errors(_flow(LOG, "  - {from: a, to: b}\n")) == [
        'wf.yaml:7: edges[0].to: unknown node "b"; known nodes: a'
    ]


def test_edge_from_an_unknown_node_is_rejected(errors: Errors) -> None:
    assert errors(_flow(LOG, "  - {from: z.out, to: a}\n")) == [
        'wf.yaml:7: edges[0].from: unknown node "z"; known nodes: a'
    ]


def test_unknown_port_is_rejected(errors: Errors) -> None:
    assert errors(_flow(LOG + LOG.replace("a", "b"), "  - {from: a.yes, to: b}\n")) == [
        'wf.yaml:10: edges[0]: node "a" (std::log) has no port "yes"; its ports are: out, error'
    ]


def test_error_port_is_accepted_on_any_node(load: Load) -> None:
    text = _flow(LOG + LOG.replace("a", "b"), "  - {from: a.error, to: b}\n")
    assert load(text).pipelines[0].edges[0].port == "error"


def test_node_id_with_a_dot_is_rejected(errors: Errors) -> None:
    assert errors(_flow(LOG.replace("  a:", "  a.b:"))) == [
        'wf.yaml:3: nodes.a.b: node id "a.b" must start with a letter or "_" and hold only '
        'letters, digits, "_" and "-" (edges and selectors name it)'
    ]


def test_node_without_type_is_rejected(errors: Errors) -> None:
    assert errors(_flow("  a:\n    config: {}\n")) == [
        'wf.yaml:3: nodes.a.type: "type" is required here'
    ]


def test_flow_without_nodes_is_rejected(errors: Errors) -> None:
    assert errors("name: f\nnodes: {}\n") == ["wf.yaml:2: nodes: a flow needs at least one node"]


def test_disabled_node_is_kept_disabled(load: Load) -> None:
    text = _flow(LOG + "    enabled: false\n")
    assert load(text).pipelines[0].node("a").enabled is False


def test_cycle_closed_by_a_loop_back_edge_is_allowed(load: Load) -> None:
    nodes = "  loop:\n    type: std::loop\n    config: {max_iterations: 3}\n" + LOG
    edges = "  - {from: loop.continue, to: a}\n  - {from: a, to: loop, loop_back: true}\n"
    assert load(_flow(nodes, edges)).pipelines[0].edges[1].loop_back is True


def test_cycle_without_loop_back_is_rejected(errors: Errors) -> None:
    nodes = LOG + LOG.replace("a", "b")
    edges = "  - {from: a, to: b}\n  - {from: b, to: a}\n"
    assert errors(_flow(nodes, edges))[0].startswith("wf.yaml:10: edges[0]: cycle: a -> b -> a;")


def test_unknown_node_type_lists_the_known_types(errors: Errors) -> None:
    (problem,) = errors(_flow("  a:\n    type: std::teleport\n"))
    assert problem.startswith(
        'wf.yaml:4: nodes.a.type: unknown node type "std::teleport"; known types: std::aggregate,'
    )


def test_missing_required_config_is_located_at_the_key(errors: Errors) -> None:
    assert errors(_flow("  a:\n    type: std::split\n    config: {}\n")) == [
        "wf.yaml:5: nodes.a.config.field: is required: the dotted path of the list to fan out over"
    ]


def test_unknown_selector_root_is_rejected(errors: Errors) -> None:
    (problem,) = errors(_flow("  a:\n    type: std::log\n    config: {message: '${nope.x}'}\n"))
    assert problem.startswith(
        'wf.yaml:5: nodes.a.config.message: selector "${nope...}" names unknown node or root "nope"'
    )


def test_selectors_may_name_nodes_and_builtin_roots(load: Load) -> None:
    message = "${a.x} ${input.y} ${pipeline.config.z} ${secrets.K} ${trace_id} ${run.id}"
    text = _flow(LOG + f"  b:\n    type: std::log\n    config: {{message: '{message}'}}\n")
    assert load(text).pipelines[0].node("b").config["message"] == message


def test_bare_fields_inside_expressions_are_not_checked(load: Load) -> None:
    nodes = "  a:\n    type: std::switch\n    config: {expression: '${risk_score} > 0.8'}\n"
    assert load(_flow(nodes)).pipelines[0].node("a").type == "std::switch"


def test_bare_fields_inside_loop_conditions_are_not_checked(load: Load) -> None:
    nodes = "  a:\n    type: std::loop\n    config: {until_expression: '${iteration} >= 3'}\n"
    assert load(_flow(nodes)).pipelines[0].node("a").type == "std::loop"
