"""`***` in place of every secret value, wherever a run's text goes.

A `Masker` knows the values a run resolved. `MaskingListener` wraps an execution's
listeners, so every log line (a step's output, once the executor has joined its chunks
into lines; a node's own messages) and every error text on a run, node or step record is
masked before any listener sees it: the journal (so the store), the terminal, `--json`,
the server's event stream. Node outputs are masked where they enter the run
(`Execution.node_returned`), so what successors receive, what is stored, and what a
resumed run replays all agree.

A value is also masked line by line when it spans several lines (a PEM key printed
as it is), and in its JSON-escaped form (inside an encoded output or message).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from xene.core.records import Listener, NodeRecord, RunRecord, StepRecord
from xene.nodes.base import NodeResult

MASK = "***"
MIN_FRAGMENT = 4
"""A line of a multi-line value is masked on its own when it is at least this long
(shorter ones, such as `}`, would mask text that merely looks like them)."""


class Masker:
    def __init__(self, values: Iterable[str]) -> None:
        patterns: set[str] = set()
        for value in values:
            if not value:
                continue
            patterns.add(value)
            patterns.add(json.dumps(value)[1:-1])
            lines = [line.strip() for line in value.splitlines()]
            if len(lines) > 1:
                patterns.update(line for line in lines if len(line) >= MIN_FRAGMENT)
        ordered = sorted(patterns, key=len, reverse=True)  # the longest match wins
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def text(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def value(self, value: Any) -> Any:
        """A copy of a JSON-like value with every string masked (keys too)."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(item) for item in value)
        return value

    def result(self, result: NodeResult) -> NodeResult:
        if self._pattern is None:
            return result
        return NodeResult(output=self.value(result.output), ports=result.ports)


NO_MASK = Masker(())


class MaskingListener(Listener):
    """Masks what reaches `inner`: log lines, and error texts on the records (in place,
    before any listener can keep them)."""

    def __init__(self, inner: Listener, masker: Masker) -> None:
        self.inner = inner
        self.masker = masker

    def run_changed(self, run: RunRecord) -> None:
        if run.error:
            run.error = self.masker.text(run.error)
        self.inner.run_changed(run)

    def node_changed(self, run: RunRecord, node: NodeRecord) -> None:
        if node.error:
            node.error = self.masker.text(node.error)
        self.inner.node_changed(run, node)

    def progress_changed(self, run: RunRecord, node: NodeRecord) -> None:
        self.inner.progress_changed(run, node)  # a count: nothing to mask

    def step_changed(self, run: RunRecord, node: NodeRecord, step: StepRecord) -> None:
        if step.error:
            step.error = self.masker.text(step.error)
        self.inner.step_changed(run, node, step)

    def log(self, run: RunRecord, node: NodeRecord, step: str | None, line: str) -> None:
        self.inner.log(run, node, step, self.masker.text(line))
