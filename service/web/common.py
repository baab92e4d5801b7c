"""What every page shares: templates, language, the signed-in person, CSRF and errors.

Pages sign people in with the same session tokens as the API (``accounts.authentication``), kept
in an HttpOnly cookie. Every form carries a CSRF token, and htmx sends it as a header: for a
signed-in browser an HMAC of its session token (so no other browser's token matches), before
sign-in a random token that must match a second cookie (double submit). Domain errors raised while a
page works become an HTML page (or a redirect to sign in), never problem+json.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Callable, Coroutine, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar
from urllib.parse import quote, urlsplit

from fastapi import Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from accounts.authentication import authenticate_token
from core.access import Principal
from core.database import SessionFactory, mark_read_only, read_apart
from core.errors import DomainError, Forbidden, InvalidInput, Unauthenticated
from core.job_allowance import long_work_in_request
from core.security import csrf_token_for_session
from core.text import Text, field_problem
from masterdata.choices import Choice, choices
from masterdata.products import UnitView, list_products, list_units
from models import Region, Role
from service.http.dependencies import SESSION_COOKIE, SessionDep, get_settings, refuse_request
from service.http.schemas import reject_nul_characters
from service.http.units import UnitWords
from service.settings import Settings
from service.translations import template_words
from service.web.i18n import pick_language, problem_text, template_gettext
from service.web.problems import field_problems, form_problem

TEMPLATES = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
)
TEMPLATES.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
"""Each render passes its language's ``gettext``/``ngettext`` (``_`` resolves to them)."""
CSRF_COOKIE = "supplywatch_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LANGUAGE_COOKIE = "supplywatch_lang"
T = TypeVar("T")
PRODUCTS_NAMED = 5000
"""More products than a city's catalogue holds: a page names every one it shows."""

HOME_BY_ROLE: dict[Role, str] = {
    Role.admin: "/admin",
    Role.bureau: "/dashboard",
    Role.store: "/store",
    Role.dispatcher: "/dispatch",
    Role.driver: "/driver",
    Role.producer: "/producer",
    Role.receiver: "/receiver",
    Role.operator: "/hotline/queue",
    Role.working_group: "/hotline/queue",
    Role.checkpoint: "/checkpoint",
    Role.service_officer: "/officers/me",
}


def secure_cookies(settings: Settings) -> bool:
    """Cookies carry Secure when the service is served over HTTPS (SUPPLYWATCH_BASE_URL)."""
    return settings.base_url.startswith("https")


def language_of(request: Request) -> str:
    """The language a page is rendered in."""
    return pick_language(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )


class Named(Protocol):
    """Master data a page names: a product, a category, a region, a working group."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def name_zh(self) -> str | None: ...


def names_by_code(things: Iterable[Named], language: str) -> dict[str, str]:
    """Each thing's name by its code in ``language`` (English where no Chinese is set): a
    page says what it shows by name, never by code."""
    return {
        thing.code: (thing.name_zh if language == "zh" else None) or thing.name for thing in things
    }


def region_names(session: Session, codes: Iterable[str], language: str) -> dict[str, str]:
    """The names of the regions ``codes`` in ``language`` (English where no Chinese is
    set), by code: a Chinese page names a producer's or an offer's town in Chinese."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return names_by_code(session.scalars(select(Region).where(Region.code.in_(wanted))), language)


def product_names(session: Session, language: str) -> dict[str, str]:
    """Every product's name by code in ``language``: what is ordered or carried."""
    return names_by_code(
        list_products(session=session, limit=PRODUCTS_NAMED, offset=0).items, language
    )


def _expected_csrf_token(request: Request) -> str:
    """The token this browser's forms must carry: bound to its session once signed in,
    else the sign-in page's cookie ('' when there is none yet)."""
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token:
        return csrf_token_for_session(session_token)
    return request.cookies.get(CSRF_COOKIE, "")


def csrf_token(request: Request) -> str:
    """The request's CSRF token; before sign-in a new one is set on the response if needed."""
    token = getattr(request.state, "csrf_token", None) or _expected_csrf_token(request)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf_token = token
    request.state.csrf_token = token
    return str(token)


