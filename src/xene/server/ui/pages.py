"""The UI's pages: one route each, rendered from the service layer's reads. Each part
of the UI has a module of its own (pages_*.py), included by `install`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from xene.server import auth
from xene.server.ui.render import viewer

router = APIRouter(include_in_schema=False)
Viewer = Annotated[auth.Principal, Depends(viewer)]
