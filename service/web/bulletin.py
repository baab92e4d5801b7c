"""The daily bulletin's pages: public ones without sign-in (the latest, the archive by
day, an Atom feed for media and other sites) and the bureau's editor (draft, edit the
summary, publish, correct). Pages and the API call the same ``bulletin.publishing``."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from bulletin.history import DEFAULT_HISTORY_DAYS, MAX_HISTORY_DAYS, price_history
from bulletin.publishing import (
    MAX_NOTE_CHARS,
    MAX_SUMMARY_CHARS,
    draft_bulletin,
    edit_summary,
    names_for,
    publish_bulletin,
    published_bulletin,
    published_bulletins,
    published_in_region,
    revisions_of,
)
from bulletin.regions import label_of, region_labels
from core.access import Principal
from core.errors import DomainError, InvalidInput
from core.text import N_, Text, field_problem, phrase
from masterdata.products import list_categories
from masterdata.regions import RegionView, list_regions
from models import Bulletin, RegionLevel
from service.configuration import business_today
from service.http.dependencies import ReplicaSessionDep, SessionDep
from service.http.schemas import DatabaseId
from service.web.common import (
    OptionalViewerDep,
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    field_errors,
    language_of,
    names_by_code,
    redirect,
    render,
)
from service.web.forms import form_day
from service.web.problems import field_word

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MAX_TYPED = 20_000
"""Longer than a summary may be: the desk names the summary's own limit beside it."""
DESK_REGIONS = 500
DONE_WORDS = {
    "drafted": N_("The draft is computed."),
    "saved": N_("Summary saved."),
    "published": N_("Published: the bulletin is public."),
}
"""What the desk says after a change went through, by the ``done`` of its address."""


def desk_regions(session: Session, viewer: Principal) -> list[RegionView]:
    """The regions the desk may show (the city and its districts within the viewer's
    region), chosen by name rather than typed as a code."""
    return [
        region
        for level in (RegionLevel.city, RegionLevel.district)
        for region in list_regions(
            session=session, principal=viewer, level=level, limit=DESK_REGIONS, offset=0
        ).items
    ]


BAND_WORDS = (N_("normal"), N_("stress"), N_("alert"), N_("crisis"))
"""The price signal's bands as the pages name them (the catalogue translates them)."""
ARCHIVE_DAYS = 60
ARCHIVE_PAGE_DAYS = 60
FEED_ENTRIES = 30
ATOM = "http://www.w3.org/2005/Atom"


RegionQuery = Annotated[str | None, Query(max_length=32)]
"""A region's code: the bulletins of that region (by default the single root city's)."""


def _bulletin_page(
    request: Request,
    session: Session,
    bulletin: Bulletin | None,
    region: str | None,
    status_code: int = 200,
) -> HTMLResponse:
    archive, _ = published_in_region(session=session, limit=ARCHIVE_DAYS, offset=0, region=region)
    return render(
        request,
        "bulletin/public.html",
        {
            "bulletin": bulletin,
            "archive": archive,
            "regions": region_labels(session, [*archive, *([bulletin] if bulletin else [])]),
            "names": names_for(session, language_of(request)),
            "category_names": names_by_code(list_categories(session=session), language_of(request)),
        },
        status_code=status_code,
    )


@router.get("/bulletin")
def latest_bulletin(
    request: Request,
    session: ReplicaSessionDep,
    viewer: OptionalViewerDep,
    region: RegionQuery = None,
) -> Response:
    """The newest published bulletin of a region, with its archive beside it (open to
    anyone)."""
    newest, _ = published_in_region(session=session, limit=1, offset=0, region=region)
    return _bulletin_page(request, session, newest[0] if newest else None, region)


