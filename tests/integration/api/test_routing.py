"""Runs go to agents by label: a run whose pipeline needs `gpu` waits, saying why, while
no agent has it, and runs once a server whose built-in agent has it joins the store."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.integration.api.conftest import apply, client_of, trigger, wait_run
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store

GPU_WORKFLOW = """
kind: Workflow
metadata: {name: train}
spec:
  triggers: {manual: {type: manual}}
  pipelines:
    fit:
      trigger: manual
      agent: {labels: [gpu]}
      tasks:
        t: {steps: [{name: s, cmd: 'echo fitted'}]}
"""


async def test_a_run_waits_for_an_agent_with_its_labels(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/xene.db"
    plain_store, gpu_store = await open_store(url), await open_store(url)
    plain = Runtime(plain_store, ServerConfig(auth=False, poll_s=0.1))
    gpu = Runtime(gpu_store, ServerConfig(auth=False, poll_s=0.1, agent_labels=("gpu",)))
    await plain.start()
    try:
        async with client_of(create_app(plain)) as client:
            await apply(client, GPU_WORKFLOW)
            run_id = await trigger(client, "train", "fit")
            deadline = time.monotonic() + 20
            while (await client.get(f"/api/v1/runs/{run_id}")).json()[
                "waiting_for"
            ] != "no online agent has label gpu":
                assert time.monotonic() < deadline, "never said why it waits"
                await asyncio.sleep(0.05)
            run = (await client.get(f"/api/v1/runs/{run_id}")).json()
            assert run["state"] == "WaitingForExecutor"
            await gpu.start()
            done = await wait_run(client, run_id)
            assert done["state"] == "Success"
            assert done["waiting_for"] is None
    finally:
        await gpu.stop(0)
        await plain.stop(0)
        await plain_store.close()
        await gpu_store.close()


async def test_a_server_without_an_agent_leaves_its_runs_to_others(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/xene.db"
    api_store, worker_store = await open_store(url), await open_store(url)
    api = Runtime(api_store, ServerConfig(auth=False, poll_s=0.1, agent=False))
    worker = Runtime(worker_store, ServerConfig(auth=False, poll_s=0.1))
    await api.start()
    try:
        async with client_of(create_app(api)) as client:
            await apply(client, GPU_WORKFLOW.replace("      agent: {labels: [gpu]}\n", ""))
            run_id = await trigger(client, "train", "fit")
            run = (await client.get(f"/api/v1/runs/{run_id}")).json()
            assert (run["state"], run["waiting_for"]) == (
                "WaitingForExecutor",
                "no agent is online to run it",
            )
            assert (await client.get("/api/v1/agents")).json()["agents"] == []
            await worker.start()
            assert (await wait_run(client, run_id))["state"] == "Success"
    finally:
        await worker.stop(0)
        await api.stop(0)
        await api_store.close()
        await worker_store.close()
