"""The maps' district outlines: ``/maps/districts.geojson``, which every map page loads and
registers with ECharts, so stores, compounds and producers sit inside their districts;
and the admin's page that uploads a district's outline (the same check as the API's)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import DomainError
from masterdata.outlines import (
    MAX_OUTLINE_POSITIONS,
    delete_outline,
    district_outline_summaries,
    district_outlines,
    parse_outline_file,
    set_outline,
)
from models import Role
from service.http.dependencies import SessionDep
from service.web.admin import SECTIONS
from service.web.common import PageRoute, ViewerDep, check_csrf, redirect, render
from service.web.problems import field_problems

router = APIRouter(route_class=PageRoute, include_in_schema=False)

GEOJSON = "application/geo+json"


@router.get("/maps/districts.geojson")
def districts_geojson(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """Every district's outline as a FeatureCollection; 304 when the browser's copy
    (``If-None-Match``) is current, so a page reload costs one small request."""
    outlines = district_outlines(session=session, principal=viewer)
    tag = f'"{outlines.tag}"'
    headers = {"ETag": tag, "Cache-Control": "private, no-cache"}
    wanted = {part.strip() for part in request.headers.get("if-none-match", "").split(",")}
    if tag in wanted or f"W/{tag}" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(content=outlines.body, media_type=GEOJSON, headers=headers)


def _admin(viewer: Principal) -> None:
    require_role(viewer, Role.admin)


def _outlines_page(
    request: Request,
    session: Session,
    viewer: Principal,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    return render(
        request,
        "admin/outlines.html",
        {
            "sections": SECTIONS,
            "name": "outlines",
            "districts": district_outline_summaries(session=session, principal=viewer),
            "max_positions": MAX_OUTLINE_POSITIONS,
            **context,
        },
        status_code=status_code,
    )


@router.get("/admin/outlines")
def outlines_page(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    """Which districts have an outline, and a form to upload one."""
    _admin(viewer)
    return _outlines_page(request, session, viewer)


@router.post("/admin/outlines", dependencies=[Depends(check_csrf)])
def upload_outline(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    region: Annotated[str, Form(max_length=64)],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Keep an uploaded GeoJSON file as a district's outline, or show why it was refused."""
    _admin(viewer)
    try:
        document = parse_outline_file(file.file.read())
        set_outline(session=session, principal=viewer, code=region, geometry=document)
    except DomainError as error:
        session.rollback()
        return _outlines_page(
            request,
            session,
            viewer,
            status_code=error.status,
            problem=error,
            problems=field_problems(error),
            chosen=region,
        )
    return redirect(f"/admin/outlines?saved={region}")


@router.post("/admin/outlines/{code}/delete", dependencies=[Depends(check_csrf)])
def remove_outline(code: str, session: SessionDep, viewer: ViewerDep) -> Response:
    """Remove a district's outline (the maps then draw it blank)."""
    _admin(viewer)
    delete_outline(session=session, principal=viewer, code=code)
    return redirect("/admin/outlines?removed=" + code)
