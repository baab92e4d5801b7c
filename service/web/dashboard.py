"""The bureau's dashboard: today's headline numbers, the district × category heatmap,
the store map, who has not reported, and drill-downs to a district or a product.

Every number is read from what the monitor stored (supply snapshots, alerts) or
through the supply API's own functions, so the page shows exactly what the alerts
were raised on; nothing is recomputed here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import NotFound
from core.lookups import get_by_code
from models import (
    Alert,
    AlertStatus,
    Compound,
    DailyReport,
    LockdownStatus,
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    Role,
    ScopeLevel,
    Store,
    SupplySnapshot,
)
from monitors.computing.status_bands import SUPPLY_STATUSES
from service.api.alerts import StatusFilter
from service.api.monitor_runs import RunRequest, start_run
from service.api.supply import SupplyRead, list_supply, supply_history
from service.configuration import business_today
from service.http.dependencies import SessionDep
from service.http.schemas import PageParams
from service.web.alerts import alert_page
from service.web.common import (
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    language_of,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

BELOW_THRESHOLD = ("stocked_out", "critical", "low")
ALERTS_ON_DASHBOARD = 15
EVERYTHING = PageParams(limit=5000, offset=0)


def _reader(viewer: Principal) -> None:
    require_role(viewer, Role.bureau)


def _latest_day(session: Session) -> date | None:
    return session.scalar(select(func.max(SupplySnapshot.business_date)))


def _name(row: Any, language: str) -> str:
    return str((getattr(row, "name_zh", None) if language == "zh" else None) or row.name)


def _headline(session: Session, day: date | None, today: date) -> dict[str, Any]:
    """Counts for the tiles: what is below threshold on the monitor's latest day, open
    alerts by severity and status, and how many active stores reported today."""
    below: dict[str, int] = {"products": 0, "districts": 0}
    if day is not None:
        for level, key in ((ScopeLevel.city, "products"), (ScopeLevel.district, "districts")):
            column = SupplySnapshot.item_id if level is ScopeLevel.city else SupplySnapshot.scope_id
            below[key] = (
                session.scalar(
                    select(func.count(func.distinct(column))).where(
                        SupplySnapshot.business_date == day,
                        SupplySnapshot.scope_level == level,
                        SupplySnapshot.item_kind == "product",
                        SupplySnapshot.status.in_(BELOW_THRESHOLD),
                    )
                )
                or 0
            )
    alerts = Counter(
        {
            (status.value, severity.value): count
            for status, severity, count in session.execute(
                select(Alert.status, Alert.severity, func.count())
                .where(Alert.status != AlertStatus.resolved)
                .group_by(Alert.status, Alert.severity)
            )
        }
    )
    active = session.scalar(select(func.count()).where(Store.active.is_(True))) or 0
    reported = (
        session.scalar(
            select(func.count(func.distinct(DailyReport.store_id))).where(
                DailyReport.report_date == today
            )
        )
        or 0
    )
    return {"below": below, "alerts": alerts, "active": active, "reported": reported}


def _heatmap(session: Session, day: date | None, language: str) -> dict[str, Any]:
    """District × category days of supply (category rows are ratios of sums)."""
    if day is None:
        return {"districts": [], "categories": [], "cells": []}
    rows = session.execute(
        select(Region, ProductCategory, SupplySnapshot.days_of_supply, SupplySnapshot.status)
        .join(Region, Region.id == SupplySnapshot.scope_id)
        .join(ProductCategory, ProductCategory.id == SupplySnapshot.item_id)
        .where(
            SupplySnapshot.business_date == day,
            SupplySnapshot.scope_level == ScopeLevel.district,
            SupplySnapshot.item_kind == "category",
        )
        .order_by(Region.code, ProductCategory.code)
    ).all()
    districts: dict[str, str] = {}
    categories: dict[str, str] = {}
    for region, category, _, _ in rows:
        districts.setdefault(region.code, _name(region, language))
        categories.setdefault(category.code, _name(category, language))
    district_index = {code: i for i, code in enumerate(districts)}
    category_index = {code: i for i, code in enumerate(categories)}
    cells = [
        [
            category_index[category.code],
            district_index[region.code],
            None if days is None else round(min(days, 99.0), 1),
            status.value,
        ]
        for region, category, days, status in rows
    ]
    return {
        "districts": [{"code": c, "name": n} for c, n in districts.items()],
        "categories": [{"code": c, "name": n} for c, n in categories.items()],
        "cells": cells,
    }


def _store_map(session: Session, day: date | None, today: date) -> list[dict[str, Any]]:
    """Each active store at its coordinates with its worst product status on the
    monitor's latest day, and whether it has reported today."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if day is not None:
        for store_id, status, count in session.execute(
            select(SupplySnapshot.scope_id, SupplySnapshot.status, func.count())
            .where(
                SupplySnapshot.business_date == day,
                SupplySnapshot.scope_level == ScopeLevel.store,
                SupplySnapshot.item_kind == "product",
            )
            .group_by(SupplySnapshot.scope_id, SupplySnapshot.status)
        ):
            counts[store_id][status.value] = count
    reported = set(
        session.scalars(
            select(DailyReport.store_id).where(DailyReport.report_date == today).distinct()
        )
    )
    points = []
    for store in session.scalars(
        select(Store).where(Store.active.is_(True), Store.latitude.is_not(None))
    ):
        statuses = counts.get(store.id, {})
        worst = next((s for s in SUPPLY_STATUSES if statuses.get(s)), "unknown")
        points.append(
            {
                "code": store.code,
                "name": store.name,
                "lon": store.longitude,
                "lat": store.latitude,
                "status": worst,
                "below": sum(statuses.get(s, 0) for s in BELOW_THRESHOLD),
                "reported": store.id in reported,
            }
        )
    return points


