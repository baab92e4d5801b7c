"""Server-rendered pages for people (Jinja2 + htmx + ECharts), one module per area.

The pages call the same domain functions as the JSON API (ingest, monitors, auth,
catalog) in-process; they parse a form, call, and render.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from service.web import (
    admin,
    alerts,
    auth,
    checkpoint,
    dashboard,
    dispatch,
    store,
    supply,
    supply_parties,
)

STATIC_DIRECTORY = Path(__file__).resolve().parent.parent / "static"

web_router = APIRouter(include_in_schema=False)
for module in (auth, dashboard, alerts, store, admin, dispatch, supply, supply_parties, checkpoint):
    web_router.include_router(module.router)


def static_files() -> StaticFiles:
    """The pages' CSS, scripts and vendored libraries, served from the package."""
    return StaticFiles(directory=STATIC_DIRECTORY)


__all__ = ["STATIC_DIRECTORY", "static_files", "web_router"]
