"""The choices a type-ahead field offers as people type (``templates/_picker.html``): an
htmx fragment of ``<option>`` elements for the field's ``<datalist>``, read by the same
domain function that fills the list when the page is rendered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from masterdata.choices import MAX_TYPED, choices
from service.http.dependencies import SessionDep
from service.web.common import OptionalViewerDep, PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/choices/{kind}")
def choice_list(
    request: Request,
    session: SessionDep,
    viewer: OptionalViewerDep,
    kind: str,
    q: Annotated[str | None, Query(max_length=MAX_TYPED * 4)] = None,
) -> HTMLResponse:
    """The choices of ``kind`` matching the text typed, as the viewer (or the public) may
    read them: ``q``, or the field's own value, which htmx sends under its name (the kind)."""
    typed = q if q is not None else request.query_params.get(kind, "")
    found = choices(session=session, principal=viewer, kind=kind, text=typed)
    return render(request, "_choices.html", {"choices": found})
