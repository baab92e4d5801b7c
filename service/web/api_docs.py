"""The API's interactive documentation (Swagger UI), served from the vendored copy inside
the site's frame, so it works without internet and keeps the header and sign-out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.web.common import OptionalViewerDep, PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/docs")
def api_docs(request: Request, viewer: OptionalViewerDep) -> HTMLResponse:
    """Every API call to read and try (open to anyone; the header shows who is signed in)."""
    return render(request, "api_docs.html", {"openapi_url": request.app.openapi_url})
