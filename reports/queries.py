"""The report read models: a store's day, a range of days, the revision log, the days it
reported lately and the products it reports, for the API and the store pages alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import InvalidInput
from core.text import field_problem
from masterdata.stores import visible_to
from models import DailyReport, Enterprise, Product, ProductCategory, Region, ReportRevision, Store

MAX_RANGE_DAYS = 366
"""A range read covers at most this many days (a year, leap day included)."""
DEFAULT_RANGE_DAYS = 7
"""A range read without a first day covers the week up to its last day."""
RECENT_DAYS = 14
"""A store's products are the ones it reported in this many days (else every product)."""


@dataclass(frozen=True)
class ReportLineView:
    """One stored line of a report: the product by code, its canonical unit, the numbers
    and who last changed them when."""

    product: str
    unit: str
    stock: float
    sales: float
    price: float
    received: float | None
    submitted_by: str
    updated_at: datetime


@dataclass(frozen=True)
class DayReport:
    """A store's report for one business day, lines by product code (empty: none)."""

    store: str
    date: date
    lines: list[ReportLineView]


@dataclass(frozen=True)
class RevisionView:
    """One change to a report line: who, when, the old values and the new (None when the
    line was removed)."""

    product: str
    kind: str
    changed_at: datetime
    changed_by: str
    old: dict[str, float | str | None]
    new: dict[str, float | None] | None


@dataclass(frozen=True)
class ReportedDay:
    """A day a store reported: how many lines it holds and when it last changed."""

    report_date: date
    lines: int
    last_changed_at: datetime | None


@dataclass(frozen=True)
class ProductToReport:
    """A product a store reports, with what its report form shows of it."""

    code: str
    name: str
    name_zh: str | None
    category: str
    unit: str
    category_name: str
    category_name_zh: str | None


def _stored_lines(
    session: Session, *, store_id: int, first_day: date, last_day: date
) -> list[tuple[date, ReportLineView]]:
    """Stored lines of one store between two business days, by day and product code."""
    rows = session.execute(
        select(DailyReport, Product.code, Product.unit)
        .join(Product, DailyReport.product_id == Product.id)
        .where(
            DailyReport.store_id == store_id,
            DailyReport.report_date >= first_day,
            DailyReport.report_date <= last_day,
        )
        .order_by(DailyReport.report_date, Product.code)
    )
    return [
        (
            line.report_date,
            ReportLineView(
                product=code,
                unit=unit,
                stock=line.stock,
                sales=line.sales,
                price=line.price,
                received=line.received,
                submitted_by=line.submitted_by,
                updated_at=line.updated_at,
            ),
        )
        for line, code, unit in rows
    ]


def day_report(*, session: Session, store: Store, day: date) -> DayReport:
    """``store``'s report for ``day`` as stored now (no lines when it has none)."""
    lines = _stored_lines(session, store_id=store.id, first_day=day, last_day=day)
    return DayReport(store=store.code, date=day, lines=[line for _, line in lines])


def reports_between(
    *,
    session: Session,
    store: Store,
    first_day: date | None,
    last_day: date | None,
    today: date,
) -> list[DayReport]:
    """``store``'s reports from ``first_day`` to ``last_day`` (default: the week up to
    ``today``), one per day that has lines; a range backwards or longer than
    ``MAX_RANGE_DAYS`` is refused, so one read stays small."""
    last = last_day or today
    week_before = (
        last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if last.toordinal() > DEFAULT_RANGE_DAYS - 1
        else date.min
    )
    first = first_day or week_before
    if first > last:
        raise InvalidInput(
            "the first day is after the last day",
            errors=[field_problem(["query", "from"], "is after the last day")],
        )
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput(
            "a range covers at most {days} days",
            errors=[
                field_problem(
                    ["query", "from"], "more than {days} days before to", days=MAX_RANGE_DAYS
                )
            ],
            days=MAX_RANGE_DAYS,
        )
    by_day: dict[date, list[ReportLineView]] = {}
    for day, line in _stored_lines(session, store_id=store.id, first_day=first, last_day=last):
        by_day.setdefault(day, []).append(line)
    return [DayReport(store=store.code, date=day, lines=lines) for day, lines in by_day.items()]


