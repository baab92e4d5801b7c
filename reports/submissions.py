"""The ingest use cases: a store's report for one day, and a bulk file of many lines.

Both validate everything first and write nothing unless every line is good.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, require_role, within_region
from core.database import SessionFactory, mark_read_only
from core.errors import Forbidden, InvalidInput
from core.text import FieldProblem, Text, field_problem, phrase
from models import Product, Role, Store
from reports.files import read_report_file
from reports.upsert import IngestCounts, StoredLine, replace_report, store_report_lines
from reports.validation import (
    Catalog,
    CheckedReport,
    LineError,
    ReportRules,
    check_report_lines,
    column_word,
    validate_lines,
)

REPORT_WRITERS = (Role.bureau, Role.store)


@dataclass(frozen=True)
class IngestLimits:
    """How much one request may carry and how much of its problems a refusal lists."""

    max_report_lines: int
    max_bulk_rows: int
    max_listed_errors: int


@dataclass(frozen=True)
class SubmittedReport:
    """What replacing a store's day did: the counts, whether the report is new (nothing
    was stored for that store and day before), and its lines as stored now, with each
    product's code and canonical unit, by product code."""

    counts: IngestCounts
    created: bool
    lines: list[tuple[str, str, StoredLine]]


def submit_store_report(
    session: Session,
    *,
    store: Store,
    day: date,
    lines: list[dict[str, Any]],
    principal: Principal,
    rules: ReportRules,
    limits: IngestLimits,
    keep_other_lines: bool = False,
) -> SubmittedReport:
    """Replace ``store``'s whole report for ``day`` with ``lines`` or, with
    ``keep_other_lines``, only the lines of the products given (a correction).

    Only the lines sent are checked and written: a correction never rewrites the day's
    other lines, so it cannot undo a write it did not see, nor be refused for a stored
    line of a product deactivated since."""
    _may_send(store=store, lines=lines, principal=principal, limits=limits)
    report = _checked(session, store=store, day=day, lines=lines, principal=principal, rules=rules)
    counts, stored = replace_report(
        session,
        store_id=store.id,
        day=day,
        report=report,
        submitted_by=principal.label,
        keep_others=keep_other_lines,
    )
    names = dict(
        zip(report.product_ids, zip(report.product_codes, report.units, strict=True), strict=True)
    )
    others = {line.product_id for line in stored} - names.keys()
    if others:
        names.update(
            (product_id, (code, unit))
            for product_id, code, unit in session.execute(
                select(Product.id, Product.code, Product.unit).where(Product.id.in_(others))
            )
        )
    described = sorted(
        ((*names[line.product_id], line) for line in stored), key=lambda item: item[0]
    )
    created = counts.inserted == counts.total and counts.deleted == 0
    return SubmittedReport(counts=counts, created=created, lines=described)


def check_store_report(
    session: Session,
    *,
    store: Store,
    day: date,
    lines: list[dict[str, Any]],
    principal: Principal,
    rules: ReportRules,
    limits: IngestLimits,
) -> CheckedReport:
    """The lines of ``store``'s report for ``day`` checked, writing nothing; raises
    InvalidInput listing every problem, so a form can add its own in the same answer."""
    _may_send(store=store, lines=lines, principal=principal, limits=limits)
    return _checked(session, store=store, day=day, lines=lines, principal=principal, rules=rules)


def _may_send(
    *, store: Store, lines: list[dict[str, Any]], principal: Principal, limits: IngestLimits
) -> None:
    """Refuse a caller who may not report for ``store`` or a report of too many lines."""
    require_role(principal, *REPORT_WRITERS)
    if not principal.can_access_store(store):
        raise Forbidden("this key or user may not post reports for store {store}", store=store.code)
    if len(lines) > limits.max_report_lines:
        raise InvalidInput(
            "a report may have at most {limit} lines",
            errors=[
                field_problem(["body", "lines"], "more than {limit}", limit=limits.max_report_lines)
            ],
            limit=limits.max_report_lines,
        )


def _checked(
    session: Session,
    *,
    store: Store,
    day: date,
    lines: list[dict[str, Any]],
    principal: Principal,
    rules: ReportRules,
) -> CheckedReport:
    """The lines in canonical units: the fast per-line pass, else every problem listed."""
    product_codes = sorted({str(line.get("product", "")).strip() for line in lines})
    units = {str(line.get("unit") or "").strip() for line in lines} - {""}
    catalog = Catalog.for_report(session, product_codes=product_codes, with_units=bool(units))
    report = check_report_lines(
        lines, store_active=store.active, day=day, catalog=catalog, rules=rules
    )
    if report is None:
        report = _check_every_line(
            session, store=store, day=day, lines=lines, principal=principal, rules=rules
        )
    return report


def _check_every_line(
    session: Session,
    *,
    store: Store,
    day: date,
    lines: list[dict[str, Any]],
    principal: Principal,
    rules: ReportRules,
) -> CheckedReport:
    """Validate a report that the per-line check refused with the vectorised validator,
    which lists every problem (the same errors a bulk file gets); raises InvalidInput."""
    frame = pd.DataFrame(
        {
            "store": store.code,
            "date": pd.Timestamp(day),
            "product": [line.get("product") for line in lines],
            "stock": [line.get("stock") for line in lines],
            "sales": [line.get("sales") for line in lines],
            "price": [line.get("price") for line in lines],
            "received": [line.get("received") for line in lines],
            "unit": [line.get("unit") for line in lines],
        },
        index=pd.RangeIndex(len(lines)),
    )
    catalog = Catalog.load(session, store_codes=[store.code])
    rows, errors, _ = validate_lines(frame, catalog=catalog, rules=rules, principal=principal)
    if errors:
        raise InvalidInput(_summary(errors, "line"), errors=_json_errors(errors))
    return CheckedReport.from_rows(rows, catalog)


