"""The remote CLI's pure parts: which server is chosen, SSE parsing, records rebuilt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from xene.client import records, sse
from xene.client.errors import ApiError
from xene.client.settings import choose
from xene.core.states import State


def env(home: Path, **values: str) -> dict[str, str]:
    return {"XENE_HOME": str(home), **values}


def test_no_server_anywhere_means_the_local_store(tmp_path: Path) -> None:
    assert choose(None, None, env=env(tmp_path)) is None


def test_the_flag_beats_the_environment_which_beats_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("server: http://file:1\ntoken: from-file\n")
    flag = choose("http://flag:1/", env=env(tmp_path, XENE_SERVER="http://env:1"))
    assert flag is not None
    assert (flag.url, flag.token, flag.origin) == ("http://flag:1", "from-file", "--server")
    found = choose(None, env=env(tmp_path, XENE_SERVER="http://env:1", XENE_TOKEN="t"))
    assert found is not None
    assert (found.url, found.token) == ("http://env:1", "t")
    configured = choose(None, env=env(tmp_path))
    assert configured is not None
    assert (configured.url, configured.origin) == ("http://file:1", str(tmp_path / "config.yaml"))


def test_a_store_keeps_a_command_local_but_not_one_that_needs_a_server(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("server: http://file:1\n")
    assert choose(None, "memory://", env=env(tmp_path)) is None
    assert choose(None, env=env(tmp_path, XENE_STORE="memory://")) is None
    remote_only = choose(None, local=False, env=env(tmp_path, XENE_STORE="memory://"))
    assert remote_only is not None
    assert remote_only.url == "http://file:1"
    with pytest.raises(ApiError, match="not both"):
        choose("http://a:1", "memory://", env=env(tmp_path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("server: [1]\n", "server must be text"),
        ("sever: http://a:1\n", "unknown key 'sever'"),
        ("- a\n", "found a list"),
        ("server: ftp://a\n", "is not a server URL"),
        ("server: [\n", "not valid YAML"),
    ],
)
def test_a_bad_config_file_is_refused_with_its_path(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "config.yaml").write_text(text)
    with pytest.raises(ApiError, match=message) as raised:
        choose(None, env=env(tmp_path))
    assert raised.value.exit_code == 2
    assert "config.yaml" in str(raised.value)


async def lines(*given: str) -> AsyncIterator[str]:
    for line in given:
        yield line


async def test_sse_events_are_parsed_with_ids_json_data_and_comments_skipped() -> None:
    stream = lines(
        ": keep-alive", "", "id: 7", "event: log", 'data: {"seq": 7}', "", "data: plain", ""
    )
    found = [event async for event in sse.parse(stream)]
    assert found == [sse.Event("log", {"seq": 7}, "7"), sse.Event("message", "plain", None)]


def test_a_node_key_gives_back_its_scope_and_durations_their_times() -> None:
    node = records.node_record(
        {
            "key": "price[items=3][loop=0]",
            "node": "price",
            "type": "std::map",
            "state": "Success",
            "attempts": 2,
            "ports": ["out"],
            "output": 5,
            "error": None,
            "duration_s": 1.5,
            "steps": [{"name": "s", "state": "Running", "exit_code": None, "error": None}],
        }
    )
    assert node.scope == (("items", 3), ("loop", 0))
    assert (node.started_at, node.ended_at, node.attempt) == (0.0, 1.5, 2)
    assert node.steps[0].state is State.RUNNING
    assert (node.steps[0].started_at, node.steps[0].ended_at) == (0.0, None)


def test_errors_exit_2_for_bad_input_and_1_otherwise() -> None:
    assert ApiError("x", status=400, problems=["f:1: a: b"]).lines() == ["xene: x", "f:1: a: b"]
    assert [ApiError("x", status=s).exit_code for s in (0, 401, 403, 404, 409, 422, 500)] == [
        1, 1, 1, 2, 1, 2, 1
    ]  # fmt: skip
