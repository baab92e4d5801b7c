"""The maps' district outlines: ``/maps/districts.geojson``, which every map page loads and
registers with ECharts, so stores, compounds and producers sit inside their districts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from masterdata.outlines import district_outlines
from service.http.dependencies import SessionDep
from service.web.common import PageRoute, ViewerDep

router = APIRouter(route_class=PageRoute, include_in_schema=False)

GEOJSON = "application/geo+json"


@router.get("/maps/districts.geojson")
def districts_geojson(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """Every district's outline as a FeatureCollection; 304 when the browser's copy
    (``If-None-Match``) is current, so a page reload costs one small request."""
    outlines = district_outlines(session=session)
    tag = f'"{outlines.tag}"'
    headers = {"ETag": tag, "Cache-Control": "private, no-cache"}
    wanted = {part.strip() for part in request.headers.get("if-none-match", "").split(",")}
    if tag in wanted or f"W/{tag}" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(content=outlines.body, media_type=GEOJSON, headers=headers)