def set_csrf_cookie(response: Response, token: str, settings: Settings) -> None:
    """Store the CSRF token the forms of this browser must echo."""
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(settings)
    )


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request whose token is not this browser's session's."""
    if request.method in ("GET", "HEAD"):
        return
    expected = _expected_csrf_token(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    # compare_digest takes ASCII text only (a token such as "ключ" raised TypeError, a
    # 500); the expected token is ASCII, so any other one simply does not match
    if not expected or not sent.isascii() or not secrets.compare_digest(expected, sent):
        raise Forbidden("The form expired; reload the page and try again.")


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def reject_nul_in_page_input(request: Request) -> None:
    """Refuse a page request whose address, query or form holds a NUL character, as the
    API refuses its bodies: PostgreSQL cannot compare or store one, and a sign-in or a
    public page would otherwise answer 500 instead of the page a bad field gets."""
    reject_nul_characters(request)
    if request.method in ("GET", "HEAD"):
        return
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        return
    for name, value in (await request.form()).multi_items():
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            raise InvalidInput(
                "form field {name} contains a NUL character",
                errors=[field_problem(["body", name], "must not contain a NUL character")],
                name=name.replace("\x00", ""),
            )


def get_viewer(request: Request, session: SessionDep) -> Principal:
    """The person signed in through the session cookie, or Unauthenticated (→ sign-in)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthenticated("Your session has ended; sign in again.")
    principal = read_apart(session, lambda: authenticate_token(session, token))
    if principal.kind != "user":
        raise Unauthenticated("Your session has ended; sign in again.")
    request.state.viewer = principal
    if principal.region_id is not None:
        request.state.viewer_region = session.get(Region, principal.region_id)
    return principal


def find_viewer(request: Request) -> None:
    """Find the person signed in for a page rendered where no page dependency did (an
    unknown address, a form refused before its page ran), in a short read-only session of
    its own, so the error page keeps their navigation; nobody if the cookie is stale."""
    if getattr(request.state, "viewer", None) is not None or not request.cookies.get(
        SESSION_COOKIE
    ):
        return
    factory: SessionFactory = request.app.state.session_factory
    with factory() as session:
        mark_read_only(session)
        try:
            get_viewer(request, session)
        except (Unauthenticated, SQLAlchemyError):
            request.state.viewer = None  # the page still says what went wrong


async def error_page(request: Request, error: DomainError) -> HTMLResponse:
    """The error page, with the signed-in person's navigation like every other page."""
    await run_in_threadpool(find_viewer, request)
    return render(request, "error.html", {"error": error}, status_code=error.status)


async def posted_form(request: Request) -> FormData:
    """The posted form, read before a plain ``def`` page runs (it must not await), for
    forms whose fields the data names (one per product, or per admin section field)."""
    return await request.form()


ViewerDep = Annotated[Principal, Depends(get_viewer)]


def optional_viewer(request: Request, session: SessionDep) -> Principal | None:
    """The person signed in, or None on a page open to anyone."""
    try:
        return get_viewer(request, session)
    except Unauthenticated:
        return None


OptionalViewerDep = Annotated[Principal | None, Depends(optional_viewer)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
FormDep = Annotated[FormData, Depends(posted_form)]


def hold_long_page_work(
    session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> Iterator[None]:
    """A page that runs long work in its request (a breakdown's re-plan, a bulk file, a
    plan's passes PDF) holds one of the person's job allowance while it runs, as
    :func:`service.http.dependencies.hold_long_work` does for the API."""
    with long_work_in_request(
        session, principal=viewer, most_unfinished=settings.max_unfinished_jobs
    ):
        yield


LONG_PAGE_WORK = Depends(hold_long_page_work, scope="function")
MAX_LIST_PAGE = 100_000
"""The last page a list may be asked for: a larger number would reach the database as an
offset too large for it (a lower one than 1 is read as the first)."""
ListPage = Annotated[int, Query(le=MAX_LIST_PAGE, description="Page of the list, from 1")]
FIRST_PAGE_DAY = date(1900, 1, 1)
LAST_PAGE_DAY = date(2999, 12, 31)
"""The business days a page may be asked for: a day at the calendar's edge (0001-01-01,
9999-12-31) has no day before or after it, and the page's date arithmetic would overflow."""
PageDay = Annotated[
    date | None, Query(ge=FIRST_PAGE_DAY, le=LAST_PAGE_DAY, description="Business day")
]


def _number(value: Any, digits: int = 1) -> str:
    """A number for people: fixed digits, '–' when there is none or it is endless."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _local_time(value: datetime | None, settings: Settings) -> str:
    if value is None:
        return "–"
    return value.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")


def _read_for_page(request: Request, read: Callable[[Session], T]) -> T:
    """What a template asks for, read in the request's session (so a page shows what its
    request sees); in a short read-only session of its own where none is open (an error
    page, a public form)."""
    session: Session | None = getattr(request.state, "session", None)
    if session is not None:
        return read(session)
    factory: SessionFactory = request.app.state.session_factory
    with factory() as own:
        mark_read_only(own)
        return read(own)


def _units_of(request: Request) -> list[UnitView]:
    """The units table, as the request's page reads it."""
    return _read_for_page(request, lambda session: list_units(session=session))


def picker_choices(request: Request, kind: str, text: str | None) -> list[Choice]:
    """The first choices a picker field of the page offers for what it holds, as the
    page's reader (the public, when nobody signed in) may read them."""
    viewer: Principal | None = getattr(request.state, "viewer", None)
    text = text.unescape() if isinstance(text, Markup) else text or ""  # a macro's output
    return _read_for_page(
        request,
        lambda session: choices(session=session, principal=viewer, kind=kind, text=text),
    )


def unit_words_of(request: Request) -> UnitWords:
    """The words for units in the request's page (its template's ``unit_name``): the units
    table is read at most once a request, and only by a Chinese page that shows a unit."""
    words: UnitWords | None = getattr(request.state, "unit_words", None)
    if words is None:
        words = UnitWords(language_of(request), lambda: _units_of(request))
        request.state.unit_words = words
    return words


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with the frame's context: language, viewer, CSRF token, and
    ``unit_name(code)``, a unit as the page's reader calls it."""
    settings: Settings = request.app.state.settings
    language = language_of(request)
    token = csrf_token(request)
    viewer: Principal | None = getattr(request.state, "viewer", None)
    frame = {
        "request": request,
        **template_gettext(language),
        "problem_text": lambda text: problem_text(text, language),
        **template_words(language),
        "lang": language,
        "viewer": viewer,
        "viewer_region": getattr(request.state, "viewer_region", None),
        "home": HOME_BY_ROLE.get(viewer.role, "/") if viewer else "/login",
        "csrf_token": token,
        "csrf_field": Markup(
            f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'  # token is urlsafe
        ),
        "num": _number,
        "unit_name": unit_words_of(request),
        "picker_choices": lambda kind, text: picker_choices(request, kind, text),
        "local_time": lambda value: _local_time(value, settings),
        "to_json": script_json,
        "Role": Role,
        "path": request.url.path,
    }
    response = TEMPLATES.TemplateResponse(
        request, template, {**frame, **(context or {})}, status_code=status_code
    )
    new_token = getattr(request.state, "new_csrf_token", None)
    if new_token:
        set_csrf_cookie(response, new_token, settings)
    return response


SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}
"""Characters the HTML parser reads inside a script block (``</script``, ``<!--``), written
as JSON escapes instead: the script's ``JSON.parse`` reads the same text."""


