from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from xene.errors import NodeFailed
from xene.ir import Node
from xene.nodes import io
from xene.nodes.base import NodeResult

from .conftest import MakeCtx

# std::python


def double(amount: int) -> int:
    return amount * 2


def add(a: int, b: int) -> int:
    return a + b


def route(data: Any) -> NodeResult:
    return NodeResult(data, ("special",))


async def test_python_calls_the_function_with_the_input(make_ctx: MakeCtx) -> None:
    result = await io.python(make_ctx({"call": f"{__name__}:double"}, 21))
    assert result == NodeResult(42)


async def test_python_calls_with_args_by_name(make_ctx: MakeCtx) -> None:
    config = {"call": f"{__name__}:add", "args": {"a": 1, "b": 2}}
    assert (await io.python(make_ctx(config, None))).output == 3


async def test_python_uses_a_returned_node_result_as_is(make_ctx: MakeCtx) -> None:
    result = await io.python(make_ctx({"call": f"{__name__}:route"}, "x"))
    assert result.ports == ("special",)


async def test_python_with_a_missing_function_fails_the_node(make_ctx: MakeCtx) -> None:
    with pytest.raises(NodeFailed, match="no attribute"):
        await io.python(make_ctx({"call": f"{__name__}:missing"}, None))


# std::http


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/json":
            self._send(200, "application/json", json.dumps({"ok": True}))
        elif self.path == "/text":
            self._send(200, "text/plain", "hello")
        elif self.path.startswith("/echo"):
            self._send(200, "application/json", json.dumps({"path": self.path}))
        elif self.path == "/bare":
            self._send(200, None, "no type")
        elif self.path == "/slow":
            time.sleep(0.5)  # the server is slow, on purpose: the client's timeout is tested
            self._send(200, "text/plain", "late")
        elif self.path.startswith("/status/"):
            self._send(int(self.path.rsplit("/", 1)[1]), "text/plain", "status")
        else:
            self._send(404, "text/plain", "not found")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
        echo = {"body": body, "type": self.headers.get("content-type"), "path": self.path}
        echo["token"] = self.headers.get("x-token")
        self._send(201, "application/json", json.dumps(echo))

    def _send(self, status: int, content_type: str | None, body: str) -> None:
        payload = body.encode()
        self.send_response(status)
        if content_type is not None:
            self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A real HTTP server on a free local port, for the whole module."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


async def test_http_get_parses_a_json_body(make_ctx: MakeCtx, server: str) -> None:
    result = await io.http(make_ctx({"url": f"{server}/json"}))
    assert (result.ports, result.output["status"], result.output["body"]) == (
        ("out",),
        200,
        {"ok": True},
    )


async def test_http_returns_a_text_body_as_text(make_ctx: MakeCtx, server: str) -> None:
    result = await io.http(make_ctx({"url": f"{server}/text"}))
    assert result.output["body"] == "hello"


async def test_http_returns_response_headers(make_ctx: MakeCtx, server: str) -> None:
    result = await io.http(make_ctx({"url": f"{server}/text"}))
    assert result.output["headers"]["content-type"] == "text/plain"


async def test_http_posts_json_with_headers(make_ctx: MakeCtx, server: str) -> None:
    config = {
        "method": "post",
        "url": f"{server}/orders",
        "json": {"id": 7},
        "headers": {"X-Token": "t"},
    }
    body = (await io.http(make_ctx(config))).output["body"]
    assert body == {
        "body": '{"id":7}',
        "type": "application/json",
        "path": "/orders",
        "token": "t",
    }


async def test_http_posts_a_text_body(make_ctx: MakeCtx, server: str) -> None:
    config = {"method": "POST", "url": f"{server}/raw", "body": "plain"}
    assert (await io.http(make_ctx(config))).output["body"]["body"] == "plain"


