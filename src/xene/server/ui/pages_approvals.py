"""What waits for a person, `/approvals`: each waiting node with its metadata fields;
a manager decides it (approve, reject, escalate, with data and a reason) through the
API's `POST /api/v1/approvals/{hook}/{decision}` from approvals.js."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from xene.server.api.approvals import list_approvals
from xene.server.api.deps import RuntimeDep
from xene.server.ui.pages import Viewer
from xene.server.ui.render import page

router = APIRouter(include_in_schema=False)


@router.get("/approvals", response_class=HTMLResponse)
async def approvals(request: Request, who: Viewer, runtime: RuntimeDep) -> HTMLResponse:
    waiting = (await list_approvals(runtime)).approvals
    return page(request, "approvals.html", who, title="Approvals", approvals=waiting, shown=shown)


def shown(value: Any) -> str:
    """A metadata field's value as text: strings as they are, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
