"""The bureau's supply-network pages: producers on a map, the restock list, one
suggestion with its candidate sources ("find supply" from an alert leads here), the board
with "run matching" and its proposals, region lockdowns and the registry import.

Every read and change is the supply network's own function, the one the API calls, so a
rule the API enforces holds here too; a refused form changes nothing and says why.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import DomainError, InvalidInput
from core.text import field_problem
from masterdata.products import list_products
from models import PostingStatus, ProducerKind, Role, ScopeLevel
from service.configuration import board_limits, business_today
from service.http.dependencies import SessionDep, SessionFactoryDep
from service.http.schemas import DatabaseId, DatabaseIdQuery
from service.settings import Settings
from service.web.common import (
    LONG_PAGE_WORK,
    PRODUCTS_NAMED,
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    language_of,
    names_by_code,
    redirect,
    region_names,
    render,
)
from service.web.forms import form_number, optional_form_number
from supply_network import lockdowns, postings
from supply_network.board import UNMET_REASON_WORDS, MatchSettings
from supply_network.queries import deals, producers, restock
from supply_network.queries.postings import list_needs, list_offers, open_counts
from supply_network.registry_import import import_registry_file
from supply_network.runs import run_matching

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
OPEN = [PostingStatus.open, PostingStatus.partly_matched]


def _bureau(viewer: Principal) -> None:
    """Refuse anyone but the bureau and admins: these pages span every producer and buyer."""
    require_role(viewer, Role.bureau)


def _blank(value: str | None) -> str | None:
    """A filter from the query: None when empty."""
    return value.strip() or None if value else None


def _kind(value: str | None) -> ProducerKind | None:
    """A producer kind from the query, or None when empty or unknown (no filter)."""
    try:
        return ProducerKind(value) if value else None
    except ValueError:
        return None


def _network_page(
    request: Request,
    session: Session,
    viewer: Principal,
    settings: Settings,
    *,
    filters: dict[str, str | None],
    page: int,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The supply network page with the filters, map, registry table and headline."""
    today = business_today(settings)
    kind = _kind(filters["kind"])
    found = producers.list_producers(
        session=session,
        principal=viewer,
        product=filters["product"],
        category=filters["category"],
        kind=kind,
        region=filters["region"],
        active=True,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    points = producers.producer_points(
        session=session,
        principal=viewer,
        product=filters["product"],
        category=filters["category"],
        kind=kind,
        region=filters["region"],
    )
    offers, needs = open_counts(session=session, today=today, principal=viewer)
    runs = deals.list_match_runs(session=session, principal=viewer, limit=1, offset=0).items
    zh = language_of(request) == "zh"
    locked = lockdowns.list_lockdowns(session=session, principal=viewer, on_date=today)
    return render(
        request,
        "supply/network.html",
        {
            "filters": {name: value or "" for name, value in filters.items()},
            "kinds": [kind.value for kind in ProducerKind],
            "producers": found,
            # the producers' and the locked-down regions by name in the reader's language
            "region_names": region_names(
                session,
                [producer.region for producer in found.items]
                + [lockdown.region for lockdown in locked],
                language_of(request),
            ),
            "page": page,
            "pages": max(1, -(-found.total // PAGE_SIZE)),
            "map": {
                "producers": [
                    {
                        "code": point.code,
                        "name": point.name,
                        "kind": point.kind.value,
                        "region": (point.region_name_zh if zh else None) or point.region_name,
                        "lat": point.latitude,
                        "lon": point.longitude,
                        "capacity": point.capacity,
                    }
                    for point in points
                ],
                "zh": zh,
            },
            "capacity_total": sum(point.capacity for point in points),
            "open_offers": offers,
            "open_needs": needs,
            "latest_run": runs[0] if runs else None,
            "lockdowns": locked,
            "today": today,
            **context,
        },
        status_code=status_code,
    )


@router.get("/supply")
def network(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    product: str | None = None,
    category: str | None = None,
    kind: str | None = None,
    region: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    """Producers on the map by kind and capacity, with filters; the board's headline."""
    _bureau(viewer)
    filters = {
        "product": _blank(product),
        "category": _blank(category),
        "kind": _blank(kind),
        "region": _blank(region),
    }
    return _network_page(request, session, viewer, settings, filters=filters, page=max(page, 1))


@router.post("/supply/producers/import", dependencies=[Depends(check_csrf), LONG_PAGE_WORK])
def import_registry(
    request: Request,
    session: SessionDep,
    session_factory: SessionFactoryDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
) -> HTMLResponse:
    """A registry file: every producer stored, or every bad cell listed and nothing."""
    _bureau(viewer)
    filters: dict[str, str | None] = dict.fromkeys(("product", "category", "kind", "region"))
    try:
        result = import_registry_file(
            session=session,
            read_in=session_factory,
            principal=viewer,
            data=file.file.read(),
            filename=file.filename,
            limits=board_limits(settings),
            max_rows=settings.max_bulk_rows,
            max_listed_errors=settings.max_listed_errors,
        )
    except DomainError as error:
        session.rollback()
        return _network_page(
            request,
            session,
            viewer,
            settings,
            filters=filters,
            page=1,
            upload_problem=error,
            status_code=error.status,
        )
    return _network_page(
        request, session, viewer, settings, filters=filters, page=1, imported=result
    )


@router.post("/supply/lockdowns", dependencies=[Depends(check_csrf)])
def record_lockdown(
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    region: Annotated[str, Form(max_length=64)],
    start_date: Annotated[date, Form()],
    note: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Record a region's lockdown from a day (open-ended)."""
    lockdowns.record_lockdown(
        session=session,
        principal=viewer,
        region=region.strip(),
        start_date=start_date,
        note=note.strip() or None,
        today=business_today(settings),
    )
    return redirect("/supply?lockdown=1")


@router.post("/supply/lockdowns/{lockdown_id}/end", dependencies=[Depends(check_csrf)])
def end_lockdown(
    lockdown_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
) -> Response:
    """Lift a lockdown as of today."""
    lockdowns.end_lockdown(
        session=session,
        principal=viewer,
        lockdown_id=lockdown_id,
        end_date=business_today(settings),
        today=business_today(settings),
    )
    return redirect("/supply")


@router.get("/supply/restock")
def restock_list(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    level: str = "district",
    category: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    """The day's restock suggestions at a level, worst cover first."""
    _bureau(viewer)
    chosen = ScopeLevel(level) if level in ("store", "district") else ScopeLevel.district
    page = max(page, 1)
    found = restock.list_restock(
        session=session,
        principal=viewer,
        level=chosen,
        category=_blank(category),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return render(
        request,
        "supply/restock.html",
        {
            "suggestions": found,
            "level": chosen.value,
            "category": category or "",
            "page": page,
            "pages": max(1, -(-found.total // PAGE_SIZE)),
        },
    )


def _detail_page(
    request: Request, detail: restock.RestockDetail, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """One suggestion's page: the numbers, the need to post and the sources on a map."""
    view = detail.suggestion
    zh = language_of(request) == "zh"
    places = [
        {
            "name": (view.scope_name_zh if zh else None) or view.scope_name,
            "lat": detail.latitude,
            "lon": detail.longitude,
        }
    ]
    return render(
        request,
        "supply/restock_detail.html",
        {
            "detail": detail,
            "view": view,
            "map": {
                "producers": [
                    {
                        "code": source.producer,
                        "name": source.name,
                        "kind": source.kind.value,
                        "region": (source.region_name_zh if zh else None) or source.region_name,
                        "lat": source.latitude,
                        "lon": source.longitude,
                        "capacity": source.free_capacity,
                    }
                    for source in detail.sources
                ],
                "places": places if detail.latitude is not None else [],
            },
            **context,
        },
        status_code=status_code,
    )


@router.get("/supply/restock/alerts/{alert_id}")
def find_supply(
    request: Request, alert_id: DatabaseId, session: SessionDep, viewer: ViewerDep
) -> HTMLResponse:
    """ "Find supply" from a shortage alert: its suggestion and candidate sources."""
    detail = restock.restock_for_alert(session=session, principal=viewer, alert_id=alert_id)
    return _detail_page(request, detail)


@router.get("/supply/restock/{level}/{scope}/{product}")
def restock_detail(
    request: Request,
    level: ScopeLevel,
    scope: str,
    product: str,
    session: SessionDep,
    viewer: ViewerDep,
    day: date | None = None,
) -> HTMLResponse:
    """One suggestion, what is already on its way, and who could send the rest."""
    _bureau(viewer)
    detail = restock.read_restock(
        session=session, principal=viewer, level=level, scope=scope, product=product, day=day
    )
    return _detail_page(request, detail)


@router.post("/supply/restock/{level}/{scope}/{product}/need", dependencies=[Depends(check_csrf)])
def post_restock_need(
    request: Request,
    level: ScopeLevel,
    scope: str,
    product: str,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    day: Annotated[date | None, Form()] = None,
    max_price: Annotated[str, Form(max_length=32)] = "",
    alert_id: Annotated[int | None, Form()] = None,
) -> Response:
    """Post the suggestion's need on the board in one action, then show the board."""
    _bureau(viewer)
    try:
        need = postings.post_need_for_restock(
            session=session,
            principal=viewer,
            today=business_today(settings),
            limits=board_limits(settings),
            level=level,
            scope=scope,
            product=product,
            day=day,
            max_price=optional_form_number("max_price", max_price),
            alert_id=alert_id,
        )
    except DomainError as error:
        session.rollback()
        detail = restock.read_restock(
            session=session, principal=viewer, level=level, scope=scope, product=product, day=day
        )
        return _detail_page(request, detail, problem=error, status_code=error.status)
    return redirect(f"/supply/board?need={need.id}")


@router.get("/supply/board")
def board(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    run: DatabaseIdQuery | None = None,
    need: DatabaseIdQuery | None = None,
) -> HTMLResponse:
    """Open offers and needs, "run matching", and the proposals of the latest (or a
    chosen) run with both sides' answers."""
    _bureau(viewer)
    today = business_today(settings)
    chosen = (
        deals.read_match_run(session=session, principal=viewer, run_id=run)
        if run is not None
        else next(
            iter(deals.list_match_runs(session=session, principal=viewer, limit=1, offset=0).items),
            None,
        )
    )
    proposals = (
        deals.list_proposals(
            session=session, principal=viewer, match_run=chosen.id, limit=500, offset=0
        ).items
        if chosen
        else []
    )
    named = (
        list_products(session=session, limit=PRODUCTS_NAMED, offset=0).items
        if chosen and chosen.unmet
        else []
    )
    offers = list_offers(
        session=session, principal=viewer, today=today, status=OPEN, limit=200, offset=0
    )
    needs = list_needs(
        session=session, principal=viewer, today=today, status=OPEN, limit=200, offset=0
    )
    made = deals.list_orders(session=session, principal=viewer, limit=50, offset=0)
    # the offers' towns and the districts of the needs', proposals' and orders' buyers
    regions = [
        *(offer.region for offer in offers.items),
        *(need.district for need in needs.items),
        *(item.parties.district for item in proposals),
        *(order.parties.district for order in made.items),
    ]
    return render(
        request,
        "supply/board.html",
        {
            "today": today,
            "offers": offers,
            "region_names": region_names(session, regions, language_of(request)),
            "needs": needs,
            "run": chosen,
            "proposals": proposals,
            "orders": made,
            "posted_need": need,
            "defaults": asdict(MatchSettings()),
            # a need left short is named by its product's name, its quantity by its unit
            "unmet_products": names_by_code(named, language_of(request)),
            "unmet_units": {product.code: product.unit for product in named},
            "unmet_reasons": UNMET_REASON_WORDS,
        },
    )


@router.post("/supply/match-runs", dependencies=[Depends(check_csrf), LONG_PAGE_WORK])
def match(
    session: SessionDep,
    session_factory: SessionFactoryDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    maximum_distance_km: Annotated[str, Form(max_length=32)] = "",
    price_weight: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Run the matcher over the open board and show its proposals."""
    _bureau(viewer)
    distance = form_number("maximum_distance_km", maximum_distance_km, default=120.0)
    weight = form_number("price_weight", price_weight, default=0.0)
    if not 0 < distance <= 2000:
        raise InvalidInput(
            "the maximum distance must be from 0 to 2000 km",
            errors=[field_problem(["body", "maximum_distance_km"], "0 to 2000")],
        )
    if not 0 <= weight <= 1e9:
        raise InvalidInput(
            "the price weight must not be negative",
            errors=[field_problem(["body", "price_weight"], "must not be negative")],
        )
    run = run_matching(
        session=session,
        read_in=session_factory,
        principal=viewer,
        today=business_today(settings),
        settings=MatchSettings(maximum_distance_km=distance, price_weight_kg_km_per_cny=weight),
    )
    return redirect(f"/supply/board?run={run.id}")
