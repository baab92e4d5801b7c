"""A store's JSON report and a bulk file obey the same rules: the per-line check accepts
exactly the reports the vectorised validator finds no problem in, with the same numbers."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.access import Principal
from models import Role, Store
from reports.validation import (
    Catalog,
    CheckedReport,
    ReportRules,
    check_report_lines,
    validate_lines,
)
from tests.factories import business_today, make_product, make_store

BUREAU = Principal("key", 1, "bureau", Role.bureau)


def good(product: str = "pork", **values: Any) -> dict[str, Any]:
    return {"product": product, "stock": 10.0, "sales": 2.5, "price": 7.25} | values


REPORTS: dict[str, list[dict[str, Any]]] = {
    "plain": [good(), good("rice", received=3.0)],
    "converted units": [good(unit="jin", stock=3.3333), good("rice", unit="t", price=5800.0)],
    "canonical unit named": [good(unit="kg")],
    "padded code": [good("  pork ")],
    "rounding": [good(stock=1.23456789, price=3.1415926535)],
    "integers": [good(stock=3, sales=0, price=2)],
    "unknown product": [good("unicorn")],
    "blank product": [good("")],
    "deactivated product": [good("old")],
    "same product twice": [good(), good(stock=1.0)],
    "same product padded twice": [good(), good(" pork")],
    "unknown unit": [good(unit="bushel")],
    "unconvertible unit": [good(unit="piece")],
    "negative": [good(sales=-1.0)],
    "zero price": [good(price=0.0)],
    "above the quantity limit": [good(stock=2e9)],
    "above the quantity limit once converted": [good("rice", unit="t", stock=1.5e6)],
    "above the price limit": [good(price=2e6)],
    "not a number": [good(stock="twelve")],
    "missing price": [good(price=None)],
    "not finite": [good(stock=math.inf)],
    "boolean": [good(stock=True)],
}
# Inputs the JSON schema never lets through: the per-line check leaves them to the
# vectorised validator (which reads true as 1) rather than guess.
LEFT_TO_THE_VECTORISED_VALIDATOR = {"boolean"}


@pytest.fixture
def catalog(session: Session, store: Store) -> Catalog:
    make_product(session, code="pork", conversions={"jin": 0.5})
    make_product(session, code="rice", category="grain")
    make_product(session, code="old", active=False)
    return Catalog.load(session)


@pytest.fixture
def store(session: Session) -> Store:
    return make_store(session, code="PDS-0001")


def rules() -> ReportRules:
    return ReportRules(today=business_today(), max_age_days=400, max_quantity=1e9, max_price=1e6)


def vectorised(
    lines: list[dict[str, Any]], store: Store, day: date, catalog: Catalog
) -> tuple[pd.DataFrame, list[Any]]:
    frame = pd.DataFrame(
        {
            "store": store.code,
            "date": pd.Timestamp(day),
            **{
                name: [line.get(name) for line in lines]
                for name in ("product", "stock", "sales", "price", "received", "unit")
            },
        },
        index=pd.RangeIndex(len(lines)),
    )
    rows, errors, _ = validate_lines(frame, catalog=catalog, rules=rules(), principal=BUREAU)
    return rows, errors


@pytest.mark.parametrize("name", list(REPORTS))
def test_a_json_report_passes_the_per_line_check_exactly_when_a_file_would(
    catalog: Catalog, store: Store, name: str
) -> None:
    lines = REPORTS[name]
    day = business_today()
    checked = check_report_lines(lines, store_active=True, day=day, catalog=catalog, rules=rules())
    rows, errors = vectorised(lines, store, day, catalog)
    if errors or name in LEFT_TO_THE_VECTORISED_VALIDATOR:
        assert checked is None
        return
    assert checked == CheckedReport.from_rows(rows, catalog)


@pytest.mark.parametrize("day_offset", [1, -401])
def test_a_day_out_of_range_fails_both_checks(
    catalog: Catalog, store: Store, day_offset: int
) -> None:
    day = business_today() + timedelta(days=day_offset)
    lines = REPORTS["plain"]
    assert (
        check_report_lines(lines, store_active=True, day=day, catalog=catalog, rules=rules())
        is None
    )
    assert {error.column for error in vectorised(lines, store, day, catalog)[1]} == {"date"}
