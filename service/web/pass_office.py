"""The bureau's pass office: applications waiting for a decision (approve, or reject with a
reason), issued passes searched by plate or holder, a pass with its QR code, audit trail
and scans, revocation after a confirmation, direct issue, bulk issue from a file, and the
scan log on a map by checkpoint.

Every action calls the pass office's domain functions, as ``/api/v1/passes`` does, so a
rule holds whichever way the bureau works; a refused action writes nothing.
"""

from __future__ import annotations

import io
from dataclasses import asdict
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.cells import csv_text, safe_frame
from core.errors import DomainError, InvalidInput
from models import Role
from models.base import utc_now
from pass_office import bulk, issuing, queries, scan_map, verification
from pass_office.authority import PassAuthority
from pass_office.queries import PassState
from pass_office.regions import may_change
from service.http.dependencies import PassAuthorityDep, SessionDep
from service.settings import Settings
from service.web.common import (
    LONG_PAGE_WORK,
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
from service.web.common import region_names as names_of_regions
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
from service.web.problems import field_problems

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LISTED = 50
"""Rows a list shows at once (the search narrows it)."""
SCANS_LISTED = 100
TEMPLATE_ROWS = (
    {
        "kind": "vehicle",
        "regions": "410402;410403",
        "valid_from": "2026-12-05",
        "valid_to": "2026-12-19",
        "enterprise": "LIANHUA",
        "plate": "豫D·12345",
        "vehicle_type": "refrigerated truck",
        "driver_name": "Wang Qiang",
        "driver_phone": "13800001111",
        "purpose": "restock supermarkets",
        "goods": "vegetables, pork",
    },
    {
        "kind": "staff",
        "regions": "410402",
        "valid_from": "2026-12-05T06:00",
        "valid_to": "2026-12-19T22:00",
        "enterprise": "LIANHUA",
        "person_name": "张伟",
        "id_number": "410402199001011234",
        "employer": "Lianhua Supermarkets",
        "workplace": "Lianhua Jianshe Road store",
        "home_compound": "Jianshe Road compound",
    },
)
"""Two example rows of the bulk template: a vehicle pass and a staff permit."""


def _bureau(viewer: Principal) -> None:
    require_role(viewer, Role.bureau)


def _words() -> dict[str, Any]:
    return {"state_words": STATE_WORDS, "kind_words": KIND_WORDS, "scan_words": SCAN_WORDS}


def _overview(
    request: Request,
    session: Session,
    viewer: Principal,
    *,
    q: str = "",
    state: PassState | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Applications waiting, oldest first, and the passes found by the search."""
    now = utc_now()
    waiting = queries.list_passes(
        session=session,
        principal=viewer,
        now=now,
        state=PassState.applied,
        oldest_first=True,
        limit=LISTED,
        offset=0,
    )
    found = queries.list_passes(
        session=session,
        principal=viewer,
        now=now,
        state=state,
        contains=q.strip() or None,
        limit=LISTED,
        offset=0,
    )
    return render(
        request,
        "passes/office.html",
        {
            "waiting": waiting.items,
            "changeable": {
                view.code
                for view in waiting.items
                if may_change(session=session, principal=viewer, regions=view.regions)
            },
            "waiting_total": waiting.total,
            "passes": found.items,
            "total": found.total,
            "q": q,
            "state": state.value if state else "",
            "states": list(PassState),
            "region_names": region_names(session, language_of(request)),
            **_words(),
            **context,
        },
        status_code=status_code,
    )


@router.get("/pass-office")
def office(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    q: Annotated[str, Query(max_length=64)] = "",
    state: PassState | None = None,
) -> HTMLResponse:
    """The bureau's pass office: what waits for a decision and the search of passes."""
    _bureau(viewer)
    return _overview(request, session, viewer, q=q, state=state)


@router.post("/pass-office/passes/{code}/approve", dependencies=[Depends(check_csrf)])
def approve(
    request: Request,
    code: str,
    session: SessionDep,
    viewer: ViewerDep,
    authority: PassAuthorityDep,
) -> Response:
    """Approve an application: its token is signed now."""
    _bureau(viewer)
    try:
        issuing.approve_pass(
            session=session, principal=viewer, code=code, authority=authority, now=utc_now()
        )
    except DomainError as error:
        session.rollback()
        return _overview(
            request, session, viewer, problem=error, problem_code=code, status_code=error.status
        )
    return redirect(f"/pass-office/passes/{code}?done=approved")


@router.post("/pass-office/passes/{code}/reject", dependencies=[Depends(check_csrf)])
def reject(
    request: Request,
    code: str,
    session: SessionDep,
    viewer: ViewerDep,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Reject an application with the reason its applicant reads."""
    _bureau(viewer)
    try:
        issuing.reject_pass(
            session=session, principal=viewer, code=code, reason=reason, now=utc_now()
        )
    except DomainError as error:
        session.rollback()
        return _overview(
            request, session, viewer, problem=error, problem_code=code, status_code=error.status
        )
    return redirect(f"/pass-office?done=rejected&code={code}")


def _detail(
    request: Request,
    session: Session,
    viewer: Principal,
    code: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A pass: its fields, QR code, validity, audit trail and the scans of it."""
    view = queries.read_pass(session=session, principal=viewer, code=code, now=utc_now())
    history = queries.pass_history(session=session, principal=viewer, code=code)
    scans = verification.list_scans(
        session=session, principal=viewer, pass_code=code, limit=SCANS_LISTED, offset=0
    )
    return render(
        request,
        "passes/detail.html",
        {
            "pass": view,
            "qr": qr_svg(view.token),
            "region_words": region_words(session, view.regions, language_of(request)),
            "history": history,
            "scans": scans.items,
            "scan_total": scans.total,
            "office": True,
            "changeable": may_change(session=session, principal=viewer, regions=view.regions),
            **_words(),
            **context,
        },
        status_code=status_code,
    )


@router.get("/pass-office/passes/{code}")
def detail(
    request: Request, code: str, session: SessionDep, viewer: ViewerDep, done: str = ""
) -> HTMLResponse:
    _bureau(viewer)
    return _detail(request, session, viewer, code, done=done[:16])


@router.post("/pass-office/passes/{code}/revoke", dependencies=[Depends(check_csrf)])
def revoke(
    request: Request,
    code: str,
    session: SessionDep,
    viewer: ViewerDep,
    reason: Annotated[str, Form(max_length=500)] = "",
    confirmed: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Revoke an issued pass with a reason; the first post asks to confirm."""
    _bureau(viewer)
    try:
        # a pass valid beyond a region-bound caller's region is refused (403) before
        # anything is asked, as the API refuses it
        queries.find_pass(session=session, principal=viewer, code=code, to_change=True)
        view = queries.read_pass(session=session, principal=viewer, code=code, now=utc_now())
        if not reason.strip() or view.state not in (PassState.approved, PassState.expired):
            # the pass office's own refusal (no reason, not issued), before asking to confirm
            issuing.revoke_pass(
                session=session, principal=viewer, code=code, reason=reason, now=utc_now()
            )
        if confirmed != "yes":
            return render(
                request,
                "passes/confirm_revoke.html",
                {"pass": view, "reason": reason.strip(), **_words()},
            )
        issuing.revoke_pass(
            session=session, principal=viewer, code=code, reason=reason, now=utc_now()
        )
    except DomainError as error:
        session.rollback()
        return _detail(
            request,
            session,
            viewer,
            code,
            problem=error,
            errors=field_errors(error),
            reason=reason,
            status_code=error.status,
        )
    return redirect(f"/pass-office/passes/{code}?done=revoked")


def _issue_page(
    request: Request,
    session: Session,
    form: PassForm,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    return render(
        request,
        "passes/issue.html",
        {
            "form": form,
            "region_choices": region_choices(session),
            "holders": True,
            "action": "/pass-office/issue",
            **_words(),
            **context,
        },
        status_code=status_code,
    )


@router.get("/pass-office/issue")
def issue_form(
    request: Request, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> HTMLResponse:
    """The form of a pass the bureau issues directly."""
    _bureau(viewer)
    return _issue_page(request, session, blank_form(now=utc_now(), zone=settings.zone))


@router.post("/pass-office/issue", dependencies=[Depends(check_csrf)])
def issue(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    authority: PassAuthorityDep,
    form: FormDep,
) -> Response:
    """Issue a pass directly (approved and signed at once), or show every problem."""
    _bureau(viewer)
    typed = posted_form(form, holders=True)
    try:
        fields = TypedFields()
        asked = pass_request(typed, zone=settings.zone, fields=fields)
        issued = fields.check(
            lambda: issuing.issue_pass(
                session=session,
                principal=viewer,
                request=asked,
                authority=authority,
                now=utc_now(),
                max_days=settings.passes_max_days,
            )
        )
    except DomainError as error:
        session.rollback()
        shown = PassForm(typed.values, typed.regions, field_errors(error))
        return _issue_page(request, session, shown, problem=error, status_code=error.status)
    return redirect(f"/pass-office/passes/{issued.code}?done=issued")


def _bulk_page(request: Request, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(request, "passes/bulk.html", context, status_code=status_code)


@router.get("/pass-office/bulk")
def bulk_form(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """Upload a file of passes to issue at once, with its template."""
    _bureau(viewer)
    return _bulk_page(request)


def _bulk_issue(
    session: Session,
    viewer: Principal,
    settings: Settings,
    authority: PassAuthority,
    file: UploadFile,
) -> bulk.BulkIssue:
    return bulk.issue_passes_from_file(
        session=session,
        principal=viewer,
        authority=authority,
        data=file.file.read(),
        filename=file.filename,
        now=utc_now(),
        zone=settings.zone,
        max_days=settings.passes_max_days,
        max_rows=settings.max_bulk_rows,
        max_listed_errors=settings.max_listed_errors,
    )


@router.post("/pass-office/bulk", dependencies=[Depends(check_csrf), LONG_PAGE_WORK])
def bulk_issue(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    authority: PassAuthorityDep,
    file: Annotated[UploadFile, File()],
) -> HTMLResponse:
    """Issue a pass for every row of the file, or none, listing each bad cell."""
    _bureau(viewer)
    try:
        issued = _bulk_issue(session, viewer, settings, authority, file)
    except DomainError as error:
        session.rollback()
        return _bulk_page(
            request,
            upload_problem=error,
            upload_problems=field_problems(error),
            status_code=error.status,
        )
    return _bulk_page(request, issued=issued)


@router.get("/pass-office/bulk/template.{extension}")
def bulk_template(extension: str, viewer: ViewerDep) -> Response:
    """The bulk file's columns with two example rows, as CSV or Excel."""
    _bureau(viewer)
    columns = [*bulk.REQUIRED_COLUMNS, *bulk.OPTIONAL_COLUMNS]
    frame = pd.DataFrame([{name: row.get(name, "") for name in columns} for row in TEMPLATE_ROWS])
    if extension == "xlsx":
        buffer = io.BytesIO()
        safe_frame(frame).to_excel(buffer, index=False, engine="openpyxl")
        return Response(
            buffer.getvalue(),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": 'attachment; filename="passes-template.xlsx"'},
        )
    if extension != "csv":
        raise InvalidInput("the template is a .csv or an .xlsx file")
    return Response(
        csv_text(frame),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="passes-template.csv"'},
    )


@router.get("/pass-office/scans")
def scans(
    request: Request, session: SessionDep, viewer: ViewerDep, checkpoint: str = ""
) -> HTMLResponse:
    """Where passes were scanned: each checkpoint on a map with its counts, and the log."""
    _bureau(viewer)
    places = scan_map.scans_by_checkpoint(session=session, principal=viewer)
    log = verification.list_scans(
        session=session,
        principal=viewer,
        checkpoint=checkpoint[:16] or None,
        limit=SCANS_LISTED,
        offset=0,
    )
    return render(
        request,
        "passes/scans.html",
        {
            "places": places,
            "map_places": [asdict(place) for place in places],
            "scans": log.items,
            "scan_total": log.total,
            "checkpoint": checkpoint[:16],
            "region_names": names_of_regions(
                session, [place.region for place in places], language_of(request)
            ),
            **_words(),
        },
    )
