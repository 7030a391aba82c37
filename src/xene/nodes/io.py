"""I/O nodes: `std::python` (a callable), `std::http` (a request), `std::shell` (a command).

Their heavy dependencies (httpx, the subprocess executor) are imported inside the node
functions, so that loading the node registry stays cheap. `std::shell` runs its command
through the Executor seam (`xene.executors.base`), as a task's shell steps do.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from xene.errors import NodeFailed
from xene.nodes import python_call
from xene.nodes.base import NodeContext, NodeResult, handled_error

if TYPE_CHECKING:
    import ssl

    import httpx

    from xene.executors.base import Executor

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
DEFAULT_HTTP_TIMEOUT_MS = 30_000
CALL_FORM = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


# std::python


async def python(ctx: NodeContext) -> NodeResult:
    """Call `call: module:function` with the input (or with `args`, by name).

    A returned NodeResult is used as is; anything else is the output on `out`.
    """
    fn = python_call.import_callable(str(ctx.config.get("call", "")))
    args = ctx.config.get("args")
    result = await python_call.invoke(fn, ctx.input, kwargs=args)
    return result if isinstance(result, NodeResult) else NodeResult(result)


# std::http


async def http(ctx: NodeContext) -> NodeResult:
    """Send one request; `{status, headers, body}` on `out`, or a handled error.

    A connection failure, a timeout or a status outside `expect_status` (2xx by default)
    is a handled error carrying the status and a message.
    """
    import httpx

    config = ctx.config
    method = str(config.get("method", "GET")).upper()
    url = str(config.get("url", ""))
    timeout_s = float(config.get("timeout_ms") or DEFAULT_HTTP_TIMEOUT_MS) / 1000
    try:
        async with httpx.AsyncClient(timeout=timeout_s, verify=_ssl_context()) as client:
            response = await client.request(method, url, **_request_options(config))
    except httpx.HTTPError as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return handled_error(f"{method} {url} failed: {reason}", status=None)
    output = {"status": response.status_code, "headers": dict(response.headers)}
    output["body"] = _body(response)
    if not _expected(response.status_code, config.get("expect_status")):
        expected = config.get("expect_status") or "2xx"
        return handled_error(
            f"{method} {url} returned {response.status_code}, expected {expected}", **output
        )
    return NodeResult(output)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Built once: creating a TLS context per request costs milliseconds."""
    import httpx

    return httpx.create_ssl_context()


def _request_options(config: Mapping[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {"headers": dict(config.get("headers") or {})}
    if config.get("params"):
        options["params"] = dict(config["params"])
    body = config.get("json", config.get("body"))
    if "json" in config or isinstance(body, Mapping | list):
        options["json"] = body
    elif body is not None:
        options["content"] = str(body).encode()
    return options


def _body(response: httpx.Response) -> Any:
    if "json" in response.headers.get("content-type", ""):
        try:
            return response.json()
        except json.JSONDecodeError:
            pass
    return response.text


def _expected(status: int, expect: Any) -> bool:
    if expect is None:
        return 200 <= status < 300
    accepted = expect if isinstance(expect, list | tuple) else [expect]
    return any(_status_matches(status, str(pattern)) for pattern in accepted)


def _status_matches(status: int, pattern: str) -> bool:
    """`200` matches 200; `2xx` matches 200-299."""
    text = str(status)
    if len(pattern) != len(text):
        return False
    return all(p in "xX" or p == s for p, s in zip(pattern, text, strict=True))


# std::shell


async def shell(ctx: NodeContext) -> NodeResult:
    """Run `command` under the shell; `{exit_code: 0, **outputs}` on success.

    A non-zero exit or a timeout fails the node.
    """
    from xene.executors.base import Command, Control

    config = ctx.config
    command = str(config.get("command") or config.get("cmd") or "")
    cwd = config.get("working_dir") or ctx.node.working_dir  # the executor makes it
    timeout_ms = config.get("timeout_ms")
    timeout_s = float(timeout_ms) / 1000 if timeout_ms else ctx.node.timeout_s
    control = Control(pace=ctx.pace)
    result = await _executor(ctx).run(
        Command(command, cwd, _shell_env(ctx), ctx.log, timeout_s, control)
    )
    if result.timed_out:
        raise NodeFailed(f"std::shell: {command!r} timed out after {timeout_s} s and was stopped")
    if result.exit_code != 0:
        why = f": {result.error}" if result.error else ""
        raise NodeFailed(f"std::shell: {command!r} exited with code {result.exit_code}{why}")
    return NodeResult({"exit_code": 0, **result.outputs})


def _executor(ctx: NodeContext) -> Executor:
    """The executor the engine handed the node; a node called by itself runs here."""
    if ctx.executor is not None:
        return ctx.executor
    from xene.executors.local import LocalExecutor

    return LocalExecutor()


def _shell_env(ctx: NodeContext) -> dict[str, str]:
    env = {**ctx.node.env, **{k: str(v) for k, v in (ctx.config.get("env") or {}).items()}}
    if ctx.run_id:  # as a task's steps get them; recovery finds orphans by the first two
        env.update(XENE_RUN_ID=ctx.run_id, XENE_TASK=ctx.key)
        env.setdefault("XENE_ATTEMPT", str(ctx.attempt))
        env.setdefault("XENE_IDEMPOTENCY_KEY", f"{ctx.run_id}/{ctx.key}")
    return env
