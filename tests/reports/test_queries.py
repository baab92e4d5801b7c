"""The report read models the API and the store page share."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import InvalidInput
from models import Role, Store
from reports.queries import (
    MAX_RANGE_DAYS,
    day_report,
    products_to_report,
    report_revisions,
    reported_days,
    reports_between,
)
from reports.submissions import IngestLimits, submit_store_report
from reports.validation import ReportRules
from tests.factories import make_product, make_store

TODAY = date(2026, 11, 20)
CLERK = Principal("user", 3, "clerk", Role.bureau)


def post(session: Session, store: Store, day: date, *lines: tuple[str, float]) -> None:
    """Replace ``store``'s day with lines of (product, stock), as a clerk's form would."""
    body: list[dict[str, Any]] = [
        {"product": product, "stock": stock, "sales": 1.0, "price": 9.5, "received": None}
        for product, stock in lines
    ]
    submit_store_report(
        session,
        store=store,
        day=day,
        lines=body,
        principal=CLERK,
        rules=ReportRules(today=TODAY, max_age_days=400, max_quantity=1e7, max_price=1e5),
        limits=IngestLimits(max_report_lines=100, max_bulk_rows=100, max_listed_errors=10),
    )


@pytest.fixture
def store(session: Session) -> Store:
    for code, category in (("t-pork", "meat"), ("t-rice", "grain"), ("t-leek", "vegetables")):
        make_product(session, code=code, category=category)
    return make_store(session, code="T-S")


def test_a_day_reads_as_stored_and_a_range_defaults_to_the_week_up_to_today(
    session: Session, store: Store
) -> None:
    for back in (0, 3, 6, 7):
        post(session, store, TODAY - timedelta(days=back), ("t-pork", 10.0 + back))
    report = day_report(session=session, store=store, day=TODAY - timedelta(days=3))
    assert [(line.product, line.unit, line.stock) for line in report.lines] == [
        ("t-pork", "kg", 13.0)
    ]
    assert report.lines[0].submitted_by == CLERK.label
    assert day_report(session=session, store=store, day=TODAY - timedelta(days=1)).lines == []

    week = reports_between(session=session, store=store, first_day=None, last_day=None, today=TODAY)
    assert [report.date for report in week] == [TODAY - timedelta(days=d) for d in (6, 3, 0)]
    with pytest.raises(InvalidInput, match="the first day is after the last day"):
        reports_between(
            session=session,
            store=store,
            first_day=TODAY,
            last_day=TODAY - timedelta(1),
            today=TODAY,
        )
    with pytest.raises(InvalidInput, match=f"at most {MAX_RANGE_DAYS} days"):
        reports_between(
            session=session,
            store=store,
            first_day=TODAY - timedelta(days=MAX_RANGE_DAYS),
            last_day=TODAY,
            today=TODAY,
        )


def test_a_replaced_report_keeps_its_history(session: Session, store: Store) -> None:
    post(session, store, TODAY, ("t-pork", 10.0), ("t-rice", 5.0))
    post(session, store, TODAY, ("t-pork", 12.0))
    revisions = report_revisions(session=session, store=store, day=TODAY)
    by_product = {revision.product: revision for revision in revisions}
    assert by_product["t-pork"].old["stock"] == 10.0
    assert by_product["t-pork"].new is not None and by_product["t-pork"].new["stock"] == 12.0
    assert by_product["t-rice"].new is None  # left out of the new report: removed
    assert [
        (day.report_date, day.lines)
        for day in reported_days(session=session, store=store, today=TODAY)
    ] == [(TODAY, 1)]


def test_a_store_reports_its_recent_products_or_every_active_one_when_new(
    session: Session, store: Store
) -> None:
    every = {
        product.code for product in products_to_report(session=session, store=store, today=TODAY)
    }
    assert {"t-pork", "t-rice", "t-leek"} <= every
    post(session, store, TODAY - timedelta(days=2), ("t-rice", 4.0), ("t-pork", 1.0))
    recent = products_to_report(session=session, store=store, today=TODAY)
    assert [(p.code, p.category) for p in recent] == [("t-rice", "grain"), ("t-pork", "meat")]
    later = products_to_report(session=session, store=store, today=TODAY + timedelta(days=30))
    assert {"t-pork", "t-rice", "t-leek"} <= {product.code for product in later}
