"""Signing in to the web UI with a token, and out again.

The token a person pastes is checked as the API checks it, then kept in an HttpOnly,
SameSite=Strict cookie (`Secure` over HTTPS): page scripts never see it. A second cookie
holds a random CSRF value that the pages' scripts repeat in `X-Xene-CSRF` on every write
(server/auth.py); the sign-in and sign-out forms carry it as a field.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xene.server import auth
from xene.server.ui.render import page

router = APIRouter(include_in_schema=False)
SESSION_S = 7 * 24 * 3600
"""How long a browser keeps the session cookie (the token's own expiry still applies)."""
MAX_FORM = 16 * 1024


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/") -> Response:
    authenticator: auth.Authenticator = request.app.state.auth
    if not authenticator.enabled:
        return RedirectResponse(_local(next), status_code=303)
    return _login(request, next, "", 200)


@router.post("/login", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    form = await _form(request)
    target = _local(form.get("next", "/"))
    authenticator: auth.Authenticator = request.app.state.auth
    if not authenticator.enabled:
        return RedirectResponse(target, status_code=303)
    token = form.get("token", "").strip()
    if not token:
        return _login(request, target, "Paste a token: `xene token create --role viewer`", 400)
    try:
        principal = await authenticator.check_token(token)
    except HTTPException as error:
        return _login(request, target, str(error.detail), 401)
    if principal.role == auth.AGENT:
        return _login(request, target, "an agent token cannot sign in to the UI", 403)
    response = RedirectResponse(target, status_code=303)
    secure = request.url.scheme == "https"
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=SESSION_S,
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    return response


@router.post("/logout")
async def sign_out(request: Request) -> Response:
    await _form(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE)
    return response


def _login(request: Request, target: str, problem: str, status: int) -> Response:
    csrf = request.cookies.get(auth.CSRF_COOKIE) or secrets.token_urlsafe(24)
    shown = page(
        request,
        "login.html",
        auth.Principal("", "viewer"),
        status,
        target=target,
        problem=problem,
        csrf=csrf,
    )
    return shown


async def _form(request: Request) -> dict[str, str]:
    """The posted form's fields, once its CSRF field matches the cookie (403 if not)."""
    auth.refuse_cross_site_form(request)
    body = await request.body()
    if len(body) > MAX_FORM:
        raise HTTPException(413, "the form is too large")
    fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    cookie = request.cookies.get(auth.CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(fields.get("csrf", ""), cookie):
        raise HTTPException(403, "the form has expired or came from another site: reload it")
    return fields


def _local(target: str) -> str:
    """Only a path of this server: never send a signed-in browser elsewhere."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
