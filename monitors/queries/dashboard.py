"""The bureau's dashboard as one read: today's headline numbers, the district × category
heatmap, the store map, locked-down compounds, who has not reported, the worst situations
(open alerts grouped as on the alerts page) and drill-downs to a district or a product.

Every supply number comes from what the monitor stored (:mod:`monitors.queries.supply`),
so the dashboard shows exactly what the alerts were raised on; nothing is recomputed.

For a region-bound bureau every figure, count, list and point covers only what lies
inside its region (in SQL, ``within_region``): stores by their region, compounds by
theirs, alerts by their scope, and the monitor's district and city figures only for
regions inside (a district's bureau sees its district's figure, not its city's).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from core.access import Principal, require_in_region, require_role, within_region
from core.errors import NotFound
from core.lookups import PageOf, get_by_code
from core.text import phrase
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
)
from monitors.alerting.regions import alerts_within
from monitors.alerting.thresholds import ANY_CATEGORY, InvalidThresholds, category_thresholds
from monitors.computing.inputs import load_threshold_overrides
from monitors.computing.status_bands import SUPPLY_STATUSES
from monitors.queries.alert_groups import (
    DEFAULT_GROUP_BY,
    AlertGroupFilters,
    AlertGroupView,
    alert_groups,
)
from monitors.queries.supply import (
    BELOW_THRESHOLD,
    BelowThreshold,
    DistrictCategorySupply,
    SupplyView,
    below_threshold,
    district_category_supply,
    latest_supply_day,
    list_supply,
    store_status_counts,
    widest_level_inside,
)
from monitors.queries.supply_history import SupplyHistoryPoint, supply_history

DASHBOARD_READERS = (Role.bureau,)
"""The dashboard spans every store and district: the bureau (and admins)."""
SITUATIONS_SHOWN = 10
"""How many situations (open alerts grouped by district × category) the dashboard lists,
the worst first as on the alerts page: a city in lockdown has thousands of open alerts,
a bureau reads a handful of situations."""
EVERY_ROW = 5000
"""How many supply rows a drill-down lists (a district's products, a product's districts)."""
NOT_REPORTED_SHOWN = 100
"""How many stores without a report the dashboard lists (a province morning has thousands;
the count says how many, and the list is for chasing the first ones)."""


@dataclass(frozen=True)
class Headline:
    """The tiles: what is below threshold on the monitor's latest day, open alerts by
    (status, severity), and how many active stores reported today."""

    below: BelowThreshold
    open_alerts: Counter[tuple[str, str]]
    active_stores: int
    reported_stores: int


@dataclass(frozen=True)
class StoreOnMap:
    """An active store at its coordinates with its worst product status on the latest
    monitored day, how many products are below threshold, and whether it reported today."""

    code: str
    name: str
    longitude: float | None
    latitude: float | None
    status: str
    below_threshold: int
    reported: bool


@dataclass(frozen=True)
class CompoundOnMap:
    """A locked-down compound at its coordinates."""

    code: str
    name: str
    longitude: float | None
    latitude: float | None


@dataclass(frozen=True)
class UnreportedStore:
    """An active store without a report today, with its region's name in both languages."""

    code: str
    name: str
    region_name: str
    region_name_zh: str | None = None


@dataclass(frozen=True)
class CategoryBands:
    """Where a category's status bands begin, in days of supply: below ``critical_below``
    critical, below ``low_below`` low, above ``overstocked_above`` overstocked."""

    critical_below: float
    low_below: float
    overstocked_above: float


@dataclass(frozen=True)
class DashboardOverview:
    """Everything the dashboard shows but its map and its worst situations (each read
    apart, after the page)."""

    today: date
    latest_day: date | None
    headline: Headline
    heatmap: list[DistrictCategorySupply]
    bands: dict[str, CategoryBands]
    locked_compounds: int
    not_reported: list[UnreportedStore]
    not_reported_total: int


