"""The checkpoint page: staff at a road checkpoint scan a pass (camera or typed code) and
see at once a large green or red answer. It verifies in the browser against the cached
public keys and revocation list, so it keeps working with the network off (a service
worker keeps the page, its scripts and the two files); scans made offline are uploaded
when the network returns, and recorded through the same domain function as the API."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from core.access import require_role
from models import Role
from models.base import utc_now
from pass_office import verification
from service.http.dependencies import PassAuthorityDep, SessionDep
from service.http.passes import ScanBatch
from service.web.common import ViewerDep, check_csrf, render

router = APIRouter()
STATIC = Path(__file__).resolve().parent.parent / "static"
SERVICE_WORKER = STATIC / "js" / "checkpoint-sw.js"
VENDOR_MODULES = ("vendor/cborg", "vendor/base45")
"""Folders of the ES modules ``js/pass-verify.js`` imports, which the worker must keep."""


def _vendor_modules() -> list[str]:
    return sorted(
        "/static/" + str(path.relative_to(STATIC))
        for folder in VENDOR_MODULES
        for path in (STATIC / folder).rglob("*.js")
    )


@router.get("/checkpoint")
def checkpoint_page(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    """The scanning page of the viewer's checkpoint."""
    require_role(viewer, Role.checkpoint)
    checkpoint = verification.checkpoint_of(session=session, principal=viewer)
    return render(request, "passes/checkpoint.html", {"checkpoint": checkpoint})


@router.get("/checkpoint/sw.js")
def service_worker() -> Response:
    """The service worker, served under /checkpoint so that it may control the page."""
    return Response(
        SERVICE_WORKER.read_text(encoding="utf-8").replace(
            "const VENDOR_MODULES = [];", f"const VENDOR_MODULES = {json.dumps(_vendor_modules())};"
        ),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/checkpoint"},
    )


@router.post("/checkpoint/scans", dependencies=[Depends(check_csrf)])
def record_scans(
    body: ScanBatch, session: SessionDep, viewer: ViewerDep, authority: PassAuthorityDep
) -> JSONResponse:
    """Record the page's scans (also a batch made offline), judged by the server."""
    recorded = verification.record_scans(
        session=session,
        principal=viewer,
        authority=authority,
        scans=[
            verification.ScanInput(
                token=scan.token, scanned_at=scan.scanned_at, device_result=scan.device_result
            )
            for scan in body.scans
        ],
        now=utc_now(),
    )
    return JSONResponse(
        [{"result": scan.result.value, "pass_code": scan.pass_code} for scan in recorded],
        status_code=201,
    )
