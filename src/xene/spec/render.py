"""Draw a pipeline's graph as text, Mermaid or Graphviz dot. Pure and deterministic.

Nodes come in topological order (declaration order breaks ties), edges in declaration
order with a flow's trigger edges first. An edge shows its port when it is not `out` and
its condition when it has one; a `loop_back` edge is marked (text) or dashed (mermaid, dot).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from xene import ir
from xene.core import dag

Format = Literal["text", "mermaid", "dot"]
FORMATS: tuple[Format, ...] = ("text", "mermaid", "dot")

_MERMAID_RESERVED = frozenset(
    {"end", "graph", "flowchart", "subgraph", "style", "class", "classdef", "click", "linkstyle"}
)


def render(pipeline: ir.Pipeline, fmt: Format = "text") -> str:
    """The pipeline's graph in `fmt`: `text`, `mermaid` or `dot`, ending with a newline."""
    renderers: dict[str, Callable[[ir.Pipeline], list[str]]] = {
        "text": _text,
        "mermaid": _mermaid,
        "dot": _dot,
    }
    if fmt not in renderers:
        raise ValueError(f"unknown graph format {fmt!r}: use one of {', '.join(FORMATS)}")
    return "\n".join(renderers[fmt](pipeline)) + "\n"


def _order(pipeline: ir.Pipeline) -> list[ir.Node]:
    ids = [n.id for n in pipeline.nodes]
    try:
        ordered = dag.topo_order(ids, pipeline.edges)
    except ValueError:  # an invalid cyclic graph is still drawn, in declaration order
        ordered = ids
    return [pipeline.node(node_id) for node_id in ordered]


def _edges(pipeline: ir.Pipeline) -> list[ir.Edge]:
    return [*pipeline.entry_edges, *pipeline.edges]


def _entry_sources(pipeline: ir.Pipeline) -> list[str]:
    """Trigger ids that feed nodes directly (flow format), in first-use order."""
    return list(dict.fromkeys(e.source for e in pipeline.entry_edges))


def _title(node: ir.Node) -> str:
    title = node.id if node.type == ir.TASK else f"{node.id} ({node.type})"
    return title if node.enabled else f"{title} [disabled]"


def _label(edge: ir.Edge) -> str:
    parts = [] if edge.port == "out" else [edge.port]
    if edge.condition is not None:
        parts.append(f"if {edge.condition}")
    return " ".join(parts)


# -- text -----------------------------------------------------------------------------------


def _text(pipeline: ir.Pipeline) -> list[str]:
    incoming: dict[str, list[str]] = {n.id: [] for n in pipeline.nodes}
    for edge in _edges(pipeline):
        incoming.setdefault(edge.target, []).append(_text_source(edge))
    return [_text_line(node, incoming[node.id]) for node in _order(pipeline)]


def _text_source(edge: ir.Edge) -> str:
    text = edge.source if edge.port == "out" else f"{edge.source}.{edge.port}"
    if edge.condition is not None:
        text += f" [if {edge.condition}]"
    return f"{text} [loop back]" if edge.loop_back else text


def _text_line(node: ir.Node, sources: list[str]) -> str:
    return f"{_title(node)} <- {', '.join(sources)}" if sources else _title(node)


# -- mermaid --------------------------------------------------------------------------------


def _mermaid(pipeline: ir.Pipeline) -> list[str]:
    triggers = _entry_sources(pipeline)
    ids = _mermaid_ids([*triggers, *(n.id for n in pipeline.nodes)])
    lines = ["flowchart TD"]
    lines += [f'    {ids[t]}(["{_mermaid_text(t)}"])' for t in triggers]
    lines += [f'    {ids[n.id]}["{_mermaid_text(_title(n))}"]' for n in _order(pipeline)]
    for edge in _edges(pipeline):
        arrow = "-.->" if edge.loop_back else "-->"
        label = _label(edge)
        if label:
            arrow += f'|"{_mermaid_text(label)}"|'
        lines.append(f"    {ids[edge.source]} {arrow} {ids[edge.target]}")
    return lines


def _mermaid_ids(names: list[str]) -> dict[str, str]:
    """Safe Mermaid ids: the name itself where possible, never a keyword, never shared."""
    ids: dict[str, str] = {}
    for index, name in enumerate(names):
        base = re.sub(r"\W", "_", name, flags=re.ASCII) or "node"
        while base.lower() in _MERMAID_RESERVED or base in ids.values():
            base = f"{base}_{index}"
        ids.setdefault(name, base)
    return ids


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


# -- dot ------------------------------------------------------------------------------------


def _dot(pipeline: ir.Pipeline) -> list[str]:
    lines = [f"digraph {_dot_id(pipeline.name)} {{", "    rankdir=TB;", "    node [shape=box];"]
    lines += [f"    {_dot_id(t)} [shape=oval];" for t in _entry_sources(pipeline)]
    lines += [_dot_node(n) for n in _order(pipeline)]
    lines += [_dot_edge(e) for e in _edges(pipeline)]
    return [*lines, "}"]


def _dot_node(node: ir.Node) -> str:
    if node.type == ir.TASK and node.enabled:
        return f"    {_dot_id(node.id)};"
    return f"    {_dot_id(node.id)} [label={_dot_id(_title(node))}];"


def _dot_edge(edge: ir.Edge) -> str:
    attributes = ["style=dashed"] if edge.loop_back else []
    label = _label(edge)
    if label:
        attributes.append(f"label={_dot_id(label)}")
    suffix = f" [{', '.join(attributes)}]" if attributes else ""
    return f"    {_dot_id(edge.source)} -> {_dot_id(edge.target)}{suffix};"


def _dot_id(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
