"""Secrets: admins set and delete them; anyone with a token lists their names.

No route returns a value, to any role: a value goes in (`PUT`), is encrypted with this
server's key before the store sees it, and comes out only into the steps of a run that
names it, masked as `***` in everything the run reports.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import Field

from xene.secrets.keys import SecretKeyError
from xene.secrets.vault import MAX_VALUE, SecretError, UnknownSecret
from xene.server import auth
from xene.server.api import deps
from xene.server.api.deps import VIEWER, RuntimeDep
from xene.server.api.errors import ApiError
from xene.server.api.models import ErrorOut, Model

router = APIRouter(prefix="/api/v1", tags=["secrets"], responses=deps.ERRORS)

Admin = Annotated[auth.Principal, Depends(auth.require("admin"))]
NAME_PATTERN = (
    # An environment variable's name that does not start with XENE_ (in any case), as
    # `xene.spec.secret_refs.name_problem` says; spelled out letter by letter, since the
    # validator's regex engine has no look-ahead.
    r"^(?:[A-WYZa-wyz_]|[Xx](?:$|[A-DF-Za-df-z0-9_]|[Ee](?:$|[A-MO-Za-mo-z0-9_]"
    r"|[Nn](?:$|[A-DF-Za-df-z0-9_]|[Ee](?:$|[A-Za-z0-9])))))[A-Za-z0-9_]*$"
)
Name = Annotated[
    str,
    Path(
        max_length=128,
        pattern=NAME_PATTERN,
        description="letters, digits and _, not starting with a digit nor with XENE_",
    ),
]

KEY_TROUBLE: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "a bad name or value: nothing was set"},
    500: {"model": ErrorOut, "description": "the server's secret key is missing or bad"},
}


class SecretIn(Model):
    value: str = Field(
        min_length=1,
        # Its limit is in bytes of UTF-8, which JSON Schema cannot say: over it, 400.
        description=f"the value, at most {MAX_VALUE // 1024} KiB of UTF-8",
    )


class SecretOut(Model):
    """A secret as listed: never its value."""

    name: str
    set_by: str = Field(description="the name of the token (or user@host) that set it")
    set_at: float


class SecretListOut(Model):
    secrets: list[SecretOut]


class SecretSetOut(Model):
    name: str
    created: bool = Field(description="false when it replaced a value")


@router.get("/secrets", response_model=SecretListOut, dependencies=[VIEWER])
async def list_secrets(runtime: RuntimeDep) -> SecretListOut:
    """Names, who set them and when; never a value."""
    listed = await runtime.secrets.list()
    return SecretListOut(
        secrets=[SecretOut(name=s.name, set_by=s.set_by, set_at=s.set_at) for s in listed]
    )


@router.put(
    "/secrets/{name}",
    response_model=SecretSetOut,
    status_code=201,
    responses={200: {"model": SecretSetOut, "description": "replaced"}, **KEY_TROUBLE},
)
async def set_secret(
    name: Name, body: SecretIn, response: Response, runtime: RuntimeDep, principal: Admin
) -> SecretSetOut:
    """Create or replace a secret (admins only); the answer does not repeat the value."""
    try:
        created = await runtime.secrets.set(name, body.value, principal.name, runtime.clock.now())
    except SecretKeyError as exc:
        raise ApiError(500, f"the server cannot encrypt secrets: {exc}") from exc
    except SecretError as exc:
        raise ApiError(400, str(exc)) from exc
    response.status_code = 201 if created else 200
    return SecretSetOut(name=name, created=created)


@router.delete("/secrets/{name}", status_code=204, response_class=Response, responses=KEY_TROUBLE)
async def delete_secret(name: Name, runtime: RuntimeDep, principal: Admin) -> Response:
    """Forget a secret (admins only); runs that name it cannot start any more."""
    try:
        await runtime.secrets.delete(name)
    except UnknownSecret as exc:
        raise ApiError(404, str(exc)) from exc
    except SecretError as exc:
        raise ApiError(400, str(exc)) from exc
    return Response(status_code=204)