def script_json(value: Any) -> Markup:
    """``value`` as JSON to put inside ``<script type="application/json">``: no name can
    end the block early or, with ``<!--<script>``, keep it open past its own end tag."""
    text = json.dumps(value, default=_json_default, ensure_ascii=False)
    return Markup(text.translate(SCRIPT_ESCAPES))


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def redirect(url: str) -> RedirectResponse:
    """Post/redirect/get: a 303 to ``url``."""
    return RedirectResponse(url, status_code=303)


def same_site_path(request: Request, url: str | None) -> str | None:
    """The path and query of ``url`` when it is an address on this site (the page a form
    was posted from, by its Referer), else None: a redirect never leaves the site."""
    if not url or "\\" in url or any(ord(ch) < 0x20 or ch == "\x7f" for ch in url):
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.url.netloc:
        return None
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_unless_htmx(request: Request, page: str) -> RedirectResponse | None:
    """A redirect to the whole page a fragment belongs to when the fragment's address is
    opened directly (a bookmark, a shared link, a reload), since alone it has no styles,
    navigation or context; ``None`` for htmx's own requests."""
    if request.headers.get("hx-request"):
        return None
    return redirect(page)


class PageRoute(APIRoute):
    """A page route: domain errors become an HTML error page, a missing or expired
    session a redirect to the sign-in page that comes back here afterwards; a request that
    ends in an error, caught here or rendered by the page itself, writes nothing."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            response = await _page_or_problem(handler, request)
            if response.status_code >= 400:
                refuse_request(request)
            return response

        return page_handler


async def _page_or_problem(
    handler: Callable[[Request], Coroutine[Any, Any, Response]], request: Request
) -> Response:
    """The page, or the page an error turns into (the request is then refused)."""
    try:
        return await handler(request)
    except Unauthenticated:
        refuse_request(request)
        back = request.url.path if request.method == "GET" else "/"
        response = redirect(f"/login?next={quote(back)}")
        if request.headers.get("hx-request"):
            response.headers["HX-Redirect"] = f"/login?next={quote(back)}"
        return response
    except DomainError as error:
        refuse_request(request)
        return await error_page(request, error)
    except RequestValidationError as error:
        refuse_request(request)
        return await error_page(request, form_problem(error.errors()))


def allowed(viewer: Principal, *roles: Role) -> bool:
    """Whether ``viewer`` has one of ``roles`` (admins have them all)."""
    return viewer.role is Role.admin or viewer.role in roles


def field_errors(error: DomainError, *, skip: int = 1) -> dict[str, Text]:
    """A domain error's field problems by field name (the last part of each ``loc`` after
    ``skip`` leading parts, joined with '.'), for messages beside form fields."""
    found: dict[str, Text] = {}
    for item in field_problems(error):
        found.setdefault(".".join(str(part) for part in item.loc[skip:]), item.text)
    return found
