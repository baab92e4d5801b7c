"""Reads the officer's page, the coverage page and the API share: an officer's stores
with today's supply status, alerts, missing reports and open tickets, worst first; and
where the bureau's officer coverage has gaps."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import InvalidInput
from core.text import field_problem
from hotline.queries import OPEN_STATUSES
from models import (
    Alert,
    AlertStatus,
    DailyReport,
    Enterprise,
    OfficerAssignment,
    OfficerVisit,
    Region,
    Role,
    ScopeLevel,
    Severity,
    Store,
    SupplySnapshot,
    Ticket,
    User,
)
from monitors.queries.supply import latest_supply_day
from officers.assignments import (
    MANAGER_ROLES,
    OFFICER_ROLES,
    assigned_store_ids,
    charges_inside,
    covered_by_active_officers,
    officer_in_view,
    stores_inside,
)

STATUS_ORDER = ("stocked_out", "critical", "low", "unknown", "adequate", "overstocked", "no_demand")
"""Worst first; a store the monitor knows nothing about is ranked just above 'adequate'."""
BELOW = ("stocked_out", "critical", "low")
OPEN_ALERTS = (AlertStatus.firing, AlertStatus.acknowledged)
MAX_QUIET_DAYS = 365


@dataclass(frozen=True)
class StoreCard:
    """One store in an officer's charge as they need it on the road; its last visit is
    the latest to the store itself or to its whole enterprise."""

    code: str
    name: str
    enterprise: str | None
    region: str
    status: str
    products_below: int
    open_alerts: int
    critical_alerts: int
    last_report: date | None
    days_without_report: int | None
    open_tickets: int
    last_visit: date | None
    enterprise_name: str | None = None
    region_zh: str | None = None


@dataclass(frozen=True)
class EnterpriseCard:
    """An enterprise in an officer's charge with how many stores it has and the last visit."""

    code: str
    name: str
    stores: int
    last_visit: date | None


@dataclass(frozen=True)
class Portfolio:
    """Everything on an officer's page: their enterprises and their stores, worst first."""

    officer: str
    full_name: str | None
    today: date
    supply_day: date | None
    enterprises: list[EnterpriseCard]
    stores: list[StoreCard]


def _worst_status(session: Session, store_ids: list[int], day: date | None) -> dict[int, str]:
    """Per store, its worst product status and how many products are below on ``day``."""
    if day is None or not store_ids:
        return {}
    counts: dict[int, set[str]] = defaultdict(set)
    for store_id, status in session.execute(
        select(SupplySnapshot.scope_id, SupplySnapshot.status)
        .where(
            SupplySnapshot.business_date == day,
            SupplySnapshot.scope_level == ScopeLevel.store,
            SupplySnapshot.item_kind == "product",
            SupplySnapshot.scope_id.in_(store_ids),
        )
        .distinct()
    ):
        counts[store_id].add(status.value)
    return {
        store_id: next((s for s in STATUS_ORDER if s in statuses), "unknown")
        for store_id, statuses in counts.items()
    }


def _products_below(session: Session, store_ids: list[int], day: date | None) -> dict[int, int]:
    if day is None or not store_ids:
        return {}
    return dict(
        session.execute(
            select(SupplySnapshot.scope_id, func.count())
            .where(
                SupplySnapshot.business_date == day,
                SupplySnapshot.scope_level == ScopeLevel.store,
                SupplySnapshot.item_kind == "product",
                SupplySnapshot.scope_id.in_(store_ids),
                SupplySnapshot.status.in_(BELOW),
            )
            .group_by(SupplySnapshot.scope_id)
        ).all()
    )


