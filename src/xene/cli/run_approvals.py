"""Deciding `std::wait` nodes during `xene run`: from `--approve`, by asking on a terminal,
by waiting for a decision made elsewhere (`--wait`), or else by suspending the run."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from xene.cli.display import Display
from xene.core.states import Decision
from xene.engine.options import Approval, ApprovalRequest, Approver
from xene.errors import Suspend

if TYPE_CHECKING:
    from xene.ir import Pipeline
    from xene.store.base import Store

CHOICES = {"a": Decision.APPROVE, "r": Decision.REJECT, "e": Decision.ESCALATE}
POLL_S = 0.5


def check_approvals(decided: Mapping[str, str], pipelines: Sequence[Pipeline]) -> None:
    """Each `--approve NODE=DECISION` must name a `std::wait` node of the pipelines run:
    a typo would otherwise leave the node to ask (or suspend) as if nothing was given.
    Raises UsageError naming the node and listing the wait nodes."""
    from xene.cli.common import UsageError
    from xene.core.plan import WAIT

    waits = dict.fromkeys(n.id for p in pipelines for n in p.nodes if n.type == WAIT)
    names = [p.name for p in pipelines]
    where = f"pipeline {names[0]}" if len(names) == 1 else f"pipelines {', '.join(names)}"
    for node, decision in decided.items():
        if node not in waits:
            have = f"wait nodes: {', '.join(waits)}" if waits else "none waits for a decision"
            raise UsageError(
                f"--approve {node}={decision}: {where} has no std::wait node {node!r}; {have}"
            )


def make_approver(
    decided: dict[str, str],
    display: Display,
    *,
    store: Store | None = None,
    wait: bool = False,
) -> Approver:
    """Decisions given with `--approve NODE=DECISION` first; then a prompt on a TTY;
    then, with `--wait`, a decision recorded in the store by `xene approve`."""

    async def approve(request: ApprovalRequest) -> Approval:
        node = request.node.split("[", 1)[0]
        if node in decided:
            return Approval(Decision(decided[node]), reason="--approve")
        if sys.stdin.isatty():
            display.pause()
            try:
                answer = await asyncio.to_thread(_ask, request)
            finally:
                display.resume()
            if answer is not None:
                return answer
        if wait and store is not None:
            return await _wait_for_decision(store, request)
        raise Suspend(request.hook_id)

    return approve


async def _wait_for_decision(store: Store, request: ApprovalRequest) -> Approval:
    print(
        f"⏸ {request.node} waits for a decision: xene approve {request.hook_id}",
        file=sys.stderr,
    )
    while True:
        record = await store.get_approval(request.hook_id)
        if record is not None and record.decision is not None:
            return Approval(record.decision, record.data, record.reason)
        await asyncio.sleep(POLL_S)


def _ask(request: ApprovalRequest) -> Approval | None:
    """Ask on the terminal; None: leave it waiting (the run suspends)."""
    print(f"\n⏸  {request.node} waits for a decision (hook {request.hook_id})", file=sys.stderr)
    for key, value in request.metadata.items():
        print(f"   {key}: {value}", file=sys.stderr)
    while True:
        print(
            "   [a]pprove, [r]eject, [e]scalate, or [l]eave it waiting? ",
            end="",
            file=sys.stderr,
            flush=True,
        )
        answer = sys.stdin.readline()
        if not answer:
            return None
        key = answer.strip().lower()[:1]
        if key == "l":
            return None
        choice = CHOICES.get(key)
        if choice is not None:
            return Approval(choice, reason="decided at the terminal")