@router.get("/bulletin/feed.atom")
def feed(session: ReplicaSessionDep, settings: SettingsDep) -> Response:
    """An Atom feed of the published bulletins, newest first, for media and other sites;
    its links use the configured public address, never the request's ``Host`` (which a
    caller chooses, and a cache in front would pass on to every reader)."""
    found, _ = published_bulletins(session=session, limit=FEED_ENTRIES, offset=0)
    regions = region_labels(session, found)
    base = settings.base_url.rstrip("/")
    ElementTree.register_namespace("", ATOM)
    root = ElementTree.Element(f"{{{ATOM}}}feed")
    ElementTree.SubElement(root, f"{{{ATOM}}}id").text = f"{base}/bulletin"
    ElementTree.SubElement(root, f"{{{ATOM}}}title").text = "supplywatch daily supply bulletin"
    ElementTree.SubElement(
        root, f"{{{ATOM}}}link", {"rel": "self", "href": f"{base}/bulletin/feed.atom"}
    )
    newest = max(
        (item.published_at for item in found if item.published_at),
        default=datetime(2000, 1, 1, tzinfo=UTC),
    )
    ElementTree.SubElement(root, f"{{{ATOM}}}updated").text = newest.isoformat()
    author = ElementTree.SubElement(root, f"{{{ATOM}}}author")
    ElementTree.SubElement(author, f"{{{ATOM}}}name").text = "supplywatch"
    for item in found:
        region = regions[item.region_id]
        url = f"{base}/bulletin/{item.business_date.isoformat()}"
        if region.link_code is not None:
            url += f"?region={quote(region.link_code)}"
        entry = ElementTree.SubElement(root, f"{{{ATOM}}}entry")
        ElementTree.SubElement(entry, f"{{{ATOM}}}id").text = f"{url}#revision-{item.revision}"
        title = f"Supply bulletin {item.business_date.isoformat()}"
        if item.revision > 1:
            title += f" (revision {item.revision})"
        ElementTree.SubElement(entry, f"{{{ATOM}}}title").text = title
        ElementTree.SubElement(entry, f"{{{ATOM}}}link", {"href": url})
        if region.code is not None:
            ElementTree.SubElement(
                entry,
                f"{{{ATOM}}}category",
                {"term": region.code, "label": xml_text(region.name or "")},
            )
        ElementTree.SubElement(entry, f"{{{ATOM}}}updated").text = (
            item.published_at or newest
        ).isoformat()
        ElementTree.SubElement(entry, f"{{{ATOM}}}summary").text = xml_text(item.summary_en)
        ElementTree.SubElement(
            entry, f"{{{ATOM}}}content", {"type": "text", "xml:lang": "zh-CN"}
        ).text = xml_text(item.summary_zh)
    body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
"""Characters XML 1.0 cannot hold at all (not even escaped)."""


def xml_text(text: str) -> str:
    """``text`` as the feed can carry it: a character XML cannot hold (stored before
    summaries refused them) becomes U+FFFD, so one entry cannot break the whole feed."""
    return NOT_IN_XML.sub("\ufffd", text)


@router.get("/bulletin/archive")
def archive(
    request: Request,
    session: ReplicaSessionDep,
    viewer: OptionalViewerDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    region: RegionQuery = None,
) -> Response:
    """Every published day of every region (or of ``region``), newest first, a page at a
    time, each naming its region, with each product's price chart one click away (open
    to anyone)."""
    found, total = published_bulletins(
        session=session,
        limit=ARCHIVE_PAGE_DAYS,
        offset=(page - 1) * ARCHIVE_PAGE_DAYS,
        region=region,
    )
    newest, _ = published_in_region(session=session, limit=1, offset=0, region=region)
    names = names_for(session, language_of(request))
    codes = [row["product"] for row in newest[0].figures.get("prices") or []] if newest else []
    return render(
        request,
        "bulletin/archive.html",
        {
            "items": found,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // ARCHIVE_PAGE_DAYS)),
            "products": sorted(codes, key=lambda code: names.products.get(code, code)),
            "names": names,
            "regions": region_labels(session, found),
            "region": region,
        },
    )


@router.get("/bulletin/products/{code}")
def product_prices(
    request: Request,
    code: str,
    session: ReplicaSessionDep,
    viewer: OptionalViewerDep,
    days: Annotated[int, Query(ge=1, le=MAX_HISTORY_DAYS)] = DEFAULT_HISTORY_DAYS,
    region: RegionQuery = None,
) -> Response:
    """A product's published region-wide price over time (by default the single root
    city's), the lowest to highest outlet as a band around it, as a chart and a table
    (open to anyone)."""
    language = language_of(request)
    history = price_history(session=session, product=code, days=days, region=region)
    return render(
        request,
        "bulletin/product.html",
        {
            "history": history,
            "name": (history.name_zh if language == "zh" and history.name_zh else history.name),
            "days": days,
            "region": region,
            "label": label_of(session=session, principal=None, region=region),
        },
    )


@router.get("/bulletin/{day}")
def bulletin_of_day(
    request: Request,
    day: date,
    session: ReplicaSessionDep,
    viewer: OptionalViewerDep,
    region: RegionQuery = None,
) -> Response:
    """A region's published bulletin of a day, its latest revision (open to anyone)."""
    return _bulletin_page(
        request, session, published_bulletin(session=session, day=day, region=region), region
    )


