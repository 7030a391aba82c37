"""Graph checks on the IR itself, shared by every format (and the Python API)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from xene.ir import TASK, Edge, Location, Node, Pipeline
from xene.nodes.base import NodeResult, NodeType
from xene.spec import validate


def _noop(ctx: Any) -> NodeResult:
    return NodeResult()


def _needs_field(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [] if "field" in config else [("field", "is required")]


class FakeTypes:
    """A node registry with `t::plain` and `t::gate` (ports yes/no, raw key `rule`)."""

    types: ClassVar[dict[str, NodeType]] = {
        "t::plain": NodeType("t::plain", _noop, check=_needs_field),
        "t::gate": NodeType("t::gate", _noop, ports=("yes", "no"), raw_keys=frozenset({"rule"})),
    }

    def get(self, type_name: str) -> NodeType | None:
        return self.types.get(type_name)

    def names(self) -> list[str]:
        return sorted(self.types)


class NoTypes:
    """A registry that must not be asked: Xene tasks need none."""

    def get(self, type_name: str) -> NodeType | None:
        raise AssertionError("asked the registry")

    def names(self) -> list[str]:
        raise AssertionError("asked the registry")


def _node(node_id: str, type_: str = "t::plain", **config: Any) -> Node:
    config = {"field": "x", **config}
    return Node(node_id, type_, config=config, loc=Location("p.py", 3, f"nodes.{node_id}"))


def _pipeline(*nodes: Node, edges: tuple[Edge, ...] = ()) -> Pipeline:
    return Pipeline("p", nodes=nodes, edges=edges, loc=Location("p.py", 1))


def _messages(pipeline: Pipeline) -> list[str]:
    return [str(p) for p in validate.check_pipeline(pipeline, types=FakeTypes())]


def test_valid_pipeline_has_no_problems() -> None:
    assert _messages(_pipeline(_node("a"), _node("b"), edges=(Edge("a", "b"),))) == []


def test_duplicate_node_ids_are_reported() -> None:
    assert _messages(_pipeline(_node("a"), _node("a"))) == [
        'p.py:3: nodes.a: duplicate node id "a": give each node its own id'
    ]


def test_edge_naming_an_unknown_node_is_reported() -> None:
    edge = Edge("a", "ghost", loc=Location("p.py", 9, "edges[0]"))
    assert _messages(_pipeline(_node("a"), edges=(edge,))) == [
        'p.py:9: edges[0]: edge a.out -> ghost names unknown node "ghost"; known nodes: a'
    ]


def test_cycle_is_reported_as_its_path() -> None:
    edges = (Edge("a", "b", loc=Location("p.py", 7)), Edge("b", "a"))
    (problem,) = _messages(_pipeline(_node("a"), _node("b"), edges=edges))
    assert problem.startswith("p.py:7: cycle: a -> b -> a;")


def test_loop_back_edge_does_not_make_a_cycle() -> None:
    edges = (Edge("a", "b"), Edge("b", "a", loop_back=True))
    assert _messages(_pipeline(_node("a"), _node("b"), edges=edges)) == []


def test_unknown_node_type_lists_the_known_ones() -> None:
    assert _messages(_pipeline(_node("a", "t::nope"))) == [
        'p.py:3: nodes.a.type: unknown node type "t::nope"; known types: t::gate, t::plain'
    ]


def test_missing_required_config_is_reported_at_the_key() -> None:
    node = Node("a", "t::plain", loc=Location("p.py", 3, "nodes.a"))
    assert _messages(_pipeline(node)) == ["p.py:3: nodes.a.config.field: is required"]


def test_locate_gives_config_keys_their_own_line() -> None:
    node = Node("a", "t::plain", loc=Location("f.yaml", 3, "nodes.a"))
    (problem,) = validate.check_pipeline(
        _pipeline(node), locate=lambda path: Location("f.yaml", 42, path), types=FakeTypes()
    )
    assert str(problem) == "f.yaml:42: nodes.a.config.field: is required"


def test_port_missing_from_the_node_type_is_reported() -> None:
    edge = Edge("g", "a", port="maybe", loc=Location("p.py", 8, "edges[0]"))
    assert _messages(_pipeline(_node("g", "t::gate"), _node("a"), edges=(edge,))) == [
        'p.py:8: edges[0]: node "g" (t::gate) has no port "maybe"; its ports are: yes, no'
    ]


def test_xene_tasks_need_no_registry() -> None:
    tasks = (Node("a", TASK), Node("b", TASK))
    pipeline = Pipeline("p", nodes=tasks, edges=(Edge("a", "b"),))
    assert validate.check_pipeline(pipeline, types=NoTypes()) == []


def test_unknown_selector_root_is_reported() -> None:
    (problem,) = _messages(_pipeline(_node("a", message="${b.x}")))
    assert problem.startswith('p.py:3: nodes.a.config.message: selector "${b...}" names unknown')


def test_selector_may_name_a_node_of_the_pipeline() -> None:
    assert _messages(_pipeline(_node("a"), _node("b", message="${a.x}"))) == []


def test_selector_may_name_a_builtin_root() -> None:
    assert _messages(_pipeline(_node("a", message="${pipeline.config.k} ${secrets.S}"))) == []


def test_raw_keys_of_the_node_type_are_not_checked() -> None:
    assert _messages(_pipeline(_node("g", "t::gate", rule="${score} > 1"))) == []


def test_expression_keys_are_not_checked_anywhere_in_config() -> None:
    node = _node("a", condition={"until_expression": "${iteration} >= 3"})
    assert _messages(_pipeline(node)) == []


def test_expression_conditions_are_not_checked() -> None:
    node = _node("a", condition={"type": "expression", "value": "${risk} > 0.8"})
    assert _messages(_pipeline(node)) == []


def test_registry_is_found_lazily() -> None:
    registry = validate.registry()
    assert registry is not None
    assert registry.get("std::log") is not None