@dataclass(frozen=True)
class BulkResult:
    """What a bulk upload did, line by line."""

    rows: int
    counts: IngestCounts


def import_report_file(
    session: Session,
    *,
    data: bytes,
    filename: str | None,
    principal: Principal,
    rules: ReportRules,
    limits: IngestLimits,
    chunk_rows: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    read_in: SessionFactory | None = None,
    on_read: Callable[[int], None] | None = None,
) -> BulkResult:
    """Upsert every line of a CSV/XLSX file, or none: each bad cell is reported by row
    and column. A bulk file adds and corrects lines; it never deletes any.

    The whole file is validated first; ``chunk_rows`` then stores it in slices (still
    one transaction, the caller's) and ``progress`` hears (rows just stored, rows in
    all) after each slice. With ``read_in`` the stores and products are read in a short
    read-only transaction of their own, so parsing and validating a big file hold no
    write lock; ``session`` then only writes (a store closed meanwhile keeps its lines).
    ``on_read`` hears the number of rows once the file is read, before they are checked.
    """
    require_role(principal, *REPORT_WRITERS)
    lines = read_report_file(data, filename=filename, max_rows=limits.max_bulk_rows)
    if on_read is not None:
        on_read(len(lines))
    store_codes = lines["store"].str.strip().unique().tolist()
    if read_in is None:
        catalog = _catalog_inside(session, principal, store_codes)
    else:
        with read_in() as reading:
            mark_read_only(reading)
            catalog = _catalog_inside(reading, principal, store_codes)
    rows, errors, forbidden = validate_lines(
        lines, catalog=catalog, rules=rules, principal=principal
    )
    if forbidden:
        raise Forbidden(
            _summary(forbidden, "row"),
            errors=_json_errors(forbidden[: limits.max_listed_errors], file=True),
            extra={"error_count": len(forbidden)},
        )
    if errors:
        raise InvalidInput(
            _summary(errors, "row"),
            errors=_json_errors(errors[: limits.max_listed_errors], file=True),
            extra={"error_count": len(errors), "rows_with_errors": _row_count(errors)},
        )
    step = chunk_rows or len(rows)
    total = IngestCounts()
    for start in range(0, len(rows), step):
        chunk = rows.iloc[start : start + step]
        counts = store_report_lines(session, chunk, submitted_by=principal.label)
        total = IngestCounts(
            inserted=total.inserted + counts.inserted,
            updated=total.updated + counts.updated,
            unchanged=total.unchanged + counts.unchanged,
        )
        if progress is not None:
            progress(len(chunk), len(rows))
    return BulkResult(rows=len(rows), counts=total)


def _catalog_inside(session: Session, principal: Principal, store_codes: list[str]) -> Catalog:
    """The catalogue a file is checked against, holding only the stores inside a
    region-bound caller's region: a neighbour's store is then an unknown code."""
    catalog = Catalog.load(session, store_codes=store_codes)
    if principal.is_region_bound:
        inside = set(
            session.scalars(
                select(Store.code).where(
                    Store.code.in_(store_codes), within_region(principal, Store.region_id)
                )
            )
        )
        catalog.stores = catalog.stores[catalog.stores.index.isin(inside)]
    return catalog


def _row_count(errors: list[LineError]) -> int:
    return len({error.position for error in errors})


def _summary(errors: list[LineError], what: str) -> Text:
    first = errors[0]
    rows = _row_count(errors)
    cell = {"position": first.position, "column": column_word(first.column)}
    if what == "line" and first.column == "date":
        # The day is the report's (the address's, the form's), not a line's: "line 0"
        # sent the store looking for a line it never wrote.
        where = phrase("the report's date: {problem}", problem=first.message)
    elif what == "line":
        where = phrase("line {position}, {column}: {problem}", problem=first.message, **cell)
    else:
        where = phrase("row {position}, {column}: {problem}", problem=first.message, **cell)
    if len(errors) == 1:
        return phrase("nothing was stored; {first}", first=where)
    if what == "line":
        return phrase(
            "nothing was stored; {count} problems in {rows} line(s), first at {first}",
            count=len(errors),
            rows=rows,
            first=where,
        )
    return phrase(
        "nothing was stored; {count} problems in {rows} row(s), first at {first}",
        count=len(errors),
        rows=rows,
        first=where,
    )


def _json_errors(errors: list[LineError], *, file: bool = False) -> list[FieldProblem]:
    if file:
        return [
            field_problem(
                ["file", e.position, e.column],
                e.message,
                extra={"row": e.position, "column": e.column},
            )
            for e in errors
        ]
    result: list[FieldProblem] = []
    date_done = False
    for e in errors:
        if e.column == "date":
            if not date_done:
                result.append(field_problem(["path", "date"], e.message))
                date_done = True
            continue
        result.append(field_problem(["body", "lines", e.position, e.column], e.message))
    return result
