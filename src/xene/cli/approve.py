"""Deciding `std::wait` nodes in `xene run`: from `--approve`, else by asking on a terminal."""

from __future__ import annotations

import asyncio
import sys
from typing import cast

from xene.cli.display import Display
from xene.engine.options import Approval, ApprovalRequest, Approver, Decision
from xene.errors import ApprovalRequired

CHOICES = {"a": "approve", "r": "reject", "e": "escalate"}


def make_approver(decided: dict[str, str], display: Display) -> Approver:
    """Decisions given with `--approve NODE=DECISION` first; then a prompt on a TTY."""

    async def approve(request: ApprovalRequest) -> Approval:
        node = request.node.split("[", 1)[0]
        if node in decided:
            return Approval(cast(Decision, decided[node]), reason="--approve")
        if not sys.stdin.isatty():
            raise ApprovalRequired(
                f"node {node!r} waits for a decision (hook {request.hook_id}) and there is no "
                f"terminal to ask on; pass --approve {node}=approve (or reject, escalate)"
            )
        display.pause()
        try:
            return await asyncio.to_thread(_ask, request)
        finally:
            display.resume()

    return approve


def _ask(request: ApprovalRequest) -> Approval:
    print(f"\n⏸  {request.node} waits for a decision (hook {request.hook_id})", file=sys.stderr)
    for key, value in request.metadata.items():
        print(f"   {key}: {value}", file=sys.stderr)
    while True:
        print("   [a]pprove, [r]eject or [e]scalate? ", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline()
        if not answer:
            raise ApprovalRequired(f"no decision for {request.node}: the terminal closed")
        choice = CHOICES.get(answer.strip().lower()[:1])
        if choice is not None:
            reason = "decided at the terminal"
            return Approval(cast(Decision, choice), reason=reason)
