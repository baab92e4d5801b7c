"""Signing in and out of the pages, the language switch, and each role's home page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from accounts.authentication import authenticate_token, login, logout
from core.errors import DomainError, TooManyRequests
from service.configuration import login_limits
from service.http.dependencies import (
    SESSION_COOKIE,
    SessionDep,
    SessionFactoryDep,
    client_address,
)
from service.web.common import (
    HOME_BY_ROLE,
    LANGUAGE_COOKIE,
    PageRoute,
    SettingsDep,
    check_csrf,
    redirect,
    render,
    secure_cookies,
)
from service.web.i18n import LANGUAGES

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site may be a redirect target (no open redirect). Browsers read
    a backslash as a slash and drop tabs and line breaks, so ``/\\evil.example`` or
    ``/<tab>/evil.example`` would leave the site: any of them refuses the target."""
    if not target:
        return None
    if "\\" in target or any(ord(character) < 0x20 or character == "\x7f" for character in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@router.get("/")
def home(request: Request, session: SessionDep) -> RedirectResponse:
    """Send a signed-in person to their role's home page, anyone else to sign in."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            principal = authenticate_token(session, token)
        except DomainError:
            return redirect("/login")
        return redirect(HOME_BY_ROLE.get(principal.role, "/docs"))
    return redirect("/login")


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next) or "", "message": None})


@router.post("/login", dependencies=[Depends(check_csrf)])
def sign_in(
    request: Request,
    session: SessionDep,
    session_factory: SessionFactoryDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        signed_in = login(
            session=session,
            failures_in=session_factory,
            username=username.strip(),
            password=password,
            address=client_address(request),
            limits=login_limits(settings),
            session_length=timedelta(hours=settings.session_hours),
        )
    except DomainError as error:
        message = error.text if isinstance(error, TooManyRequests) else None
        refused = render(
            request,
            "login.html",
            {
                "next": _safe_next(next) or "",
                "message": message,
                "failed": True,
                "username": username,
            },
            status_code=error.status,
        )
        refused.headers.update(error.headers or {})  # a 429's Retry-After, as the API's
        return refused
    response = redirect(_safe_next(next) or HOME_BY_ROLE.get(signed_in.user.role, "/docs"))
    secure = secure_cookies(settings)
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    return response


@router.post("/logout", dependencies=[Depends(check_csrf)])
def sign_out(request: Request, session: SessionDep) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        logout(session, token)
    response = redirect("/login?signed_out=1")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/language/{language}", dependencies=[Depends(check_csrf)])
def switch_language(
    language: str,
    settings: SettingsDep,
    next: Annotated[str, Form(max_length=8192)] = "",
) -> RedirectResponse:
    """The header's language switch, remembered in a cookie for a year: a form with the
    page's CSRF token, so another site cannot change a reader's language behind their back."""
    response = redirect(_safe_next(next) or "/")
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=secure_cookies(settings),
        )
    return response


@router.get("/language/{language}")
def language_link(next: str | None = None) -> RedirectResponse:
    """An old link to the switch (a bookmark, another site's image) leads back to the page
    and changes nothing."""
    return redirect(_safe_next(next) or "/")