@dataclass(frozen=True)
class StoreMap:
    """The dashboard's map: every active store by its worst status, and the locked-down
    compounds (read apart from the page: a province's map is ten thousand points)."""

    stores: list[StoreOnMap]
    compounds: list[CompoundOnMap]


@dataclass(frozen=True)
class SupplyDrillDown:
    """One district's products, or one product's districts, worst first, and one
    product's numbers over time (the district's, or the city's)."""

    kind: Literal["district", "product"]
    code: str
    name: str
    name_zh: str | None
    rows: list[SupplyView]
    chosen: str | None
    history: list[SupplyHistoryPoint]


def _stores_inside(principal: Principal) -> ColumnElement[bool]:
    """Active stores inside the caller's region (every active store for national staff)."""
    return and_(Store.active.is_(True), within_region(principal, Store.region_id))


def _reported_today(session: Session, principal: Principal, today: date) -> set[int]:
    """Ids of the stores inside the caller's region with a report for ``today``."""
    return set(
        session.scalars(
            select(DailyReport.store_id)
            .join(Store, Store.id == DailyReport.store_id)
            .where(DailyReport.report_date == today, within_region(principal, Store.region_id))
            .distinct()
        )
    )


def _open_alert_counts(session: Session, principal: Principal) -> Counter[tuple[str, str]]:
    """Alerts not resolved inside the caller's region, by (status, severity) values, 0
    for a missing pair: the dashboard's alert tiles."""
    return Counter(
        {
            (status.value, severity.value): count
            for status, severity, count in session.execute(
                select(Alert.status, Alert.severity, func.count())
                .where(Alert.status != AlertStatus.resolved, alerts_within(principal))
                .group_by(Alert.status, Alert.severity)
            )
        }
    )


def _headline(session: Session, principal: Principal, day: date | None, today: date) -> Headline:
    """The tiles' numbers (nothing below threshold before the monitor's first run)."""
    active = session.scalar(select(func.count()).where(_stores_inside(principal))) or 0
    reported = (
        session.scalar(
            select(func.count(func.distinct(DailyReport.store_id)))
            .join(Store, Store.id == DailyReport.store_id)
            .where(DailyReport.report_date == today, within_region(principal, Store.region_id))
        )
        or 0
    )
    return Headline(
        below=(
            below_threshold(session=session, day=day, principal=principal)
            if day is not None
            else BelowThreshold(products=0, districts=0)
        ),
        open_alerts=_open_alert_counts(session, principal),
        active_stores=active,
        reported_stores=reported,
    )


def _store_map(
    session: Session, principal: Principal, day: date | None, today: date
) -> list[StoreOnMap]:
    """Every active store with coordinates inside the caller's region, coloured by its
    worst product status (columns, not objects: a province has ten thousand stores)."""
    counts = (
        store_status_counts(session=session, day=day, principal=principal)
        if day is not None
        else {}
    )
    reported = _reported_today(session, principal, today)
    points = []
    for store_id, code, name, longitude, latitude in session.execute(
        select(Store.id, Store.code, Store.name, Store.longitude, Store.latitude).where(
            _stores_inside(principal), Store.latitude.is_not(None)
        )
    ):
        statuses = counts.get(store_id, {})
        worst = next((s for s in SUPPLY_STATUSES if statuses.get(s)), "unknown")
        points.append(
            StoreOnMap(
                code=code,
                name=name,
                longitude=longitude,
                latitude=latitude,
                status=worst,
                below_threshold=sum(statuses.get(s, 0) for s in BELOW_THRESHOLD),
                reported=store_id in reported,
            )
        )
    return points


def _compounds_locked_inside(principal: Principal) -> ColumnElement[bool]:
    """Active, locked-down compounds inside the caller's region."""
    return and_(
        Compound.active.is_(True),
        Compound.lockdown_status == LockdownStatus.locked,
        within_region(principal, Compound.region_id),
    )


