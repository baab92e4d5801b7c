"""The bureau's dashboard: today's headline numbers, the district × category heatmap,
the store map, who has not reported, and drill-downs to a district or a product.

Every number comes from the monitor's read models (``monitors.queries``), the same
functions the API calls, so the page shows exactly what the alerts were raised on;
nothing is recomputed here.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from core.access import Principal, require_national, require_role
from core.database import SessionFactory
from models import MonitorRun, Role, RunStatus
from monitors.computing.status_bands import SUPPLY_STATUSES
from monitors.queries.dashboard import (
    CategoryBands,
    DashboardOverview,
    StoreMap,
    SupplyDrillDown,
    dashboard_overview,
    dashboard_situations,
    district_drill_down,
    product_drill_down,
    store_map,
    supply_heatmap,
    unreported_stores,
)
from monitors.queries.dashboard_tables import (
    Table,
    drill_down_table,
    history_table,
    not_reported_table,
    supply_table,
)
from monitors.queries.runs import read_run, run_parts
from monitors.queries.supply import DistrictCategorySupply
from monitors.queries.supply_history import SupplyHistoryPoint
from monitors.running import runs
from service.configuration import business_today, monitor_config
from service.http.dependencies import ReplicaSessionDep, SessionDep
from service.http.exports import ExportFormat, table_response
from service.http.schemas import DatabaseId
from service.web.caching import revalidated
from service.web.common import (
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    language_of,
    page_unless_htmx,
    product_names,
    redirect,
    render,
)
from service.web.i18n import translator
from service.worker import part_queue

router = APIRouter(route_class=PageRoute, include_in_schema=False)


class DashboardTable(StrEnum):
    """The dashboard's tables a bureau can download."""

    supply = "supply"
    not_reported = "not-reported"


class DrillDownTable(StrEnum):
    """A drill-down's tables: its rows worst first, or the chosen product over time."""

    rows = "rows"
    history = "history"


def exported(request: Request, table: Table, *, format: ExportFormat, name: str) -> Response:
    """``table`` as a download, its titles and words in the reader's language."""
    translate = translator(language_of(request))
    return table_response(
        [translate(title) for title in table.titles], table.rows, format=format, name=name
    )


def _reader(viewer: Principal) -> None:
    require_role(viewer, Role.bureau)


def _name(name: str, name_zh: str | None, language: str) -> str:
    """The Chinese name on a Chinese page when there is one, else the name."""
    return (name_zh if language == "zh" else None) or name


def _heatmap(
    cells: list[DistrictCategorySupply], bands: dict[str, CategoryBands], language: str
) -> dict[str, Any]:
    """District × category days of supply as the chart reads them: names in the page's
    language, each category's own bands, and cells of (category index, district index,
    days capped at 99, status, status index) so the colour is the status the table shows."""
    districts: dict[str, str] = {}
    categories: dict[str, str] = {}
    for cell in cells:
        districts.setdefault(
            cell.district_code, _name(cell.district_name, cell.district_name_zh, language)
        )
        categories.setdefault(
            cell.category_code, _name(cell.category_name, cell.category_name_zh, language)
        )
    district_index = {code: i for i, code in enumerate(districts)}
    category_index = {code: i for i, code in enumerate(categories)}
    return {
        "districts": [{"code": c, "name": n} for c, n in districts.items()],
        "categories": [
            {"code": c, "name": n, "bands": asdict(bands[c]) if c in bands else None}
            for c, n in categories.items()
        ],
        "statuses": list(SUPPLY_STATUSES),
        "cells": [
            [
                category_index[cell.category_code],
                district_index[cell.district_code],
                None if cell.days_of_supply is None else round(min(cell.days_of_supply, 99.0), 1),
                cell.status.value,
                SUPPLY_STATUSES.index(cell.status.value),
            ]
            for cell in cells
        ],
    }


def _heatmap_rows(heatmap: dict[str, Any]) -> list[list[list[Any] | None]]:
    """The heatmap's cells as the table's rows: per district, its cell of each category
    (None where the monitor has none), looked up once rather than searched per cell."""
    cells = {(cell[1], cell[0]): cell for cell in heatmap["cells"]}
    return [
        [cells.get((district, category)) for category in range(len(heatmap["categories"]))]
        for district in range(len(heatmap["districts"]))
    ]


def _map_points(found: StoreMap) -> dict[str, Any]:
    """The map's stores and compounds as its script reads them (JSON values)."""
    return {
        "stores": [
            {
                "code": store.code,
                "name": store.name,
                "lon": store.longitude,
                "lat": store.latitude,
                "status": store.status,
                "below": store.below_threshold,
                "reported": store.reported,
            }
            for store in found.stores
        ],
        "compounds": [
            {"code": c.code, "name": c.name, "lon": c.longitude, "lat": c.latitude}
            for c in found.compounds
        ],
    }