def _locked_compounds(session: Session) -> list[dict[str, Any]]:
    """Locked-down compounds at their coordinates, for the map."""
    return [
        {"code": code, "name": name, "lon": lon, "lat": lat}
        for code, name, lon, lat in session.execute(
            select(Compound.code, Compound.name, Compound.longitude, Compound.latitude).where(
                Compound.active.is_(True), Compound.lockdown_status == LockdownStatus.locked
            )
        )
    ]


def _not_reported(session: Session, today: date) -> list[Any]:
    reported = select(DailyReport.store_id).where(DailyReport.report_date == today)
    return list(
        session.execute(
            select(Store, Region.name)
            .join(Region, Region.id == Store.region_id)
            .where(Store.active.is_(True), Store.id.not_in(reported))
            .order_by(Region.code, Store.code)
        )
    )


@router.get("/dashboard")
def dashboard(
    request: Request, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> HTMLResponse:
    _reader(viewer)
    language = language_of(request)
    today = business_today(settings)
    day = _latest_day(session)
    alerts = alert_page(
        session,
        viewer,
        paging=PageParams(limit=ALERTS_ON_DASHBOARD, offset=0),
        status=StatusFilter.open,
    )
    return render(
        request,
        "dashboard/index.html",
        {
            "today": today,
            "day": day,
            "headline": _headline(session, day, today),
            "heatmap": _heatmap(session, day, language),
            "stores": _store_map(session, day, today),
            "compounds": _locked_compounds(session),
            "not_reported": _not_reported(session, today),
            "alerts": alerts,
            "statuses": SUPPLY_STATUSES,
        },
    )


@router.post("/dashboard/monitor", dependencies=[Depends(check_csrf)])
def run_monitor_now(
    request: Request, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> Response:
    """Run the monitor for today, as ``POST /api/v1/monitor/runs`` does, then reload."""
    _reader(viewer)
    start_run(
        body=RunRequest(), request=request, session=session, principal=viewer, settings=settings
    )
    return redirect("/dashboard?ran=1")


def _city_code(session: Session) -> str:
    code = session.scalar(select(Region.code).where(Region.level == RegionLevel.city).limit(1))
    if code is None:
        raise NotFound("there is no city region yet")
    return code


def _supply(session: Session, viewer: Principal, **filters: Any) -> list[SupplyRead]:
    """Rows of the supply listing (the API's function, so the same order and rules)."""
    query: dict[str, Any] = {
        "region": None,
        "product": None,
        "category": None,
        "status": None,
        "day": None,
    }
    try:
        return list(
            list_supply(
                session=session, principal=viewer, paging=EVERYTHING, **{**query, **filters}
            ).items
        )
    except NotFound:
        return []


def _history(
    session: Session,
    viewer: Principal,
    settings: Any,
    level: ScopeLevel,
    scope: str,
    product: str,
) -> list[dict[str, Any]]:
    history = supply_history(
        session=session,
        principal=viewer,
        settings=settings,
        level=level,
        scope=scope,
        product=product,
        category=None,
        first_day=None,
        last_day=None,
    )
    return [point.model_dump(mode="json") for point in history.points]


@router.get("/dashboard/district/{code}")
def district_detail(
    request: Request,
    code: str,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    product: str | None = None,
) -> HTMLResponse:
    """One district: its products worst first, and one product's numbers over time."""
    _reader(viewer)
    region = get_by_code(session, Region, code, label="region")
    rows = _supply(session, viewer, level=ScopeLevel.district, region=code)
    chosen = product or next((row.product for row in rows if row.product), None)
    history = (
        _history(session, viewer, settings, ScopeLevel.district, code, chosen) if chosen else []
    )
    return render(
        request,
        "dashboard/detail.html",
        {
            "kind": "district",
            "title": _name(region, language_of(request)),
            "code": code,
            "rows": rows,
            "chosen": chosen,
            "history": history,
        },
    )


@router.get("/dashboard/product/{code}")
def product_detail(
    request: Request, code: str, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> HTMLResponse:
    """One product: its districts worst first, and the city's numbers over time."""
    _reader(viewer)
    product = get_by_code(session, Product, code, label="product")
    rows = _supply(session, viewer, level=ScopeLevel.district, product=code)
    history = _history(session, viewer, settings, ScopeLevel.city, _city_code(session), code)
    return render(
        request,
        "dashboard/detail.html",
        {
            "kind": "product",
            "title": _name(product, language_of(request)),
            "code": code,
            "rows": rows,
            "chosen": code,
            "history": history,
        },
    )
