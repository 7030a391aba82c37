"""Runs through the API: executed by the built-in agent, their tree, logs, cancel, retry."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from tests.integration.api.conftest import apply, shell_workflow, trigger, wait_run
from xene.server.runtime import Runtime


def sse_events(text: str) -> list[tuple[str, Any]]:
    """(event, data) of a Server-Sent Events body; comments are skipped."""
    found = []
    for block in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if line and ": " in line[1:]
        )
        if "event" in fields:
            found.append((fields["event"], json.loads(fields["data"])))
    return found


async def test_a_triggered_run_completes_with_its_tree_and_logs(
    client: httpx.AsyncClient,
) -> None:
    await apply(client, shell_workflow("two", "echo one", "echo two"))
    run_id = await trigger(client, "two", "main", {"who": "api"})
    run = await wait_run(client, run_id)
    assert run["state"] == "Success"
    assert run["input"] == {"who": "api"}
    assert run["source"] == {
        "path": "workflow.yaml",
        "format": "manifest",
        "workflow": "two",
        "pipeline": "main",
    }
    (node,) = run["nodes"]
    assert node["key"] == "work"
    assert [(s["name"], s["state"], s["exit_code"]) for s in node["steps"]] == [
        ("s0", "Success", 0),
        ("s1", "Success", 0),
    ]
    logs = (await client.get(f"/api/v1/runs/{run_id}/logs")).json()
    lines = [line for chunk in logs["chunks"] for line in chunk["lines"]]
    assert lines == ["one", "two"]
    assert logs["next_after"] == logs["chunks"][-1]["seq"]
    step = (await client.get(f"/api/v1/runs/{run_id}/logs", params={"step": "s1"})).json()
    assert [line for chunk in step["chunks"] for line in chunk["lines"]] == ["two"]
    later = await client.get(f"/api/v1/runs/{run_id}/logs", params={"after": logs["next_after"]})
    assert later.json() == {"chunks": [], "next_after": logs["next_after"]}


async def test_list_runs_filters_and_pages(client: httpx.AsyncClient) -> None:
    await apply(client, shell_workflow("quick", "true"))
    ids = [await trigger(client, "quick", "main") for _ in range(3)]
    for run_id in ids:
        await wait_run(client, run_id)
    first = (await client.get("/api/v1/runs", params={"limit": 2})).json()
    assert [r["id"] for r in first["runs"]] == ids[::-1][:2]
    assert first["next"] == ids[1]
    rest = (await client.get("/api/v1/runs", params={"limit": 2, "before": first["next"]})).json()
    assert [r["id"] for r in rest["runs"]] == [ids[0]]
    assert rest["next"] is None
    none = await client.get("/api/v1/runs", params={"workflow": "other", "state": "Success"})
    assert none.json() == {"runs": [], "next": None}
    too_many = await client.get("/api/v1/runs", params={"limit": 501})
    assert too_many.status_code == 422


async def test_the_log_stream_sends_the_lines_as_they_come_then_end(
    client: httpx.AsyncClient,
) -> None:
    # The engine commits output at least every second: a, b and c come in 2 chunks or more.
    await apply(client, shell_workflow("slow", "echo a; sleep 1.5; echo b; sleep 1.5; echo c"))
    run_id = await trigger(client, "slow", "main")
    response = await client.get(f"/api/v1/runs/{run_id}/logs/stream")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    last_seq = events[-2][1]["seq"]
    assert events[-1] == ("end", {"run_id": run_id, "state": "Success", "last_seq": last_seq})
    lines = [line for kind, chunk in events if kind == "log" for line in chunk["lines"]]
    assert lines == ["a", "b", "c"]
    assert len([kind for kind, _ in events if kind == "log"]) >= 2  # sent as they came


async def test_the_log_stream_resumes_after_last_event_id(client: httpx.AsyncClient) -> None:
    await apply(client, shell_workflow("two", "echo one", "echo two"))
    run_id = await trigger(client, "two", "main")
    await wait_run(client, run_id)
    chunks = (await client.get(f"/api/v1/runs/{run_id}/logs")).json()["chunks"]
    response = await client.get(
        f"/api/v1/runs/{run_id}/logs/stream", headers={"Last-Event-ID": str(chunks[0]["seq"])}
    )
    events = sse_events(response.text)
    assert [kind for kind, _ in events] == ["log", "end"]
    assert events[0][1]["lines"] == ["two"]
    missing = await client.get("/api/v1/runs/nope/logs/stream")
    assert missing.status_code == 404


async def test_cancel_a_long_run(client: httpx.AsyncClient) -> None:
    await apply(client, shell_workflow("long", "echo started; sleep 60"))
    run_id = await trigger(client, "long", "main")
    await wait_run(client, run_id, ("Running",))
    while not (await client.get(f"/api/v1/runs/{run_id}/logs")).json()["chunks"]:
        await asyncio.sleep(0.05)  # the step has started (bounded by the test timeout)
    response = await client.post(f"/api/v1/runs/{run_id}/cancel")
    assert response.status_code == 202
    run = await wait_run(client, run_id)
    assert run["state"] == "Cancelled"
    again = await client.post(f"/api/v1/runs/{run_id}/cancel")
    assert again.status_code == 409
    assert (await client.post("/api/v1/runs/nope/cancel")).status_code == 404


async def test_retry_a_failed_run_from_the_failed_node(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    marker = tmp_path / "ready"
    await apply(client, shell_workflow("flaky", f"echo try; test -f {marker}"))
    run_id = await trigger(client, "flaky", "main")
    failed = await wait_run(client, run_id)
    assert failed["state"] == "Error"
    marker.touch()
    response = await client.post(f"/api/v1/runs/{run_id}/retry")
    assert response.status_code == 202
    run = await wait_run(client, run_id)
    assert run["state"] == "Success"
    logs = (await client.get(f"/api/v1/runs/{run_id}/logs")).json()["chunks"]
    assert [line for chunk in logs for line in chunk["lines"]] == ["try", "try"]
    refused = await client.post(f"/api/v1/runs/{run_id}/retry")
    assert refused.status_code == 409
    assert "only a run that ended Error or Cancelled can be retried" in refused.json()["error"]


async def test_retry_from_a_node_the_run_does_not_have_is_404(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await apply(client, shell_workflow("flaky", "exit 1"))
    run_id = await trigger(client, "flaky", "main")
    await wait_run(client, run_id)
    response = await client.post(f"/api/v1/runs/{run_id}/retry", json={"from_node": "nope"})
    assert response.status_code == 404
    assert "has no node 'nope' to retry from" in response.json()["error"]
    assert (await client.get(f"/api/v1/runs/{run_id}")).json()["retries"] == []


async def test_events_stream_run_and_node_changes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await apply(client, shell_workflow("watched", "true"))
    stream = asyncio.create_task(client.get("/api/v1/events", params={"limit": 3}))
    while not runtime.hub._subscribers:  # the stream has subscribed
        await asyncio.sleep(0.01)
    run_id = await trigger(client, "watched", "main")
    response = await asyncio.wait_for(stream, 30)
    events = sse_events(response.text)
    assert len(events) == 3
    assert {kind for kind, _ in events} <= {"run", "node"}
    assert all(data["run"] == run_id for _, data in events)
    kind, first = events[0]
    assert (kind, first["workflow"], first["pipeline"]) == ("run", "watched", "main")


async def test_the_events_stream_ends_when_the_server_begins_to_stop(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    stream = asyncio.create_task(client.get("/api/v1/events"))  # no limit: it would go on
    while not runtime.hub._subscribers:  # the stream has subscribed
        await asyncio.sleep(0.01)
    runtime.begin_stop()  # as SIGTERM does: an open page must not hold the shutdown
    response = await asyncio.wait_for(stream, 10)
    assert sse_events(response.text) == [("closing", {"type": "closing"})]
    late = await asyncio.wait_for(client.get("/api/v1/events"), 10)
    assert sse_events(late.text) == []