def _alerts(session: Session, store_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per store, open alerts and how many of them are critical."""
    found: dict[int, tuple[int, int]] = {}
    for store_id, severity, count in session.execute(
        select(Alert.store_id, Alert.severity, func.count())
        .where(Alert.store_id.in_(store_ids), Alert.status.in_(OPEN_ALERTS))
        .group_by(Alert.store_id, Alert.severity)
    ):
        if store_id is None:
            continue
        total, critical = found.get(store_id, (0, 0))
        found[store_id] = (
            total + count,
            critical + (count if severity is Severity.critical else 0),
        )
    return found


def store_cards(
    *, session: Session, store_ids: list[int], today: date, day: date | None
) -> list[StoreCard]:
    """Cards of these stores, worst first: supply status on the monitor's latest day
    ``day``, then critical and open alerts, days without a report, open tickets."""
    if not store_ids:
        return []
    status = _worst_status(session, store_ids, day)
    below = _products_below(session, store_ids, day)
    alerts = _alerts(session, store_ids)
    last_report = dict(
        session.execute(
            select(DailyReport.store_id, func.max(DailyReport.report_date))
            .where(DailyReport.store_id.in_(store_ids), DailyReport.report_date <= today)
            .group_by(DailyReport.store_id)
        ).all()
    )
    tickets = dict(
        session.execute(
            select(Ticket.store_id, func.count())
            .where(Ticket.store_id.in_(store_ids), Ticket.status.in_(OPEN_STATUSES))
            .group_by(Ticket.store_id)
        ).all()
    )
    visits = dict(
        session.execute(
            select(OfficerVisit.store_id, func.max(OfficerVisit.visit_date))
            .where(OfficerVisit.store_id.in_(store_ids))
            .group_by(OfficerVisit.store_id)
        ).all()
    )
    enterprise_visits = dict(
        session.execute(
            select(OfficerVisit.enterprise_id, func.max(OfficerVisit.visit_date))
            .where(
                OfficerVisit.store_id.is_(None),
                OfficerVisit.enterprise_id.in_(
                    select(Store.enterprise_id).where(Store.id.in_(store_ids))
                ),
            )
            .group_by(OfficerVisit.enterprise_id)
        ).all()
    )
    cards = []
    for (
        store_id,
        code,
        name,
        enterprise_id,
        enterprise,
        enterprise_name,
        region,
        region_zh,
    ) in session.execute(
        select(
            Store.id,
            Store.code,
            Store.name,
            Store.enterprise_id,
            Enterprise.code,
            Enterprise.name,
            Region.name,
            Region.name_zh,
        )
        .join(Region, Region.id == Store.region_id)
        .outerjoin(Enterprise, Enterprise.id == Store.enterprise_id)
        .where(Store.id.in_(store_ids))
    ):
        last = last_report.get(store_id)
        open_alerts, critical = alerts.get(store_id, (0, 0))
        cards.append(
            StoreCard(
                code=code,
                name=name,
                enterprise=enterprise,
                enterprise_name=enterprise_name,
                region=region,
                region_zh=region_zh,
                status=status.get(store_id, "unknown"),
                products_below=int(below.get(store_id, 0)),
                open_alerts=open_alerts,
                critical_alerts=critical,
                last_report=last,
                days_without_report=(today - last).days if last else None,
                open_tickets=int(tickets.get(store_id, 0)),
                last_visit=max(
                    (
                        day
                        for day in (visits.get(store_id), enterprise_visits.get(enterprise_id))
                        if day is not None
                    ),
                    default=None,
                ),
            )
        )
    return sorted(cards, key=_worst_first)


def _worst_first(card: StoreCard) -> tuple[int, int, int, int, int, int, str]:
    """The sort key of the officer's list: the store needing help most comes first."""
    silent = card.days_without_report if card.days_without_report is not None else 10_000
    return (
        STATUS_ORDER.index(card.status),
        -card.critical_alerts,
        -card.open_alerts,
        -silent,
        -card.open_tickets,
        -card.products_below,
        card.code,
    )


def officer_portfolio(
    *, session: Session, principal: Principal, officer: str, today: date
) -> Portfolio:
    """What an officer looks after and how each store stands ``today`` (an officer reads
    their own; the bureau anyone's; region-bound staff only the stores inside their region
    and the enterprises having one)."""
    user = officer_in_view(session=session, principal=principal, officer=officer)
    enterprise_ids, store_ids = assigned_store_ids(session, user.id, principal)
    if principal.is_region_bound:
        enterprise_ids = list(
            session.scalars(
                select(Store.enterprise_id)
                .where(Store.enterprise_id.in_(enterprise_ids), stores_inside(principal))
                .distinct()
            )
        )
    store_counts = dict(
        session.execute(
            select(Store.enterprise_id, func.count())
            .where(
                Store.enterprise_id.in_(enterprise_ids),
                Store.active.is_(True),
                stores_inside(principal),
            )
            .group_by(Store.enterprise_id)
        ).all()
    )
    visits = dict(
        session.execute(
            select(OfficerVisit.enterprise_id, func.max(OfficerVisit.visit_date))
            .where(
                OfficerVisit.enterprise_id.in_(enterprise_ids),
                OfficerVisit.officer_id == user.id,
            )
            .group_by(OfficerVisit.enterprise_id)
        ).all()
    )
    enterprises = [
        EnterpriseCard(
            code, name, int(store_counts.get(enterprise_id, 0)), visits.get(enterprise_id)
        )
        for enterprise_id, code, name in session.execute(
            select(Enterprise.id, Enterprise.code, Enterprise.name)
            .where(Enterprise.id.in_(enterprise_ids))
            .order_by(Enterprise.code)
        )
    ]
    day = latest_supply_day(session=session, level=ScopeLevel.store)
    return Portfolio(
        officer=user.username,
        full_name=user.full_name,
        today=today,
        supply_day=day,
        enterprises=enterprises,
        stores=store_cards(session=session, store_ids=store_ids, today=today, day=day),
    )


@dataclass(frozen=True)
class UncoveredEnterprise:
    """A key supply enterprise nobody looks after, with its key stores that have no
    officer of their own (one whose key stores all have one is covered)."""

    code: str
    name: str
    key_stores: int


@dataclass(frozen=True)
class UncoveredStore:
    """A key supplier store without an officer (neither its own nor its enterprise's)."""

    code: str
    name: str
    enterprise: str | None
    region: str
    region_zh: str | None = None


@dataclass(frozen=True)
class QuietOfficer:
    """An officer without a visit in the period, with what they look after."""

    username: str
    full_name: str | None
    enterprises: int
    stores: int
    last_visit: date | None
    days_since_visit: int | None


@dataclass(frozen=True)
class Coverage:
    """Where the bureau's officer coverage has gaps on ``today``."""

    today: date
    days: int
    officers: int
    enterprises_without_officer: list[UncoveredEnterprise]
    stores_without_officer: list[UncoveredStore]
    officers_without_visit: list[QuietOfficer]


def check_quiet_days(days: int) -> int:
    """The look-back of the coverage page: 1 to 365 days; anything else names ``days``."""
    if not 1 <= days <= MAX_QUIET_DAYS:
        raise InvalidInput(
            "days must be between 1 and {limit}",
            errors=[
                field_problem(["query", "days"], "between 1 and {limit} days", limit=MAX_QUIET_DAYS)
            ],
            limit=MAX_QUIET_DAYS,
        )
    return days


def officer_coverage(*, session: Session, principal: Principal, today: date, days: int) -> Coverage:
    """Key enterprises and stores without an officer, and officers without a visit in the
    last ``days`` days: where the bureau has nobody on the spot (for region-bound staff,
    counted over the stores inside their region and the officers in charge there). An
    assignment of a deactivated officer covers nothing: nobody answers for it."""
    require_role(principal, *MANAGER_ROLES)
    check_quiet_days(days)
    covered_enterprises, covered_stores = covered_by_active_officers()
    key_store = (Store.active.is_(True), Store.key_supplier.is_(True))
    enterprises = [
        UncoveredEnterprise(code, name, int(count))
        for code, name, count in session.execute(
            select(Enterprise.code, Enterprise.name, func.count(Store.id))
            .join(Store, Store.enterprise_id == Enterprise.id)
            .where(
                *key_store,
                stores_inside(principal),
                Enterprise.active.is_(True),
                Enterprise.id.not_in(covered_enterprises),
                Store.id.not_in(covered_stores),
            )
            .group_by(Enterprise.id, Enterprise.code, Enterprise.name)
            .order_by(func.count(Store.id).desc(), Enterprise.code)
        )
    ]
    stores = [
        UncoveredStore(code, name, enterprise, region, region_zh)
        for code, name, enterprise, region, region_zh in session.execute(
            select(Store.code, Store.name, Enterprise.code, Region.name, Region.name_zh)
            .join(Region, Region.id == Store.region_id)
            .outerjoin(Enterprise, Enterprise.id == Store.enterprise_id)
            .where(
                *key_store,
                stores_inside(principal),
                Store.id.not_in(covered_stores),
                or_(Store.enterprise_id.is_(None), Store.enterprise_id.not_in(covered_enterprises)),
            )
            .order_by(Region.name, Store.code)
        )
    ]
    charge: dict[int, tuple[int, int]] = {}
    for officer_id, enterprise_count, store_count in session.execute(
        select(
            OfficerAssignment.officer_id,
            func.count(OfficerAssignment.enterprise_id),
            func.count(OfficerAssignment.store_id),
        )
        .where(
            charges_inside(principal, OfficerAssignment.store_id, OfficerAssignment.enterprise_id)
        )
        .group_by(OfficerAssignment.officer_id)
    ):
        charge[officer_id] = (int(enterprise_count), int(store_count))
    last_visits = dict(
        session.execute(
            select(OfficerVisit.officer_id, func.max(OfficerVisit.visit_date))
            .where(charges_inside(principal, OfficerVisit.store_id, OfficerVisit.enterprise_id))
            .group_by(OfficerVisit.officer_id)
        ).all()
    )
    since = today - timedelta(days=days)
    people = session.execute(
        select(User.id, User.username, User.full_name)
        .where(
            User.active.is_(True),
            User.role.in_(OFFICER_ROLES),
            User.id.in_(list(charge))
            if principal.is_region_bound
            else or_(User.role == Role.service_officer, User.id.in_(list(charge))),
        )
        .order_by(User.username)
    ).all()
    quiet = []
    for user_id, username, full_name in people:
        last = last_visits.get(user_id)
        if last is not None and last >= since:
            continue
        enterprise_count, store_count = charge.get(user_id, (0, 0))
        quiet.append(
            QuietOfficer(
                username=username,
                full_name=full_name,
                enterprises=enterprise_count,
                stores=store_count,
                last_visit=last,
                days_since_visit=(today - last).days if last else None,
            )
        )
    quiet.sort(key=lambda o: (-(o.days_since_visit or 100_000), o.username))
    return Coverage(
        today=today,
        days=days,
        officers=len(people),
        enterprises_without_officer=enterprises,
        stores_without_officer=stores,
        officers_without_visit=quiet,
    )
