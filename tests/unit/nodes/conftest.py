from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from xene.core import expressions
from xene.ir import Node
from xene.nodes.base import NodeContext

MakeCtx = Callable[..., NodeContext]


@pytest.fixture
def logged() -> list[str]:
    return []


@pytest.fixture
def make_ctx(logged: list[str]) -> MakeCtx:
    """Build a NodeContext as the engine would, with `evaluate` bound to the input."""

    def make(
        config: Mapping[str, Any] | None = None,
        data: Any = None,
        *,
        scope: Mapping[str, Any] | None = None,
        node: Node | None = None,
        run_id: str = "",
    ) -> NodeContext:
        config = dict(config or {})
        return NodeContext(
            node=node or Node(id="n1", type="std::test", config=config),
            input=data,
            config=config,
            evaluate=lambda text, names: expressions.evaluate(text, data, names),
            log=logged.append,
            run_id=run_id,
            scope=dict(scope or {}),
        )

    return make
