"""Timestamped webhook signatures through the API: fresh ones start runs, stale ones and
replays are refused, and `signature: timestamped` refuses GitHub-style signatures."""

from __future__ import annotations

import json
import time

import httpx

from tests.integration.api.conftest import apply, wait_run
from tests.integration.api.test_hooks import SECRET, hook_workflow, signed
from xene.triggers.webhook import timestamped_signature

BODY = json.dumps({"ref": "main"}).encode()


def stamped(body: bytes = BODY, at: float | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    return {
        "content-type": "application/json",
        "X-Xene-Timestamp": stamp,
        "X-Xene-Signature": timestamped_signature(secret.encode(), stamp, body),
    }


async def runs(client: httpx.AsyncClient) -> int:
    return len((await client.get("/api/v1/runs")).json()["runs"])


async def test_a_fresh_timestamped_delivery_starts_a_run(client: httpx.AsyncClient) -> None:
    await apply(client, hook_workflow("gh", f"secret: {SECRET!r}"))
    response = await client.post("/api/v1/hooks/gh/go", content=BODY, headers=stamped())
    assert response.status_code == 202, response.text
    (run_id,) = response.json()["runs"]
    assert (await wait_run(client, run_id))["input"] == {"ref": "main"}


async def test_a_replayed_delivery_is_409_and_starts_nothing(client: httpx.AsyncClient) -> None:
    await apply(client, hook_workflow("gh", f"secret: {SECRET!r}"))
    headers = stamped()
    first = await client.post("/api/v1/hooks/gh/go", content=BODY, headers=headers)
    again = {**headers, "X-Delivery-Id": "a-new-id"}  # delivery ids are not signed
    replay = await client.post("/api/v1/hooks/gh/go", content=BODY, headers=again)
    assert (first.status_code, replay.status_code) == (202, 409)
    assert "received already" in replay.json()["error"]
    assert await runs(client) == 1


async def test_a_stale_delivery_is_401_and_starts_nothing(client: httpx.AsyncClient) -> None:
    await apply(client, hook_workflow("gh", f"secret: {SECRET!r}"))
    old = stamped(at=time.time() - 600)
    response = await client.post("/api/v1/hooks/gh/go", content=BODY, headers=old)
    assert response.status_code == 401
    assert "s old" in response.json()["error"]
    assert await runs(client) == 0


async def test_a_tampered_body_is_401(client: httpx.AsyncClient) -> None:
    await apply(client, hook_workflow("gh", f"secret: {SECRET!r}"))
    tampered = b'{"ref": "evil"}'
    response = await client.post("/api/v1/hooks/gh/go", content=tampered, headers=stamped())
    assert response.status_code == 401
    assert "does not match" in response.json()["error"]


async def test_signature_timestamped_refuses_github_signatures(
    client: httpx.AsyncClient,
) -> None:
    """Else `<timestamp>.<body>` of a captured delivery, sent as a text body with the
    GitHub header, would pass forever."""
    await apply(client, hook_workflow("gh", f"secret: {SECRET!r}, signature: timestamped"))
    headers = stamped()
    stamp, mac = headers["X-Xene-Timestamp"], headers["X-Xene-Signature"].removeprefix("v1=")
    converted = f"{stamp}.".encode() + BODY
    assert signed(converted) == f"sha256={mac}"
    github = {"content-type": "text/plain", "X-Hub-Signature-256": signed(converted)}
    response = await client.post("/api/v1/hooks/gh/go", content=converted, headers=github)
    assert response.status_code == 401
    assert "takes only timestamped signatures" in response.json()["error"]
    assert (
        await client.post("/api/v1/hooks/gh/go", content=BODY, headers=headers)
    ).status_code == 202


async def test_without_the_param_github_signatures_still_pass(client: httpx.AsyncClient) -> None:
    await apply(client, hook_workflow("gh", f"secret: {SECRET!r}"))
    github = {"content-type": "application/json", "X-Hub-Signature-256": signed(BODY)}
    response = await client.post("/api/v1/hooks/gh/go", content=BODY, headers=github)
    assert response.status_code == 202


async def test_an_unknown_signature_param_is_refused_at_apply(client: httpx.AsyncClient) -> None:
    text = hook_workflow("gh", f"secret: {SECRET!r}, signature: hmac")
    response = await client.post(
        "/api/v1/workflows", content=text, headers={"content-type": "application/yaml"}
    )
    assert response.status_code == 409
    assert "signature is 'hmac': the only value is timestamped" in response.json()["error"]
    assert (await client.get("/api/v1/workflows")).json()["workflows"] == []


async def test_signature_timestamped_without_a_secret_is_refused_at_apply(
    client: httpx.AsyncClient,
) -> None:
    text = hook_workflow("gh", "token: t, signature: timestamped")
    response = await client.post(
        "/api/v1/workflows", content=text, headers={"content-type": "application/yaml"}
    )
    assert response.status_code == 409
    assert "needs a secret" in response.json()["error"]