def _overview_context(overview: DashboardOverview, language: str) -> dict[str, Any]:
    """The template's view of the overview: tiles, heatmap, missing reports (the map's
    points come from ``/dashboard/map.json``)."""
    headline = overview.headline
    heatmap = _heatmap(overview.heatmap, overview.bands, language)
    return {
        "today": overview.today,
        "day": overview.latest_day,
        "headline": {
            "below": {
                "products": headline.below.products,
                "districts": headline.below.districts,
            },
            "alerts": headline.open_alerts,
            "active": headline.active_stores,
            "reported": headline.reported_stores,
        },
        "heatmap": heatmap,
        "heatmap_rows": _heatmap_rows(heatmap),
        "locked_compounds": overview.locked_compounds,
        "not_reported": overview.not_reported,
        "not_reported_total": overview.not_reported_total,
    }


@router.get("/dashboard")
def dashboard(
    request: Request, session: ReplicaSessionDep, viewer: ViewerDep, settings: SettingsDep
) -> HTMLResponse:
    _reader(viewer)
    overview = dashboard_overview(session=session, principal=viewer, today=business_today(settings))
    return render(
        request,
        "dashboard/index.html",
        {
            **_overview_context(overview, language_of(request)),
            "statuses": SUPPLY_STATUSES,
        },
    )


