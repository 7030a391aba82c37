"""Workflows (apply, list, get, delete) and their pipelines (modes, trigger now)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response

from xene.core.states import PipelineMode
from xene.errors import InvalidDefinition, Problem
from xene.ir import Location, Pipeline, Workflow
from xene.server import redact
from xene.server.api import deps, models
from xene.server.api.deps import MANAGER, VIEWER, RuntimeDep
from xene.service import pipelines
from xene.store.base import AppliedWorkflow, BreakerState

router = APIRouter(prefix="/api/v1", tags=["workflows"], responses=deps.ERRORS)

PLACEHOLDER_APPLIED = (
    '"***" is how Xene shows a hidden value, not a value: put the real one here (the '
    "text `xene get` and the API give has its secrets and tokens hidden)"
)


@router.post(
    "/workflows",
    response_model=models.AppliedOut,
    status_code=201,
    dependencies=[MANAGER],
    responses={
        200: {"model": models.AppliedOut, "description": "updated, or unchanged"},
        400: {"model": models.ProblemsOut, "description": "invalid definition"},
        422: {"model": models.ProblemsOut, "description": "valid, but cannot run yet"},
        415: {"model": models.ErrorOut, "description": "not YAML or JSON"},
    },
    openapi_extra=deps.text_body("the workflow definition (Xene manifest, flow or OpenState)"),
)
async def apply_workflow(
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> models.AppliedOut:
    """Create or update a workflow; its triggers converge to the new definition."""
    text, name = await deps.definition_text(request, filename)
    _refuse_placeholders(text, name)
    applied = await runtime.apply(text, name)
    response.status_code = 201 if applied.outcome == "created" else 200
    workflow = applied.workflow
    return models.AppliedOut(name=workflow.name, version=workflow.version, changed=applied.changed)


@router.get("/workflows", response_model=models.WorkflowListOut, dependencies=[VIEWER])
async def list_workflows(runtime: RuntimeDep) -> models.WorkflowListOut:
    workflows = []
    for applied in await runtime.store.list_workflows():
        found = runtime.workflows.get(applied.name)
        pipelines = [p.name for p in found[1].pipelines] if found else []
        workflows.append(
            models.WorkflowSummaryOut(
                name=applied.name,
                version=applied.version,
                applied_at=applied.applied_at,
                format=applied.format,
                pipelines=pipelines,
            )
        )
    return models.WorkflowListOut(workflows=workflows)


@router.get("/workflows/{name}", response_model=models.WorkflowOut, dependencies=[VIEWER])
async def get_workflow(name: str, runtime: RuntimeDep) -> models.WorkflowOut:
    """The applied definition, its pipelines with their triggers and modes. Credentials
    (secrets, tokens, passwords: in trigger params, in `envs`, anywhere in the text) are
    shown as `***`, to every role."""
    applied, definition = await runtime.workflow(name)
    modes = await runtime.store.pipeline_modes(name)
    answer = _workflow(applied, definition, modes)
    states = await runtime.store.breaker_states(name)
    for pipeline, out in zip(definition.pipelines, answer.pipelines, strict=True):
        out.breaker = _breaker(pipeline, states.get(pipeline.name))
    skipped = {fire.trigger: fire for fire in await runtime.store.skipped_fires(name)}
    for trigger in (t for out in answer.pipelines for t in out.triggers):
        if trigger.name in skipped:
            fire = skipped[trigger.name]
            trigger.skipped = models.SkippedOut(at=fire.at, reason=fire.reason, count=fire.count)
    return answer


@router.delete("/workflows/{name}", response_model=models.DeletedOut, dependencies=[MANAGER])
async def delete_workflow(name: str, runtime: RuntimeDep) -> models.DeletedOut:
    """Forget the workflow and stop its triggers; its runs stay."""
    await runtime.delete(name)
    return models.DeletedOut(name=name)


# Declared before the mode route: `runs` would otherwise match its `{action}`.
@router.post(
    "/workflows/{workflow}/pipelines/{pipeline}/runs",
    response_model=models.TriggeredOut,
    status_code=201,
    dependencies=[MANAGER],
    responses={
        200: {"model": models.TriggeredOut, "description": "the key's existing run"},
        **deps.QUEUE_FULL,
    },
    openapi_extra=deps.json_body("the run's input (any JSON value)"),
)
async def trigger(
    workflow: str,
    pipeline: str,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> models.TriggeredOut:
    """Queue a run now, with the JSON body as its input."""
    data = await deps.json_input(request)
    run_id, created = await runtime.trigger(
        workflow, pipeline, data, idempotency_key=idempotency_key or None
    )
    response.status_code = 201 if created else 200
    return models.TriggeredOut(run_id=run_id, created=created)


@router.post(
    "/workflows/{workflow}/pipelines/{pipeline}/{action}",
    response_model=models.ModeOut,
    dependencies=[MANAGER],
)
async def set_mode(
    workflow: str,
    pipeline: str,
    action: Literal["pause", "resume", "drain", "stop"],
    runtime: RuntimeDep,
) -> models.ModeOut:
    """pause: triggers do not fire, manual runs are refused; resume: active again, and
    its circuit breaker re-armed (counting runs from now); drain: no new runs, running
    ones finish; stop: no new runs, running ones are cancelled."""
    mode = pipelines.ACTIONS[action]
    await runtime.set_mode(workflow, pipeline, mode)
    return models.ModeOut(workflow=workflow, pipeline=pipeline, mode=mode)


def _workflow(
    applied: AppliedWorkflow, definition: Workflow, modes: Mapping[str, PipelineMode]
) -> models.WorkflowOut:
    triggers = {t.name: t for t in definition.triggers}
    pipelines = [
        models.PipelineOut(
            name=p.name,
            description=p.description,
            mode=modes.get(p.name, PipelineMode.ACTIVE),
            triggers=[
                models.TriggerOut(
                    name=t.name, type=t.type, enabled=t.enabled, params=redact.masked(t.params)
                )
                for t in (triggers[name] for name in p.triggers if name in triggers)
            ],
        )
        for p in definition.pipelines
    ]
    return models.WorkflowOut(
        name=applied.name,
        version=applied.version,
        applied_at=applied.applied_at,
        format=applied.format,
        filename=applied.filename,
        description=definition.description,
        text=redact.redact_text(applied.text),
        pipelines=pipelines,
    )


def _breaker(pipeline: Pipeline, state: BreakerState | None) -> models.BreakerOut | None:
    config, reason = pipeline.circuit_breaker, state.reason if state else ""
    if config is None and not reason:
        return None
    return models.BreakerOut(
        threshold=config.threshold if config else None,
        window=config.window if config else None,
        tripped=bool(reason),
        reason=reason,
        tripped_at=state.tripped_at if state else None,
    )


def _refuse_placeholders(text: str, filename: str) -> None:
    """A redacted text applied back would make `***` the webhook's secret: refuse it."""
    found = redact.placeholders(text)
    if found:
        problems = [Problem(Location(filename, f.line, f.path), PLACEHOLDER_APPLIED) for f in found]
        raise InvalidDefinition(problems)
