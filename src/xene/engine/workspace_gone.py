"""Which finished nodes of a recovered run run again when its containers are gone.

A container pipeline's tasks leave their files in the run's workspace, inside its
containers. When a resumed run finds them gone (removed while no process held the run),
no finished task may be assumed to have left what later tasks need: every node whose
work lived there (a task with shell steps, a node running commands such as
`std::shell`) runs again, in a new container, noted so that `xene show` says why.
Nodes whose work did not (pure `std::` nodes, waits) are replayed as usual.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from xene.core.planner import instance_key
from xene.core.states import State
from xene.ir import TASK

if TYPE_CHECKING:
    from xene.core.records import NodeRecord
    from xene.ir import Node, Pipeline

GONE = "ran again in a new container: the run's container was gone when it resumed"


def run_again(recovered: dict[str, NodeRecord], pipeline: Pipeline) -> list[str]:
    """Take out of `recovered` (the nodes to replay) those that succeeded with their work
    in the run's containers, set back to run again with the note GONE, and the splits and
    loops holding them (their items run again only if they do); the keys noted. A node
    that failed left nothing later nodes build on: its failure stands."""
    nodes = {node.id: node for node in pipeline.nodes}
    again = [
        key
        for key, record in recovered.items()
        if record.state is State.SUCCESS and worked_in_container(nodes.get(record.node_id))
    ]
    for key in again:
        record = recovered.pop(key)
        _set_back(record)
        record.note = GONE
        for owner in _owners(record):
            if (held := recovered.pop(owner, None)) is not None:
                _set_back(held)
    return again


def worked_in_container(node: Node | None) -> bool:
    """Whether the node runs commands in the run's container (its files are there)."""
    if node is None:
        return False
    if node.type == TASK:
        return any(step.kind == "shell" for step in node.steps)
    from xene.nodes import registry

    found = registry.get(node.type)
    return found is not None and found.runs_commands


def _owners(record: NodeRecord) -> Iterator[str]:
    """The keys of the splits and loops a node's record is inside, innermost last."""
    scope = record.scope
    for depth, (owner, _) in enumerate(scope):
        yield instance_key(owner, scope[:depth])


def _set_back(record: NodeRecord) -> None:
    record.state = State.NOT_EXECUTED
    record.output, record.ports, record.error = None, (), None
    record.started_at = record.ended_at = None
    record.progress = None
