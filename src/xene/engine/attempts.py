"""One node's attempts: inline for pure std nodes, as a task with retries, timeouts and
cancellation for everything else; what user code prints goes to the node's log."""

from __future__ import annotations

import asyncio
import inspect
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from xene import tracebacks
from xene.core.plan import WAIT
from xene.core.planner import Start
from xene.core.records import NodeRecord
from xene.core.retry import backoff_ms, should_retry
from xene.core.states import State
from xene.errors import NodeFailed, Suspend, XeneError
from xene.ir import TASK, Node
from xene.nodes import registry
from xene.nodes.base import NodeResult, NodeType

if TYPE_CHECKING:
    from xene.engine.run_view import RunControl


def inline_type(node: Node) -> NodeType | None:
    """The node type when the node can run inline: pure, sync, no retries."""
    if node.type in (TASK, WAIT) or node.retry.max_attempts > 1 or node.timeout_s:
        return None
    node_type = registry.get(node.type)
    if node_type is None or node_type.blocking or _is_async(node_type):
        return None
    return node_type


def run_inline(ex: RunControl, start: Start, node: Node, node_type: NodeType) -> None:
    record = ex.record_of(start)
    record.attempt += 1  # a retried run goes on counting
    ex.set_state(record, State.RUNNING)
    try:
        result = node_type.fn(ex.node_context(node, start, record))
    except Exception as exc:
        ex.node_failed(start, record, describe(exc))
        return
    assert isinstance(result, NodeResult)
    ex.node_returned(start, record, result)


def begin(ex: RunControl, record: NodeRecord) -> None:
    """The next attempt of a node, as the journal must commit it before the attempt acts:
    a run resumed after a crash goes on counting past any attempt that may have begun."""
    record.attempt += 1
    ex.set_state(record, State.RUNNING)


async def run_node(ex: RunControl, start: Start, node: Node) -> None:
    """Attempts of a node whose first attempt has begun (and been committed)."""
    record = ex.record_of(start)
    while True:
        attempt = record.attempt
        timer = asyncio.timeout(node.timeout_s)
        try:
            async with timer:
                result = await _call(ex, node, start, record)
        except asyncio.CancelledError:
            ex.set_state(record, State.CANCELLED)
            raise
        except Suspend:
            ex.suspend(record)
            return
        except Exception as exc:
            message = describe(exc, node.timeout_s if timer.expired() else None)
            if should_retry(node.retry, attempt) and not ex.cancelling:
                await _backoff(ex, record, node, attempt, message)
                begin(ex, record)
                await ex.commit()
                continue
            ex.node_failed(start, record, tracebacks.with_traceback(message, exc))
            return
        ex.node_returned(start, record, result)
        return


async def _backoff(
    ex: RunControl, record: NodeRecord, node: Node, attempt: int, message: str
) -> None:
    delay = backoff_ms(node.retry, attempt, ex.options.random()) / 1000
    record.error = message
    ex.listener.log(
        ex.run,
        record,
        None,
        f"attempt {attempt} failed: {message}; retrying in {delay:.2f} s",
    )
    ex.set_state(record, State.WAITING)
    await ex.options.clock.sleep(delay)


async def _call(ex: RunControl, node: Node, start: Start, record: NodeRecord) -> NodeResult:
    if node.type == TASK:
        from xene.engine.tasks import TaskRun, run_task

        task = TaskRun(
            ex.pipeline,
            node,
            record,
            ex.run,
            start.input,
            ex.options,
            ex.listener,
            ex.executors,
            ex.journal,
        )
        return await run_task(task)
    if node.type == WAIT:
        return await ex.decision(node, start, record)
    node_type = registry.get(node.type)
    if node_type is None:
        raise NodeFailed(f"node type {node.type!r} has no implementation")
    ctx = ex.node_context(node, start, record)
    with _user_output(ex, node, record):
        if node_type.blocking:
            result = await asyncio.to_thread(node_type.fn, ctx)
        else:
            result = node_type.fn(ctx)
        if inspect.isawaitable(result):
            result = await result
    if not isinstance(result, NodeResult):
        raise NodeFailed(f"node type {node.type!r} returned {type(result).__name__}")
    return result


def _user_output(ex: RunControl, node: Node, record: NodeRecord) -> AbstractContextManager[None]:
    """User code (std::python) prints into the node's log, as a Python step does."""
    if node.type != "std::python":
        return nullcontext()
    from xene.engine.capture import step_output

    def on_line(line: str) -> None:
        ex.listener.log(ex.run, record, None, line)

    return step_output(on_line)


_ASYNC: dict[str, bool] = {}


def _is_async(node_type: NodeType) -> bool:
    known = _ASYNC.get(node_type.name)
    if known is None:
        known = _ASYNC[node_type.name] = inspect.iscoroutinefunction(node_type.fn)
    return known


def describe(exc: BaseException, timeout: float | None = None) -> str:
    """Why an attempt failed: Xene's own errors say it themselves; user code's errors
    keep their type (`ZeroDivisionError: division by zero`)."""
    if timeout is not None:
        return f"timed out after {timeout:g} s"
    text = str(exc)
    if isinstance(exc, XeneError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
