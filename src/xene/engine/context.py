"""What a node sees when it starts: its resolved config, selectors, expressions, its log."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from xene.core import selectors
from xene.core.plan import LOOP
from xene.core.planner import Scope, Start, instance_key
from xene.core.records import NodeRecord
from xene.core.states import State
from xene.ir import Node
from xene.nodes import registry
from xene.nodes.base import NodeContext

if TYPE_CHECKING:
    from xene.engine.run_view import RunView

_HAS_OUTPUT = frozenset({State.SUCCESS, State.ERROR, State.RUNNING})


class Context:
    """Selector lookups and node contexts for one execution."""

    def __init__(self, execution: RunView) -> None:
        self.ex = execution
        self.split_items: dict[str, list[Any]] = {}
        """Split instance key -> its items, for `${split.item}` inside its body."""
        self._traits: dict[str, tuple[frozenset[str], bool]] = {}
        """Node type -> its raw keys, and whether it runs commands."""

    def lookup_for(self, scope: Scope, node_input: Any) -> selectors.Lookup:
        ex = self.ex

        def lookup(root: str) -> Any:
            if root == "input":
                return node_input
            if root in ex.nodes:
                return self._node_value(root, scope)
            return self._builtin(root)

        return lookup

    def _builtin(self, root: str) -> Any:
        ex = self.ex
        if root == "pipeline":
            return {"name": ex.pipeline.name, "config": ex.pipeline.config}
        if root == "run":
            return {"id": ex.run.id, "input": ex.run.input, "workflow": ex.run.workflow}
        if root == "trace_id":
            return ex.run.id
        if root == "secrets":
            return ex.options.secrets
        if root == "env":
            return {**ex.pipeline.env, **ex.options.env}
        raise KeyError(root)

    def _node_value(self, node: str, scope: Scope) -> Any:
        for depth, (construct, index) in enumerate(scope):
            if construct == node:
                outer = instance_key(construct, scope[:depth])
                if outer in self.split_items:
                    return {"item": self.split_items[outer][index], "index": index}
                return {"iteration": index}
        for depth in range(len(scope), -1, -1):
            record = self.ex.run.nodes.get(instance_key(node, scope[:depth]))
            if record is not None and record.state in _HAS_OUTPUT:
                return record.output
        return None

    def check(self, condition: str, output: Any) -> bool:
        """An edge's condition, evaluated on the output it carries."""
        from xene.core.expressions import evaluate

        try:
            return bool(evaluate(condition, output, {}, self.lookup_for((), output)))
        except Exception:
            return False

    def for_node(
        self, node: Node, start: Start, record: NodeRecord, scope_vars: Mapping[str, Any] = {}
    ) -> NodeContext:
        lookup = self.lookup_for(start.region.scope, start.input)
        if node.type == LOOP and "iteration" not in scope_vars:
            scope_vars = {"iteration": 0}
        raw, runs_commands = self._traits_of(node.type)
        config = {
            key: value if key in raw else selectors.resolve(value, lookup)
            for key, value in node.config.items()
        }
        return NodeContext(
            node=node,
            input=start.input,
            config=config,
            evaluate=self._evaluator(start.input, lookup),
            log=self._logger(record),
            run_id=self.ex.run.id,
            key=record.key,
            attempt=record.attempt,
            scope={"inputs": start.inputs, **scope_vars},
            pace=self.ex.journal,
            executor=self.ex.executors.for_node(node, f"node {node.id!r}")
            if runs_commands
            else None,
        )

    def _traits_of(self, node_type: str) -> tuple[frozenset[str], bool]:
        traits = self._traits.get(node_type)
        if traits is None:
            found = registry.get(node_type)
            traits = (found.raw_keys, found.runs_commands) if found else (frozenset(), False)
            self._traits[node_type] = traits
        return traits

    @staticmethod
    def _evaluator(data: Any, lookup: selectors.Lookup) -> Callable[[str, Mapping[str, Any]], Any]:
        def evaluate(expression: str, names: Mapping[str, Any]) -> Any:
            from xene.core.expressions import evaluate as run

            return run(expression, data, names, lookup)

        return evaluate

    def _logger(self, record: NodeRecord) -> Callable[[str], None]:
        ex = self.ex

        def log(message: str) -> None:
            ex.listener.log(ex.run, record, None, message)

        return log