async def test_http_unexpected_status_is_a_handled_error(make_ctx: MakeCtx, server: str) -> None:
    result = await io.http(make_ctx({"url": f"{server}/status/500"}))
    assert result.ports == ("error",)
    assert result.output["status"] == 500
    assert "returned 500, expected 2xx" in result.output["error"]


async def test_http_expect_status_accepts_a_listed_status(make_ctx: MakeCtx, server: str) -> None:
    config = {"url": f"{server}/status/404", "expect_status": [200, 404]}
    assert (await io.http(make_ctx(config))).ports == ("out",)


async def test_http_expect_status_accepts_a_class_pattern(make_ctx: MakeCtx, server: str) -> None:
    config = {"url": f"{server}/status/302", "expect_status": "3xx"}
    assert (await io.http(make_ctx(config))).ports == ("out",)


async def test_http_expect_status_refuses_other_statuses(make_ctx: MakeCtx, server: str) -> None:
    config = {"url": f"{server}/json", "expect_status": 201}
    assert (await io.http(make_ctx(config))).ports == ("error",)


async def test_http_connection_error_is_a_handled_error(make_ctx: MakeCtx) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = await io.http(make_ctx({"url": f"http://127.0.0.1:{port}/"}))
    assert result.ports == ("error",)
    assert result.output["status"] is None
    assert result.output["error"].startswith(f"GET http://127.0.0.1:{port}/ failed: ")


# std::shell


async def test_shell_outputs_exit_code_and_published_outputs(make_ctx: MakeCtx) -> None:
    result = await io.shell(make_ctx({"command": 'echo version=1.2 >> "$XENE_OUTPUT"'}))
    assert result == NodeResult({"exit_code": 0, "version": "1.2"})


async def test_shell_streams_lines_to_the_node_log(make_ctx: MakeCtx, logged: list[str]) -> None:
    await io.shell(make_ctx({"cmd": "printf 'one\\ntwo\\n'"}))
    assert logged == ["one", "two"]


async def test_shell_runs_in_its_working_dir_created_if_missing(
    make_ctx: MakeCtx, logged: list[str], tmp_path: Any
) -> None:
    workdir = tmp_path / "created"
    await io.shell(make_ctx({"command": "pwd", "working_dir": str(workdir)}))
    assert logged == [str(workdir)]


async def test_shell_gets_its_env_the_node_env_and_the_run_variables(
    make_ctx: MakeCtx, logged: list[str]
) -> None:
    node = Node(id="s", type="std::shell", env={"FROM_NODE": "yes"})
    config = {"command": "echo $N $FROM_NODE $XENE_RUN_ID $XENE_ATTEMPT", "env": {"N": 1}}
    await io.shell(make_ctx(config, node=node, run_id="r1"))
    assert logged == ["1 yes r1 1"]


async def test_shell_non_zero_exit_fails_the_node(make_ctx: MakeCtx) -> None:
    with pytest.raises(NodeFailed, match="exited with code 3"):
        await io.shell(make_ctx({"command": "exit 3"}))


async def test_shell_timeout_fails_the_node(make_ctx: MakeCtx) -> None:
    with pytest.raises(NodeFailed, match="timed out"):
        await io.shell(make_ctx({"command": "sleep 100", "timeout_ms": 200}))


async def test_shell_runs_a_real_command(make_ctx: MakeCtx, logged: list[str]) -> None:
    command = 'echo hi && echo "answer=42" >> "$XENE_OUTPUT"'
    result = await io.shell(make_ctx({"command": command}))
    assert (result.output, logged) == ({"exit_code": 0, "answer": "42"}, ["hi"])


async def test_python_without_a_call_names_the_empty_reference(make_ctx: MakeCtx) -> None:
    with pytest.raises(NodeFailed, match=r"^call '' must be of the form module:function$"):
        await io.python(make_ctx({}))


async def test_http_sends_query_parameters(make_ctx: MakeCtx, server: str) -> None:
    config = {"url": f"{server}/echo", "params": {"q": "1"}}
    assert (await io.http(make_ctx(config))).output["body"] == {"path": "/echo?q=1"}