def _locked_compound_count(session: Session, principal: Principal) -> int:
    """How many compounds are locked down: the map's title counts them."""
    return session.scalar(select(func.count()).where(_compounds_locked_inside(principal))) or 0


def _locked_compounds(session: Session, principal: Principal) -> list[CompoundOnMap]:
    """Locked-down compounds, for the map: where deliveries must reach."""
    return [
        CompoundOnMap(code=code, name=name, longitude=lon, latitude=lat)
        for code, name, lon, lat in session.execute(
            select(Compound.code, Compound.name, Compound.longitude, Compound.latitude).where(
                _compounds_locked_inside(principal)
            )
        )
    ]


def _unreported_count(session: Session, principal: Principal, today: date) -> int:
    """How many active stores (inside the caller's region) have no report for ``today``."""
    reported = select(DailyReport.store_id).where(DailyReport.report_date == today)
    return (
        session.scalar(
            select(func.count()).where(_stores_inside(principal), Store.id.not_in(reported))
        )
        or 0
    )


def _unreported(
    session: Session, principal: Principal, today: date, limit: int | None
) -> list[UnreportedStore]:
    """Active stores (inside the caller's region) without a report for ``today``, by
    region and store code."""
    reported = select(DailyReport.store_id).where(DailyReport.report_date == today)
    query = (
        select(Store.code, Store.name, Region.name, Region.name_zh)
        .join(Region, Region.id == Store.region_id)
        .where(_stores_inside(principal), Store.id.not_in(reported))
        .order_by(Region.code, Store.code)
    )
    return [
        UnreportedStore(code=code, name=name, region_name=region_name, region_name_zh=name_zh)
        for code, name, region_name, name_zh in session.execute(
            query if limit is None else query.limit(limit)
        )
    ]


def unreported_stores(
    *, session: Session, principal: Principal, today: date
) -> list[UnreportedStore]:
    """Every active store without a report for ``today``: the whole list, for an export."""
    require_role(principal, *DASHBOARD_READERS)
    return _unreported(session, principal, today, None)


def category_bands(*, session: Session) -> dict[str, CategoryBands]:
    """Each category's status bands in force (defaults with the stored overrides): what
    the heatmap's colours mean, since a category is coloured by its own thresholds."""
    overrides, _by_product = load_threshold_overrides(session)
    try:
        table = category_thresholds(category_overrides=overrides)
    except InvalidThresholds:
        table = category_thresholds()
    codes = session.scalars(select(ProductCategory.code).order_by(ProductCategory.code))
    return {
        code: CategoryBands(
            critical_below=levels.low_supply_critical_days,
            low_below=levels.low_supply_warning_days,
            overstocked_above=levels.overstock_days,
        )
        for code in codes
        for levels in [table.get(code, table[ANY_CATEGORY])]
    }


def supply_heatmap(
    *, session: Session, principal: Principal
) -> tuple[date | None, list[DistrictCategorySupply]]:
    """The monitor's latest day and its district × category supply: the heatmap alone,
    for its export (the rest of the dashboard is not read)."""
    require_role(principal, *DASHBOARD_READERS)
    day = latest_supply_day(session=session)
    cells = (
        district_category_supply(session=session, day=day, principal=principal)
        if day is not None
        else []
    )
    return day, cells


def dashboard_overview(*, session: Session, principal: Principal, today: date) -> DashboardOverview:
    """What the bureau sees first each morning: where supply is short on the monitor's
    latest day, what is alerting, and who has not reported ``today``."""
    require_role(principal, *DASHBOARD_READERS)
    day = latest_supply_day(session=session)
    headline = _headline(session, principal, day, today)
    return DashboardOverview(
        today=today,
        latest_day=day,
        headline=headline,
        heatmap=(
            district_category_supply(session=session, day=day, principal=principal)
            if day is not None
            else []
        ),
        bands=category_bands(session=session),
        locked_compounds=_locked_compound_count(session, principal),
        not_reported=_unreported(session, principal, today, NOT_REPORTED_SHOWN),
        not_reported_total=_unreported_count(session, principal, today),
    )


