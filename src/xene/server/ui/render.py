"""Pages rendered on the server (Jinja2, autoescaped), and who is looking at them.

Every page is a plain URL that can be shared; its data is read through the same service
layer as the API, and its scripts call the API's own routes (signed in by the session
cookie, writes carrying the CSRF header: server/auth.py). A page needs a signed-in
viewer; without one the browser is sent to `/login`, and back afterwards.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xene import __version__
from xene.core.records import seconds_text
from xene.server import auth
from xene.server.ui import assets

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(resources.files("xene.server.ui") / "templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(asset=assets.url, version=__version__)
_ENV.filters["seconds"] = seconds_text  # as `xene show` writes a duration
_ENV.filters["isotime"] = lambda at: (
    datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds") if at else ""
)

NAV = (
    ("/", "Workflows"),
    ("/runs", "Runs"),
    ("/approvals", "Approvals"),
    ("/machines", "State machines"),
    ("/agents", "Agents"),
)
"""The top navigation: path, label."""


class SignIn(Exception):
    """The page needs a signed-in viewer: send the browser to /login."""


async def viewer(request: Request) -> auth.Principal:
    """A dependency of every page: who looks (auth off: anonymous admin), else SignIn."""
    authenticator: auth.Authenticator = request.app.state.auth
    if not authenticator.enabled:
        return auth.ANONYMOUS_ADMIN
    try:
        principal = await authenticator.principal(request)
    except HTTPException as error:
        if error.status_code == 401:
            raise SignIn from None
        raise
    if principal.role == auth.AGENT:
        raise SignIn
    return principal


def page(
    request: Request, template: str, principal: auth.Principal, status: int = 200, **data: Any
) -> HTMLResponse:
    """`template` rendered for `principal`, with the layout's needs."""
    authenticator: auth.Authenticator = request.app.state.auth
    context = {
        "request": request,
        "path": request.url.path,
        "nav": NAV,
        "who": principal,
        "signed_in": authenticator.enabled,
        "can_write": principal.may("manager"),
        "is_admin": principal.may("admin"),
        "now": time.time(),
        **data,
    }
    html = _ENV.get_template(template).render(context)
    response = HTMLResponse(html, status, headers={"Cache-Control": "no-store"})
    if not request.cookies.get(auth.CSRF_COOKIE):  # the pages' scripts repeat it on writes
        secure = request.url.scheme == "https"
        value = data.get("csrf") or secrets.token_urlsafe(24)
        response.set_cookie(auth.CSRF_COOKIE, value, samesite="strict", secure=secure)
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """What a browser sees of an error on a page: the layout, the status and why."""
    title = {404: "Not found", 403: "Not allowed"}.get(status, "Something went wrong")
    principal = getattr(request.state, "principal", None) or auth.Principal("", "viewer")
    return page(request, "error.html", principal, status, title=title, message=message)


def to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API, a webhook or a static file)."""
    path = request.url.path
    if path.startswith(("/api/", "/hooks/", assets.PREFIX)):
        return False
    return "text/html" in request.headers.get("accept", "")