@router.get("/dashboard/situations")
def situations(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """The dashboard's worst situations, fetched after the page as its map is; read from
    the primary, as the alerts page it mirrors is, so an acknowledged or silenced situation
    never reads as untouched."""
    if (whole := page_unless_htmx(request, "/dashboard")) is not None:
        return whole
    _reader(viewer)
    found = dashboard_situations(session=session, principal=viewer)
    return render(request, "dashboard/_situations.html", {"situations": found})


@router.get("/dashboard/map.json")
def dashboard_map(
    request: Request, session: ReplicaSessionDep, viewer: ViewerDep, settings: SettingsDep
) -> Response:
    """The store map's points, fetched by the dashboard apart from its HTML (a province's
    ten thousand stores would make the page slow to send and to parse); 304 while the
    browser's copy is current, so a reload without a new run or report costs no points."""
    _reader(viewer)
    found = store_map(session=session, principal=viewer, today=business_today(settings))
    body = json.dumps(_map_points(found), ensure_ascii=False, separators=(",", ":"))
    return revalidated(request, body.encode(), media_type="application/json")


@router.get("/dashboard/export")
def export_dashboard(
    request: Request,
    session: ReplicaSessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    format: ExportFormat,
    table: DashboardTable = DashboardTable.supply,
) -> Response:
    """The heatmap's numbers or every store not reported yet (not only the ones the page
    lists), as CSV or XLSX."""
    _reader(viewer)
    today = business_today(settings)
    language = language_of(request)
    if table is DashboardTable.supply:
        day, cells = supply_heatmap(session=session, principal=viewer)
        rows = supply_table(cells, language=language, word=translator(language))
        return exported(request, rows, format=format, name=f"supply-{day or ''}")
    return exported(
        request,
        not_reported_table(
            unreported_stores(session=session, principal=viewer, today=today), language=language
        ),
        format=format,
        name=f"not-reported-{today}",
    )


@router.post("/dashboard/monitor", dependencies=[Depends(check_csrf)])
def run_monitor_now(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> Response:
    """Start the monitor for today, as ``POST /api/v1/monitor/runs`` with ``Prefer:
    respond-async`` does, and follow it on its page (a run covers the whole tree:
    national staff only); the run goes on after this response."""
    _reader(viewer)
    require_national(viewer)
    session.close()  # the run opens its own transactions; hold no connection meanwhile
    factory: SessionFactory = request.app.state.session_factory
    run, work = runs.start_monitor_run(
        session_factory=factory,
        config=monitor_config(settings),
        principal=viewer,
        most_unfinished=settings.max_unfinished_jobs,
        queue=part_queue(settings),
    )
    background.add_task(work)
    return redirect(f"/dashboard/monitor/runs/{run.id}")


RUN_POLL_EVERY = "every 2s"
RAN = "/dashboard?ran=1"


@router.get("/dashboard/monitor/runs/{run_id}")
def monitor_run_page(
    request: Request, run_id: DatabaseId, session: SessionDep, viewer: ViewerDep
) -> Response:
    """How far a run started from the dashboard has got; the dashboard once it is done."""
    _reader(viewer)
    run = read_run(session=session, principal=viewer, run_id=run_id)
    if run.status is RunStatus.succeeded:
        return redirect(RAN)
    return _run_panel(request, session, run, "dashboard/monitor_run.html")


@router.get("/dashboard/monitor/runs/{run_id}/panel")
def monitor_run_panel(
    request: Request, run_id: DatabaseId, session: SessionDep, viewer: ViewerDep
) -> Response:
    """The panel the run's page polls: it sends the browser back to the dashboard when
    the run has succeeded and stops polling once the run has ended otherwise."""
    if (whole := page_unless_htmx(request, f"/dashboard/monitor/runs/{run_id}")) is not None:
        return whole
    _reader(viewer)
    run = read_run(session=session, principal=viewer, run_id=run_id)
    response = _run_panel(request, session, run, "dashboard/_monitor_run_panel.html")
    if run.status is RunStatus.succeeded:
        response.headers["HX-Redirect"] = RAN
    return response


def _run_panel(request: Request, session: Session, run: MonitorRun, template: str) -> HTMLResponse:
    parts = run_parts(session=session, run_ids=[run.id]).get(run.id)
    return render(
        request,
        template,
        {
            "run": run,
            "ended": run.status is not RunStatus.running,
            "parts": parts,
            "poll": RUN_POLL_EVERY,
        },
    )


def _points(history: list[SupplyHistoryPoint]) -> list[dict[str, Any]]:
    """History points as the chart and its table read them (JSON values)."""
    return [
        {
            "date": point.date.isoformat(),
            "days_of_supply": point.days_of_supply,
            "stock": point.stock,
            "expected_daily_sales": point.expected_daily_sales,
            "status": point.status.value,
            "coverage": point.coverage,
            "price": point.price,
        }
        for point in history
    ]


def _detail(request: Request, session: Session, found: SupplyDrillDown) -> HTMLResponse:
    """A district's or a product's drill-down page, products named in the page language."""
    names = product_names(session, language_of(request))
    return render(
        request,
        "dashboard/detail.html",
        {
            "kind": found.kind,
            "title": _name(found.name, found.name_zh, language_of(request)),
            "code": found.code,
            "rows": found.rows,
            "chosen": found.chosen,
            "chosen_name": names.get(found.chosen, found.chosen) if found.chosen else None,
            "product_names": names,
            "history": _points(found.history),
        },
    )


@router.get("/dashboard/district/{code}")
def district_detail(
    request: Request,
    code: str,
    session: ReplicaSessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    product: str | None = None,
) -> HTMLResponse:
    """One district: its products worst first, and one product's numbers over time."""
    _reader(viewer)
    found = district_drill_down(
        session=session,
        principal=viewer,
        code=code,
        product=product,
        today=business_today(settings),
    )
    return _detail(request, session, found)


@router.get("/dashboard/product/{code}")
def product_detail(
    request: Request,
    code: str,
    session: ReplicaSessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """One product: its districts worst first, and the city's numbers over time."""
    _reader(viewer)
    found = product_drill_down(
        session=session, principal=viewer, code=code, today=business_today(settings)
    )
    return _detail(request, session, found)


def _drill_down_export(
    request: Request, found: SupplyDrillDown, *, table: DrillDownTable, format: ExportFormat
) -> Response:
    """A drill-down's rows or its history as a download named after what it shows."""
    word = translator(language_of(request))
    if table is DrillDownTable.rows:
        return exported(
            request,
            drill_down_table(found, word=word),
            format=format,
            name=f"{found.kind}-{found.code}",
        )
    return exported(
        request,
        history_table(found, word=word),
        format=format,
        name=f"{found.kind}-{found.code}-{found.chosen or ''}-history",
    )


@router.get("/dashboard/district/{code}/export")
def export_district(
    request: Request,
    code: str,
    session: ReplicaSessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    format: ExportFormat,
    table: DrillDownTable = DrillDownTable.rows,
    product: str | None = None,
) -> Response:
    """One district's products (or one product there over time) as CSV or XLSX."""
    _reader(viewer)
    found = district_drill_down(
        session=session,
        principal=viewer,
        code=code,
        product=product,
        today=business_today(settings),
    )
    return _drill_down_export(request, found, table=table, format=format)


@router.get("/dashboard/product/{code}/export")
def export_product(
    request: Request,
    code: str,
    session: ReplicaSessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    format: ExportFormat,
    table: DrillDownTable = DrillDownTable.rows,
) -> Response:
    """One product's districts (or the city's numbers over time) as CSV or XLSX."""
    _reader(viewer)
    found = product_drill_down(
        session=session, principal=viewer, code=code, today=business_today(settings)
    )
    return _drill_down_export(request, found, table=table, format=format)