def dashboard_situations(*, session: Session, principal: Principal) -> PageOf[AlertGroupView]:
    """The worst open situations as the alerts page lists them first: read after the page
    (a province's tens of thousands of open alerts take a grouping query of their own)."""
    require_role(principal, *DASHBOARD_READERS)
    return alert_groups(
        session=session,
        principal=principal,
        group_by=DEFAULT_GROUP_BY,
        filters=AlertGroupFilters(),
        limit=SITUATIONS_SHOWN,
        offset=0,
    )


def store_map(*, session: Session, principal: Principal, today: date) -> StoreMap:
    """The map's points: each active store coloured by its worst product status on the
    monitor's latest day and marked when it has not reported ``today``, over the
    locked-down compounds deliveries must reach."""
    require_role(principal, *DASHBOARD_READERS)
    day = latest_supply_day(session=session)
    return StoreMap(
        stores=_store_map(session, principal, day, today),
        compounds=_locked_compounds(session, principal),
    )


def _rows(
    session: Session,
    principal: Principal,
    *,
    region: str | None = None,
    product: str | None = None,
) -> list[SupplyView]:
    """The latest day's district rows (none before the monitor's first run)."""
    try:
        return list_supply(
            session=session,
            principal=principal,
            level=ScopeLevel.district,
            region=region,
            product=product,
            limit=EVERY_ROW,
            offset=0,
        ).items
    except NotFound:
        return []


def district_drill_down(
    *, session: Session, principal: Principal, code: str, product: str | None, today: date
) -> SupplyDrillDown:
    """One district: its products worst first, and one product's numbers over time
    (``product``, else the worst one)."""
    require_role(principal, *DASHBOARD_READERS)
    region = get_by_code(session, Region, code, label=phrase("region"))
    require_in_region(principal, region.id, label=phrase("region"), code=code)
    rows = _rows(session, principal, region=code)
    chosen = product or next((row.product for row in rows if row.product), None)
    history = (
        supply_history(
            session=session,
            principal=principal,
            level=ScopeLevel.district,
            scope=code,
            product=chosen,
            today=today,
        ).points
        if chosen
        else []
    )
    return SupplyDrillDown(
        kind="district",
        code=code,
        name=region.name,
        name_zh=region.name_zh,
        rows=rows,
        chosen=chosen,
        history=history,
    )


def _home_scope(session: Session, principal: Principal) -> tuple[ScopeLevel, str] | None:
    """The figure a product's history shows: a city for national staff, else the bound
    region itself when it is a city or a district (never another root city)."""
    if principal.region_id is None:
        city = session.scalar(select(Region.code).where(Region.level == RegionLevel.city).limit(1))
        if city is None:
            raise NotFound("there is no city region yet")
        return ScopeLevel.city, city
    level = widest_level_inside(session, principal)
    if level is ScopeLevel.store:
        return None
    bound = session.scalar(select(Region.code).where(Region.id == principal.region_id))
    return (level, bound) if bound is not None else None


def product_drill_down(
    *, session: Session, principal: Principal, code: str, today: date
) -> SupplyDrillDown:
    """One product: its districts worst first, and the city's numbers over time (for
    region-bound staff, the widest figure inside its region: its city's, its district's,
    or none for a township, whose stores have no figure of their own)."""
    require_role(principal, *DASHBOARD_READERS)
    product = get_by_code(session, Product, code, label=phrase("product"))
    rows = _rows(session, principal, product=code)
    home = _home_scope(session, principal)
    history = (
        supply_history(
            session=session,
            principal=principal,
            level=home[0],
            scope=home[1],
            product=code,
            today=today,
        ).points
        if home is not None
        else []
    )
    return SupplyDrillDown(
        kind="product",
        code=code,
        name=product.name,
        name_zh=product.name_zh,
        rows=rows,
        chosen=code,
        history=history,
    )
