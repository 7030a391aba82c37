"""A pipeline's graph renders as text, Mermaid and dot, the same way every time."""

from __future__ import annotations

import pytest

from xene import ir
from xene.spec.render import render


def _task(node_id: str) -> ir.Node:
    return ir.Node(id=node_id, type=ir.TASK, join="all")


@pytest.fixture
def flow() -> ir.Pipeline:
    """A switch fed by a webhook, two branches (one conditional) and a loop back."""
    return ir.Pipeline(
        name="orders",
        nodes=(
            _task("process_risky"),
            ir.Node(id="fraud_check", type="std::switch"),
            _task("process_safe"),
            ir.Node(id="end", type="std::merge"),
        ),
        edges=(
            ir.Edge(source="fraud_check", target="process_risky", port="true"),
            ir.Edge(source="fraud_check", target="process_safe", port="false", condition="${ok}"),
            ir.Edge(source="process_risky", target="end"),
            ir.Edge(source="process_safe", target="end"),
            ir.Edge(source="end", target="fraud_check", loop_back=True),
        ),
        entry_edges=(ir.Edge(source="api_webhook", target="fraud_check"),),
    )


def test_text_lists_nodes_in_order_with_their_inputs(flow: ir.Pipeline) -> None:
    assert render(flow, "text") == (
        "fraud_check (std::switch) <- api_webhook, end [loop back]\n"
        "process_risky <- fraud_check.true\n"
        "process_safe <- fraud_check.false [if ${ok}]\n"
        "end (std::merge) <- process_risky, process_safe\n"
    )


def test_mermaid_labels_ports_and_dashes_loop_backs(flow: ir.Pipeline) -> None:
    assert render(flow, "mermaid") == (
        "flowchart TD\n"
        '    api_webhook(["api_webhook"])\n'
        '    fraud_check["fraud_check (std::switch)"]\n'
        '    process_risky["process_risky"]\n'
        '    process_safe["process_safe"]\n'
        '    end_4["end (std::merge)"]\n'
        "    api_webhook --> fraud_check\n"
        '    fraud_check -->|"true"| process_risky\n'
        '    fraud_check -->|"false if ${ok}"| process_safe\n'
        "    process_risky --> end_4\n"
        "    process_safe --> end_4\n"
        "    end_4 -.-> fraud_check\n"
    )


def test_dot_quotes_ids_and_dashes_loop_backs(flow: ir.Pipeline) -> None:
    assert render(flow, "dot") == (
        'digraph "orders" {\n'
        "    rankdir=TB;\n"
        "    node [shape=box];\n"
        '    "api_webhook" [shape=oval];\n'
        '    "fraud_check" [label="fraud_check (std::switch)"];\n'
        '    "process_risky";\n'
        '    "process_safe";\n'
        '    "end" [label="end (std::merge)"];\n'
        '    "api_webhook" -> "fraud_check";\n'
        '    "fraud_check" -> "process_risky" [label="true"];\n'
        '    "fraud_check" -> "process_safe" [label="false if ${ok}"];\n'
        '    "process_risky" -> "end";\n'
        '    "process_safe" -> "end";\n'
        '    "end" -> "fraud_check" [style=dashed];\n'
        "}\n"
    )


def test_text_is_the_default_format(flow: ir.Pipeline) -> None:
    assert render(flow) == render(flow, "text")


def test_a_disabled_node_is_marked() -> None:
    pipeline = ir.Pipeline(name="p", nodes=(ir.Node(id="a", type=ir.TASK, enabled=False),))
    assert render(pipeline, "text") == "a [disabled]\n"


def test_dot_escapes_quotes_in_names() -> None:
    pipeline = ir.Pipeline(name='say "hi"', nodes=(_task("a"),))
    assert render(pipeline, "dot").splitlines()[0] == 'digraph "say \\"hi\\"" {'


def test_mermaid_escapes_quotes_and_angle_brackets_in_labels() -> None:
    edge = ir.Edge(source="a", target="b", condition='${x} > "1"')
    pipeline = ir.Pipeline(name="p", nodes=(_task("a"), _task("b")), edges=(edge,))
    assert render(pipeline, "mermaid").splitlines()[-1] == (
        '    a -->|"if ${x} #gt; #quot;1#quot;"| b'
    )


def test_mermaid_ids_stay_unique_after_cleaning() -> None:
    pipeline = ir.Pipeline(name="p", nodes=(_task("load-db"), _task("load_db")))
    assert render(pipeline, "mermaid").splitlines()[1:] == [
        '    load_db["load-db"]',
        '    load_db_1["load_db"]',
    ]


def test_a_cyclic_graph_is_drawn_in_declaration_order() -> None:
    edges = (ir.Edge(source="b", target="a"), ir.Edge(source="a", target="b"))
    pipeline = ir.Pipeline(name="p", nodes=(_task("b"), _task("a")), edges=edges)
    assert render(pipeline, "text") == "b <- a\na <- b\n"


def test_an_unknown_format_is_refused() -> None:
    pipeline = ir.Pipeline(name="p", nodes=(_task("a"),))
    with pytest.raises(ValueError, match="use one of text, mermaid, dot"):
        render(pipeline, "svg")  # type: ignore[arg-type]
