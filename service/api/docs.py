"""The API docs page (Swagger UI) under a Content-Security-Policy of its own."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from service.security_headers import docs_policy

docs_router = APIRouter(include_in_schema=False)


@docs_router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """FastAPI's Swagger UI page, allowed its CDN and exactly its own inline script: the
    pages' policy would refuse both, and Swagger UI is how people try the API."""
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url, title=f"{request.app.title} - API docs"
    )
    html = bytes(page.body).decode()
    return HTMLResponse(html, headers={"Content-Security-Policy": docs_policy(html)})