def report_revisions(*, session: Session, store: Store, day: date) -> list[RevisionView]:
    """Every change made to ``store``'s report for ``day``, oldest first: the history a
    correction never loses."""
    rows = session.execute(
        select(ReportRevision, Product.code)
        .join(Product, ReportRevision.product_id == Product.id)
        .where(ReportRevision.store_id == store.id, ReportRevision.report_date == day)
        .order_by(ReportRevision.id)
    )
    return [
        RevisionView(
            product=code,
            kind=revision.kind.value,
            changed_at=revision.changed_at,
            changed_by=revision.changed_by,
            old={
                "stock": revision.old_stock,
                "sales": revision.old_sales,
                "price": revision.old_price,
                "received": revision.old_received,
                "submitted_by": revision.old_submitted_by,
            },
            new=None
            if revision.new_stock is None
            else {
                "stock": revision.new_stock,
                "sales": revision.new_sales,
                "price": revision.new_price,
                "received": revision.new_received,
            },
        )
        for revision, code in rows
    ]


def reported_days(
    *, session: Session, store: Store, today: date, days: int = RECENT_DAYS
) -> list[ReportedDay]:
    """The days ``store`` reported in the ``days`` up to ``today``, newest first."""
    rows = session.execute(
        select(DailyReport.report_date, func.count(), func.max(DailyReport.updated_at))
        .where(
            DailyReport.store_id == store.id,
            DailyReport.report_date >= today - timedelta(days=days),
        )
        .group_by(DailyReport.report_date)
        .order_by(DailyReport.report_date.desc())
    )
    return [ReportedDay(*row) for row in rows]


@dataclass(frozen=True)
class StoreReportingDay:
    """A store someone reports for, and what it reported on one business day so far."""

    code: str
    name: str
    region_name: str
    enterprise_name: str | None
    lines: int
    last_changed_at: datetime | None
    region_name_zh: str | None = None


def stores_reporting_on(
    *, session: Session, principal: Principal, day: date
) -> list[StoreReportingDay]:
    """The active stores ``principal`` reports for, by code, each with its lines and last
    change on ``day``: a chain sees at a glance which of its stores still owe the day."""
    today = (
        select(
            DailyReport.store_id,
            func.count().label("lines"),
            func.max(DailyReport.updated_at).label("last_changed_at"),
        )
        .where(DailyReport.report_date == day)
        .group_by(DailyReport.store_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Store.code,
            Store.name,
            Region.name,
            Enterprise.name,
            func.coalesce(today.c.lines, 0),
            today.c.last_changed_at,
            Region.name_zh,
        )
        .join(Region, Store.region_id == Region.id)
        .outerjoin(Enterprise, Store.enterprise_id == Enterprise.id)
        .outerjoin(today, today.c.store_id == Store.id)
        .where(Store.active.is_(True), visible_to(principal))
        .order_by(Store.code)
    )
    return [StoreReportingDay(*row) for row in rows]


# What a report form shows of a product, in ``ProductToReport``'s field order.
_PRODUCT_COLUMNS = (
    Product.code,
    Product.name,
    Product.name_zh,
    ProductCategory.code,
    Product.unit,
    ProductCategory.name,
    ProductCategory.name_zh,
)


def products_to_report(
    *, session: Session, store: Store, today: date, recent_days: int = RECENT_DAYS
) -> list[ProductToReport]:
    """The active products ``store`` reported in the ``recent_days`` up to ``today``, or
    every active product for a store that has not reported yet, by category and code."""
    recent = (
        select(DailyReport.product_id)
        .where(
            DailyReport.store_id == store.id,
            DailyReport.report_date >= today - timedelta(days=recent_days),
        )
        .distinct()
    )
    query = (
        select(*_PRODUCT_COLUMNS)
        .join(ProductCategory, Product.category_id == ProductCategory.id)
        .where(Product.active.is_(True))
        .order_by(ProductCategory.code, Product.code)
    )
    found = session.execute(query.where(Product.id.in_(recent))).all()
    return [ProductToReport(*row) for row in (found or session.execute(query).all())]


def products_to_add(
    *, session: Session, store: Store, today: date, recent_days: int = RECENT_DAYS
) -> list[ProductToReport]:
    """Active products ``store``'s form does not list yet (one it starts to sell, one new
    in the catalogue), by category and code, so the store can add them to a report."""
    listed = {
        product.code
        for product in products_to_report(
            session=session, store=store, today=today, recent_days=recent_days
        )
    }
    every = session.execute(
        select(*_PRODUCT_COLUMNS)
        .join(ProductCategory, Product.category_id == ProductCategory.id)
        .where(Product.active.is_(True))
        .order_by(ProductCategory.code, Product.code)
    ).all()
    return [ProductToReport(*row) for row in every if row[0] not in listed]
