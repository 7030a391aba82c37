"""Webhooks: a POST to a workflow's webhook trigger starts the pipelines it triggers.

A trigger whose params have `secret` (or `secret_env`, naming an environment variable)
needs an `X-Hub-Signature-256` HMAC of the body, or a timestamped `X-Xene-Signature`
(triggers/webhook.py; only that one with `signature: timestamped`); one with `token` (or
`token_env`) needs that token in `X-Xene-Token` or `?token=`; either may be
`${secrets.NAME}`, a stored secret. Either check stands in for a bearer token, since
senders such as GitHub cannot send one; a trigger with neither needs a bearer token with
the manager role, like any other way of starting runs.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response

from xene.core.states import PipelineMode
from xene.ir import Trigger, Workflow
from xene.server import auth
from xene.server.api import deps, models
from xene.server.api.deps import RuntimeDep
from xene.server.api.errors import ApiError
from xene.server.runtime import Conflict, NotFound, Runtime
from xene.store.base import AppliedWorkflow
from xene.triggers import webhook

log = logging.getLogger("xene.server.api")
router = APIRouter(prefix="/api/v1", tags=["webhooks"], responses=deps.ERRORS)

WEBHOOK_TYPES = ("webhook", "default")
TOKEN_HEADER = "X-Xene-Token"
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": models.HookOut, "description": "a duplicate delivery: nothing new ran"},
    400: {"model": models.ErrorOut, "description": "the body is not what its type says"},
    401: {"model": models.ErrorOut, "description": "the signature or token does not match"},
    500: {"model": models.ErrorOut, "description": "the secret the trigger names is unreadable"},
    409: {
        "model": models.ErrorOut,
        "description": "a timestamped signature seen before (a replay), or a disabled trigger",
    },
    **deps.QUEUE_FULL,
}
BODY = {
    "requestBody": {
        "required": False,
        "description": "the run input: JSON, a form, or any text (as {body: text})",
        "content": {
            "application/json": {"schema": {}},
            "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
        },
    }
}


# Declared first: `/hooks/w/path/x` would otherwise be trigger `path` plus a stray part.
@router.post(
    "/hooks/{workflow}/path/{path:path}",
    response_model=models.HookOut,
    status_code=202,
    responses=RESPONSES,
    openapi_extra=BODY,
)
async def deliver_by_path(
    workflow: str, path: str, request: Request, response: Response, runtime: RuntimeDep
) -> models.HookOut:
    """The webhook trigger of the flow format whose `params.path` is `path`."""
    started = time.perf_counter()
    known = await runtime.workflow_and_modes(workflow)
    definition = known[1]
    wanted = path.strip("/")
    for trigger in definition.triggers:
        given = trigger.params.get("path")
        if trigger.type in WEBHOOK_TYPES and isinstance(given, str) and given.strip("/") == wanted:
            return await _deliver(request, response, runtime, known, trigger, started)
    raise NotFound(f"workflow {workflow!r} has no webhook trigger with path /{wanted}")


@router.post(
    "/hooks/{workflow}/{trigger}",
    response_model=models.HookOut,
    status_code=202,
    responses=RESPONSES,
    openapi_extra=BODY,
)
async def deliver(
    workflow: str, trigger: str, request: Request, response: Response, runtime: RuntimeDep
) -> models.HookOut:
    """Start a run of every active pipeline the webhook trigger starts, with the JSON or
    form body as input. A delivery id (`X-GitHub-Delivery`, `X-Delivery-Id` or
    `Idempotency-Key`) seen before starts nothing and answers the same runs (200)."""
    return await deliver_named(request, response, runtime, workflow, trigger)


async def deliver_named(
    request: Request, response: Response, runtime: Runtime, workflow: str, trigger: str
) -> models.HookOut:
    """`deliver`, also served without FastAPI's routing (hook_path.py)."""
    started = time.perf_counter()
    known = await runtime.workflow_and_modes(workflow)
    definition = known[1]
    found = next((t for t in definition.triggers if t.name == trigger), None)
    if found is None or found.type not in WEBHOOK_TYPES:
        what = "no trigger" if found is None else f"a {found.type} trigger, not a webhook,"
        raise NotFound(f"workflow {workflow!r} has {what} named {trigger!r}")
    return await _deliver(request, response, runtime, known, found, started)


async def _deliver(
    request: Request,
    response: Response,
    runtime: Runtime,
    known: tuple[AppliedWorkflow, Workflow, dict[str, PipelineMode]],
    trigger: Trigger,
    started: float,
) -> models.HookOut:
    applied, definition, modes = known
    if not trigger.enabled:
        raise Conflict(f"trigger {trigger.name!r} of {definition.name!r} is disabled")
    body = await request.body()
    await _verify(request, body, runtime, definition, await _with_secrets(runtime, trigger))
    data = _input(request.headers.get("content-type", ""), body)
    delivery = webhook.delivery_key(request.headers)
    key = None if delivery is None else f"hook:{definition.name}/{trigger.name}:{delivery}"
    pipelines = [p.name for p in definition.pipelines if trigger.name in p.triggers]
    await runtime.admit(trigger.type, len(pipelines))  # all of the delivery, or 503
    runs, created = [], False
    queued = await runtime.start_admitted(applied, pipelines, data, key, modes, trigger.name)
    for run_id, new in queued:
        if new:
            runtime.metrics.trigger_fires.labels(trigger.type).inc()
        runs.append(run_id)
        created = created or new
    runtime.metrics.webhook_seconds.observe(time.perf_counter() - started)
    duplicate = bool(runs) and not created
    response.status_code = 200 if duplicate else 202
    return models.HookOut(runs=runs, duplicate=duplicate)


