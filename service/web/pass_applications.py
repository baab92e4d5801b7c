"""An enterprise's or producer's pass applications: apply for a vehicle pass or a staff
permit, follow each application's state (the bureau's reason when it is rejected) and,
once approved, show its QR code. Only its own: another holder's pass is not found.

The same domain functions as ``POST /api/v1/passes/applications`` and ``GET /api/v1/passes``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import DomainError
from models import Role
from models.base import utc_now
from pass_office import issuing, queries
from pass_office.queries import applicant_holder
from service.http.dependencies import SessionDep
from service.web.common import (
    FormDep,
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    field_errors,
    language_of,
    redirect,
    render,
)
from service.web.forms import TypedFields
from service.web.pass_forms import (
    KIND_WORDS,
    SCAN_WORDS,
    STATE_WORDS,
    PassForm,
    blank_form,
    pass_request,
    posted_form,
    qr_svg,
    region_choices,
    region_names,
    region_words,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LISTED = 100


def _applicant(session: Session, viewer: Principal) -> None:
    """Refuse anyone but an enterprise's (store) or a producer's people."""
    require_role(viewer, Role.store, Role.producer)
    applicant_holder(session=session, principal=viewer)


def _words() -> dict[str, Any]:
    return {"state_words": STATE_WORDS, "kind_words": KIND_WORDS, "scan_words": SCAN_WORDS}


def _page(
    request: Request,
    session: Session,
    viewer: Principal,
    form: PassForm,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The holder's own passes, newest first, and the application form."""
    found = queries.list_passes(
        session=session, principal=viewer, now=utc_now(), limit=LISTED, offset=0
    )
    return render(
        request,
        "passes/applications.html",
        {
            "passes": found.items,
            "total": found.total,
            "form": form,
            "region_choices": region_choices(session),
            "region_names": region_names(session, language_of(request)),
            "holders": False,
            "action": "/passes/applications",
            **_words(),
            **context,
        },
        status_code=status_code,
    )


@router.get("/passes/applications")
def applications(
    request: Request, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> HTMLResponse:
    _applicant(session, viewer)
    return _page(request, session, viewer, blank_form(now=utc_now(), zone=settings.zone))


@router.post("/passes/applications", dependencies=[Depends(check_csrf)])
def apply(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Send an application for the bureau to decide, or show every problem."""
    _applicant(session, viewer)
    typed = posted_form(form, holders=False)
    try:
        fields = TypedFields()
        asked = pass_request(typed, zone=settings.zone, fields=fields)
        applied = fields.check(
            lambda: issuing.apply_for_pass(
                session=session,
                principal=viewer,
                request=asked,
                now=utc_now(),
                max_days=settings.passes_max_days,
            )
        )
    except DomainError as error:
        session.rollback()
        shown = PassForm(typed.values, typed.regions, field_errors(error))
        return _page(request, session, viewer, shown, problem=error, status_code=error.status)
    return redirect(f"/passes/applications/{applied.code}?done=applied")


@router.get("/passes/applications/{code}")
def application(
    request: Request, code: str, session: SessionDep, viewer: ViewerDep, done: str = ""
) -> HTMLResponse:
    """One of the holder's own passes with its state and, once issued, its QR code."""
    _applicant(session, viewer)
    view = queries.read_pass(session=session, principal=viewer, code=code, now=utc_now())
    history = queries.pass_history(session=session, principal=viewer, code=code)
    return render(
        request,
        "passes/detail.html",
        {
            "pass": view,
            "qr": qr_svg(view.token),
            "region_words": region_words(session, view.regions, language_of(request)),
            "history": history,
            "office": False,
            "done": done[:16],
            **_words(),
        },
    )
