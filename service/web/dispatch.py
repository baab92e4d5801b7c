"""The dispatcher's and the driver's home pages.

Dispatch (compounds, trucks, plans, deliveries) is built in its own module; until it
is merged these pages list what a dispatcher or driver can already use, rather than
an empty board.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from models import Role
from service.auth import require_role
from service.web.common import PageRoute, ViewerDep, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/dispatch")
def dispatcher_home(request: Request, viewer: ViewerDep) -> HTMLResponse:
    require_role(viewer, Role.dispatcher)
    return render(request, "dispatch/home.html")


@router.get("/driver")
def driver_home(request: Request, viewer: ViewerDep) -> HTMLResponse:
    require_role(viewer, Role.driver)
    return render(request, "dispatch/driver.html")