def _editor(
    request: Request,
    session: Session,
    viewer: Principal,
    day: date,
    region: str | None,
    *,
    status_code: int = 200,
    problem: DomainError | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, Text] | None = None,
) -> HTMLResponse:
    """The bulletin desk; a refused summary keeps what was typed, each problem beside its
    text box, and a change that went through is said in words (``done``)."""
    revisions = revisions_of(session=session, principal=viewer, day=day, region=region)
    return render(
        request,
        "bulletin/editor.html",
        {
            "day": day,
            "label": label_of(session=session, principal=viewer, region=region),
            "today": business_today(request.app.state.settings),
            "revisions": revisions,
            "names": names_for(session, language_of(request)),
            "problem": problem,
            "typed": typed or {},
            "errors": errors or {},
            "done": DONE_WORDS.get(request.query_params.get("done", "")),
            "region_choices": desk_regions(session, viewer),
            "max_summary": MAX_SUMMARY_CHARS,
            "max_note": MAX_NOTE_CHARS,
        },
        status_code=status_code,
    )


@router.get("/bulletins/editor")
def editor(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    day: date | None = None,
    region: RegionQuery = None,
) -> HTMLResponse:
    """The bureau's bulletin desk for a day and a region (by default the desk's own, or
    the single root city): its revisions, draft, edit and publish."""
    return _editor(request, session, viewer, day or business_today(settings), region or None)


def _attempt(
    request: Request,
    session: Session,
    viewer: Principal,
    day: date,
    region: str | None,
    action: Callable[[], object],
    done: str,
    typed: dict[str, str] | None = None,
) -> Response:
    """Run a bulletin change; on a refusal roll back and show the desk with the problem
    (beside the summary's text boxes when it is theirs), else say what was done."""
    try:
        action()
    except DomainError as error:
        session.rollback()
        return _editor(
            request,
            session,
            viewer,
            day,
            region,
            status_code=error.status,
            problem=error,
            typed=typed,
            errors=field_errors(error),
        )
    query = {"day": day.isoformat()} | ({"region": region} if region else {}) | {"done": done}
    return redirect(f"/bulletins/editor?{urlencode(query)}")


@router.post("/bulletins/editor/drafts", dependencies=[Depends(check_csrf)])
def draft(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    day: Annotated[str, Form()],
    correction_note: Annotated[str, Form()] = "",
    region: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Compute (or recompute) the region's draft of the day, or a correction of what was
    published."""
    chosen = form_day("date", day)
    return _attempt(
        request,
        session,
        viewer,
        chosen,
        region or None,
        lambda: draft_bulletin(
            session=session,
            principal=viewer,
            day=chosen,
            today=business_today(settings),
            oldest=business_today(settings) - timedelta(days=settings.max_report_age_days),
            correction_note=correction_note.strip() or None,
            region=region or None,
            font_file=settings.pdf_font_file,
        ),
        "drafted",
    )


@router.post("/bulletins/editor/{bulletin_id}/summary", dependencies=[Depends(check_csrf)])
def save_summary(
    request: Request,
    bulletin_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    day: Annotated[str, Form()],
    summary_en: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    summary_zh: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    region: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Keep the editor's words for the draft's summary; each summary that is empty or too
    long is named beside its text box, both at once, and what was typed stays."""
    typed = {"summary_en": summary_en, "summary_zh": summary_zh}
    problems = [
        field_problem(["body", name], phrase(wording, max_length=MAX_SUMMARY_CHARS))
        for name, text in typed.items()
        if (wording := _summary_problem(text)) is not None
    ]

    refused = {str(problem.loc[-1]) for problem in problems}

    def act() -> None:
        """Keep the summaries that fit (the desk refuses a published bulletin first), then
        refuse, all at once, those that do not."""
        edit_summary(
            session=session,
            principal=viewer,
            bulletin_id=bulletin_id,
            summary_en=None if "summary_en" in refused else summary_en,
            summary_zh=None if "summary_zh" in refused else summary_zh,
            font_file=settings.pdf_font_file,
        )
        if problems:
            raise InvalidInput(
                "{where}: {problem}",
                errors=problems,
                where=field_word(problems[0].loc[-1]),
                problem=problems[0].text,
            )

    return _attempt(
        request, session, viewer, form_day("date", day), region or None, act, "saved", typed
    )


def _summary_problem(text: str) -> str | None:
    """What is wrong with a summary typed in the desk (a message id), or None."""
    if not text.strip():
        return N_("Fill this in")
    if len(text.strip()) > MAX_SUMMARY_CHARS:
        return N_("Use at most {max_length} characters")
    return None


@router.post("/bulletins/editor/{bulletin_id}/publish", dependencies=[Depends(check_csrf)])
def publish(
    request: Request,
    bulletin_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    day: Annotated[str, Form()],
    region: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Publish the draft: public and frozen from now on."""
    return _attempt(
        request,
        session,
        viewer,
        form_day("date", day),
        region or None,
        lambda: publish_bulletin(session=session, principal=viewer, bulletin_id=bulletin_id),
        "published",
    )