async def _verify(
    request: Request, body: bytes, runtime: Runtime, definition: Workflow, trigger: Trigger
) -> None:
    secret = _configured(trigger.params, "secret")
    token = _configured(trigger.params, "token")
    if secret is None and token is None:
        authenticator: auth.Authenticator = request.app.state.auth
        auth.check(await authenticator.principal(request), "manager")
        return
    if secret is not None:
        where = f"{definition.name}/{trigger.name}"
        await _check_signature(request, body, secret, runtime, where, _scheme(trigger, where))
    if token is not None:
        given = request.headers.get(TOKEN_HEADER) or request.query_params.get("token")
        if not webhook.verify_token(token, given):
            problem = "is missing" if given is None else "does not match"
            raise ApiError(401, f"the webhook token ({TOKEN_HEADER} or ?token=) {problem}")


async def _with_secrets(runtime: Runtime, trigger: Trigger) -> Trigger:
    """The trigger with each `secret:`/`token:` written `${secrets.NAME}` replaced by
    that secret's value, read from the store now (so a secret set again takes effect)."""
    if not trigger.secrets:
        return trigger
    from dataclasses import replace

    from xene.spec.secret_refs import param_secret

    try:
        values = await runtime.secrets.resolve([ref.name for ref in trigger.secrets])
    except Exception as exc:  # an unknown secret (deleted since apply) or a bad key
        log.error("webhook %s cannot read its secret: %s", trigger.name, exc)
        raise ApiError(500, f"the server cannot check this webhook: {exc}") from exc
    params = dict(trigger.params)
    for key, value in trigger.params.items():
        name = param_secret(value)
        if name is not None and name in values:
            params[key] = values[name]
    return replace(trigger, params=params)


async def _check_signature(
    request: Request, body: bytes, secret: str, runtime: Runtime, where: str, scheme: str | None
) -> None:
    """The timestamped signature when one is sent (or when the trigger demands it), else
    the GitHub one. A timestamped one is recorded as a fire of the trigger's signatures:
    the same pair again is a replay (409), on every server sharing the store."""
    headers = request.headers
    if scheme != "timestamped" and webhook.TIMESTAMPED_HEADER not in headers:
        signature = headers.get(webhook.SIGNATURE_HEADER)
        if not webhook.verify_signature(secret.encode(), body, signature):
            problem = "is missing" if signature is None else "does not match the body"
            raise ApiError(401, f"the {webhook.SIGNATURE_HEADER} signature {problem}")
        return
    now = runtime.clock.now()
    try:
        seen = webhook.verify_timestamped(
            secret.encode(),
            body,
            headers.get(webhook.TIMESTAMP_HEADER),
            headers.get(webhook.TIMESTAMPED_HEADER),
            now,
        )
    except webhook.BadSignature as exc:
        only = " (this webhook takes only timestamped signatures)" if scheme else ""
        raise ApiError(401, f"{exc}{only}") from exc
    if not await runtime.store.record_fire(f"hook-signature:{where}", seen, now):
        raise Conflict(
            f"this signed delivery was received already (same {webhook.TIMESTAMP_HEADER} "
            f"and {webhook.TIMESTAMPED_HEADER}): a replay; sign each delivery afresh"
        )


def _scheme(trigger: Trigger, where: str) -> str | None:
    try:
        return webhook.signature_scheme(trigger.params)
    except ValueError as exc:
        log.error("webhook %s: %s", where, exc)
        raise ApiError(500, f"the webhook {where} is misconfigured: {exc}") from exc


def _configured(params: Mapping[str, Any], name: str) -> str | None:
    """`params[name]`, or the environment variable `params[name + "_env"]` names."""
    value = params.get(name)
    if value is not None:
        return str(value)
    variable = params.get(f"{name}_env")
    if variable is None:
        return None
    found = os.environ.get(str(variable))
    if not found:
        log.error("webhook %s_env names %s, which is not set", name, variable)
        raise ApiError(500, f"the server lacks the webhook's {name}: ${variable} is not set")
    return found


def _input(content_type: str, body: bytes) -> Any:
    try:
        data = webhook.webhook_input(content_type, body)
    except webhook.BadPayload as exc:
        raise ApiError(400, str(exc)) from exc
    except RecursionError as exc:
        raise ApiError(400, "the body nests too deeply") from exc
    deps.check_json(data)
    return data
