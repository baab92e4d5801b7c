"""Server-rendered pages for people (Jinja2 + htmx + ECharts), one module per area.

The pages call the same domain functions as the JSON API (ingest, monitors, auth,
catalog) in-process; they parse a form, call, and render.
"""

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.staticfiles import StaticFiles

from service.web import (
    admin,
    alert_groups,
    alerts,
    api_docs,
    auth,
    bulletin,
    checkpoint,
    choices,
    dashboard,
    dispatch,
    dispatch_plan_jobs,
    hotline,
    hotline_desk,
    maps,
    officers,
    pass_applications,
    pass_office,
    pass_print,
    pass_print_jobs,
    receiver,
    store,
    supply,
    supply_parties,
)
from service.web.common import reject_nul_in_page_input

STATIC_DIRECTORY = Path(__file__).resolve().parent.parent / "static"

page_routers = [
    module.router
    for module in (
        auth,
        dashboard,
        alert_groups,
        alerts,
        store,
        maps,  # before admin: /admin/outlines is its page, not an /admin/{name} section
        admin,
        dispatch,
        dispatch_plan_jobs,
        supply,
        supply_parties,
        receiver,
        api_docs,
        choices,
        bulletin,
        hotline,
        hotline_desk,
        officers,
        checkpoint,
        pass_office,
        pass_applications,
        pass_print,
        pass_print_jobs,
    )
]
"""Each page module's router (their routes are the pages' own, before inclusion)."""

web_router = APIRouter(include_in_schema=False, dependencies=[Depends(reject_nul_in_page_input)])
for router in page_routers:
    web_router.include_router(router)


def static_files() -> StaticFiles:
    """The pages' CSS, scripts and vendored libraries, served from the package."""
    return StaticFiles(directory=STATIC_DIRECTORY)


__all__ = ["STATIC_DIRECTORY", "page_routers", "static_files", "web_router"]