async def test_http_sends_a_json_text_as_json(make_ctx: MakeCtx, server: str) -> None:
    config = {"method": "POST", "url": f"{server}/raw", "json": "plain"}
    body = (await io.http(make_ctx(config))).output["body"]
    assert (body["body"], body["type"]) == ('"plain"', "application/json")


async def test_http_of_a_response_without_a_content_type_is_its_text(
    make_ctx: MakeCtx, server: str
) -> None:
    assert (await io.http(make_ctx({"url": f"{server}/bare"}))).output["body"] == "no type"


async def test_http_status_300_is_not_expected_by_default(make_ctx: MakeCtx, server: str) -> None:
    assert (await io.http(make_ctx({"url": f"{server}/status/300"}))).ports == ("error",)


async def test_http_status_299_is_expected_by_default(make_ctx: MakeCtx, server: str) -> None:
    assert (await io.http(make_ctx({"url": f"{server}/status/299"}))).ports == ("out",)


async def test_http_a_shorter_status_pattern_matches_nothing(
    make_ctx: MakeCtx, server: str
) -> None:
    config = {"url": f"{server}/json", "expect_status": "2x"}
    assert (await io.http(make_ctx(config))).ports == ("error",)


async def test_http_an_upper_case_status_pattern_matches(make_ctx: MakeCtx, server: str) -> None:
    config = {"url": f"{server}/json", "expect_status": "2XX"}
    assert (await io.http(make_ctx(config))).ports == ("out",)


async def test_http_an_unexpected_status_names_the_expected_one(
    make_ctx: MakeCtx, server: str
) -> None:
    config = {"url": f"{server}/json", "expect_status": 201}
    error = (await io.http(make_ctx(config))).output["error"]
    assert error == f"GET {server}/json returned 200, expected 201"


async def test_http_without_a_url_is_a_handled_error_naming_no_url(make_ctx: MakeCtx) -> None:
    assert (await io.http(make_ctx({}))).output["error"].startswith("GET  failed: ")


async def test_http_a_connection_error_names_its_kind_and_reason(make_ctx: MakeCtx) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = (await io.http(make_ctx({"url": f"http://127.0.0.1:{port}/"}))).output["error"]
    assert error.startswith(f"GET http://127.0.0.1:{port}/ failed: ConnectError: ")


async def test_http_gives_up_after_timeout_ms(make_ctx: MakeCtx, server: str) -> None:
    result = await io.http(make_ctx({"url": f"{server}/slow", "timeout_ms": 50}))
    assert result.output["error"].startswith(f"GET {server}/slow failed: ReadTimeout")


async def test_shell_without_a_command_runs_nothing_and_succeeds(make_ctx: MakeCtx) -> None:
    assert (await io.shell(make_ctx({}))).output == {"exit_code": 0}


async def test_shell_runs_in_a_working_dir_that_exists(
    make_ctx: MakeCtx, logged: list[str], tmp_path: Any
) -> None:
    await io.shell(make_ctx({"command": "pwd", "working_dir": str(tmp_path)}))
    assert logged == [str(tmp_path)]


async def test_shell_timeout_names_the_command_and_the_time(make_ctx: MakeCtx) -> None:
    message = r"^std::shell: 'sleep 100' timed out after 0\.2 s and was stopped$"
    with pytest.raises(NodeFailed, match=message):
        await io.shell(make_ctx({"command": "sleep 100", "timeout_ms": 200}))


async def test_shell_gets_the_task_key_and_its_idempotency_key(
    make_ctx: MakeCtx, logged: list[str]
) -> None:
    ctx = dataclasses.replace(
        make_ctx({"command": "echo $XENE_TASK $XENE_IDEMPOTENCY_KEY"}, run_id="r1"), key="s[i=0]"
    )
    await io.shell(ctx)
    assert logged == ["s[i=0] r1/s[i=0]"]
