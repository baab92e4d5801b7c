"""Passes to print, for a car without a phone holder: a print view of one pass (its QR
code, plate or holder, validity and regions; print CSS), the same pass as a PDF, and a
committed dispatch plan's passes as one PDF, a page per truck. The pages call the same
``pass_office.printing`` functions as the API, with the signed-in viewer's rights."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from core.documents import PDF_MEDIA_TYPE
from dispatch.access import require_plan_writer
from models.base import utc_now
from pass_office import printing
from pass_office.queries import find_pass
from passes import pass_qr_code
from service.http.dependencies import DocumentShelfDep, SessionDep
from service.http.pass_documents import kept_pass_pdf
from service.http.schemas import DatabaseId
from service.translations import translations
from service.web.common import LONG_PAGE_WORK, PageRoute, SettingsDep, ViewerDep, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content,
        media_type=PDF_MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


@router.get("/passes/{code}/print")
def print_view(
    request: Request, code: str, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> HTMLResponse:
    """The pass laid out for paper in the viewer's language, with a print button."""
    row, _, _ = find_pass(session=session, principal=viewer, code=code)
    printed = printing.printed_pass(session, row, now=utc_now(), zone=settings.zone)
    return render(
        request,
        "passes/print.html",
        {
            "printed": printed,
            "qr": Markup(pass_qr_code(token=printed.token, scale=4).svg),
            "verify_note": printing.VERIFY_NOTE,
        },
    )


@router.get("/passes/{code}/print.pdf", dependencies=[LONG_PAGE_WORK])
def print_pdf(
    code: str,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    shelf: DocumentShelfDep,
) -> Response:
    """The pass as a PDF in Chinese and English, for whoever may read it (kept once drawn)."""
    content = kept_pass_pdf(
        session=session, principal=viewer, code=code, now=utc_now(), settings=settings, shelf=shelf
    )
    return _pdf(content, f"pass-{code}")


@router.get("/dispatch/plans/{plan_id}/passes.pdf", dependencies=[LONG_PAGE_WORK])
def plan_passes_pdf(
    plan_id: DatabaseId, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> Response:
    """A committed plan's passes, a page per truck, to hand out at the depot."""
    require_plan_writer(viewer)  # as the API: a plan's trucks span regions
    content = printing.plan_passes_pdf(
        session=session,
        plan_id=plan_id,
        now=utc_now(),
        zone=settings.zone,
        font_file=settings.pdf_font_file,
        chinese=translations("zh").gettext,
        principal=viewer,
    )
    return _pdf(content, f"plan-{plan_id}-passes")
