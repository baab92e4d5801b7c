"""Daily reports: a store posts its stock, sales and prices for a business day.

``PUT`` replaces one day's report whole; ``POST /reports/bulk`` takes a CSV or XLSX
file of many stores and days. Both validate every line before writing any.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from pydantic import ConfigDict, Field

from core.access import require_store_access
from core.errors import DomainError, InvalidInput, NotFound
from core.lookups import get_by_code
from models import Store
from reports.submissions import (
    import_report_file,
    report_lines,
    report_revisions,
    submit_store_report,
)
from service.configuration import business_today, ingest_limits, report_rules
from service.http.dependencies import MetricsDep, PrincipalDep, SessionDep, SettingsDep
from service.http.schemas import PROBLEM_RESPONSES, ReadModel, StrictModel

router = APIRouter(tags=["reports"], responses=PROBLEM_RESPONSES)

MAX_RANGE_DAYS = 366
Quantity = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ReportLineIn(StrictModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    product: str = Field(min_length=1, max_length=64, examples=["pork"])
    stock: Quantity = Field(description="Stock on hand at the end of the day")
    sales: Quantity = Field(description="Sold that day")
    price: float = Field(gt=0, allow_inf_nan=False, description="Retail price per unit")
    received: Quantity | None = Field(default=None, description="Restocked that day")
    unit: str | None = Field(
        default=None, max_length=16, description="Unit of the numbers; default the product's"
    )


class ReportIn(StrictModel):
    lines: list[ReportLineIn] = Field(min_length=1, max_length=5000)


class ReportLineOut(ReadModel):
    product: str
    unit: str
    stock: float
    sales: float
    price: float
    received: float | None
    submitted_by: str
    updated_at: datetime


class Counts(ReadModel):
    inserted: int
    updated: int
    unchanged: int
    deleted: int = 0


class ReportOut(ReadModel):
    store: str
    date: date
    lines: list[ReportLineOut]


class ReportWritten(ReportOut):
    counts: Counts


class BulkOut(ReadModel):
    rows: int
    inserted: int
    updated: int
    unchanged: int


class RevisionOut(ReadModel):
    product: str
    kind: str
    changed_at: datetime
    changed_by: str
    old: dict[str, float | str | None]
    new: dict[str, float | None] | None


def _report(session: SessionDep, store: Store, day: date) -> ReportOut:
    lines = report_lines(session, store_id=store.id, first_day=day, last_day=day)
    return ReportOut(
        store=store.code,
        date=day,
        lines=[_line(line, code, unit) for line, code, unit in lines],
    )


def _line(line: object, code: str, unit: str) -> ReportLineOut:
    return ReportLineOut.model_validate(
        {
            **{
                k: getattr(line, k)
                for k in ("stock", "sales", "price", "received", "submitted_by", "updated_at")
            },
            "product": code,
            "unit": unit,
        }
    )


def _store_for(session: SessionDep, principal: PrincipalDep, code: str) -> Store:
    store = get_by_code(session, Store, code, label="store")
    require_store_access(principal, store)
    return store


@router.put(
    "/stores/{store}/reports/{day}",
    summary="Post (or replace) a store's report for one business day",
    responses={
        200: {"description": "Replaced an existing report"},
        201: {"description": "Created the day's report", "model": ReportWritten},
    },
)
def put_report(
    store: str,
    day: date,
    body: ReportIn,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    response: Response,
) -> ReportWritten:
    target = _store_for(session, principal, store)
    try:
        submitted = submit_store_report(
            session,
            store=target,
            day=day,
            lines=body.model_dump()["lines"],
            principal=principal,
            rules=report_rules(settings),
            limits=ingest_limits(settings),
        )
    except DomainError:
        metrics.rejected_batches.labels("report").inc()
        raise
    counts = submitted.counts
    metrics.report_lines.labels("report", "inserted").inc(counts.inserted)
    metrics.report_lines.labels("report", "updated").inc(counts.updated)
    metrics.report_lines.labels("report", "unchanged").inc(counts.unchanged)
    response.status_code = status.HTTP_201_CREATED if submitted.created else status.HTTP_200_OK
    # Built from values the database just returned: model_construct skips re-validating.
    return ReportWritten.model_construct(
        store=target.code,
        date=day,
        lines=[
            ReportLineOut.model_construct(
                product=code,
                unit=unit,
                stock=line.stock,
                sales=line.sales,
                price=line.price,
                received=line.received,
                submitted_by=line.submitted_by,
                updated_at=line.updated_at,
            )
            for code, unit, line in submitted.lines
        ],
        counts=Counts.model_construct(**counts.__dict__),
    )


@router.get("/stores/{store}/reports/{day}", summary="A store's report for one business day")
def get_report(store: str, day: date, session: SessionDep, principal: PrincipalDep) -> ReportOut:
    target = _store_for(session, principal, store)
    report = _report(session, target, day)
    if not report.lines:
        raise NotFound(f"store {store} has no report for {day.isoformat()}")
    return report


@router.get("/stores/{store}/reports", summary="A store's reports over a range of days")
def list_reports(
    store: str,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    from_: Annotated[
        date | None, Query(alias="from", description="First day (default 7 days ago)")
    ] = None,
    to: Annotated[date | None, Query(description="Last day (default today)")] = None,
) -> list[ReportOut]:
    target = _store_for(session, principal, store)
    last_day = to or business_today(settings)
    week_before = last_day - timedelta(days=6) if last_day.toordinal() > 6 else date.min
    first_day = from_ or week_before
    if first_day > last_day:
        raise InvalidInput(
            "from is after to", errors=[{"loc": ["query", "from"], "msg": "is after to"}]
        )
    if (last_day - first_day).days >= MAX_RANGE_DAYS:
        raise InvalidInput(
            f"a range covers at most {MAX_RANGE_DAYS} days",
            errors=[
                {"loc": ["query", "from"], "msg": f"more than {MAX_RANGE_DAYS} days before to"}
            ],
        )
    by_day: dict[date, list[ReportLineOut]] = {}
    for line, code, unit in report_lines(
        session, store_id=target.id, first_day=first_day, last_day=last_day
    ):
        by_day.setdefault(line.report_date, []).append(_line(line, code, unit))
    return [ReportOut(store=target.code, date=day, lines=lines) for day, lines in by_day.items()]


@router.get(
    "/stores/{store}/reports/{day}/revisions",
    summary="Every change made to a store's report for one day (who, when, old → new)",
)
def list_revisions(
    store: str, day: date, session: SessionDep, principal: PrincipalDep
) -> list[RevisionOut]:
    target = _store_for(session, principal, store)
    return [
        RevisionOut(
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
        for revision, code in report_revisions(session, store_id=target.id, day=day)
    ]


@router.post(
    "/reports/bulk",
    summary="Upload a CSV or XLSX file of report lines (all stored, or none)",
    description=(
        "Columns: store,date,product,stock,sales,price[,received][,unit]. Lines are upserted "
        "by (store, date, product); a file never deletes lines. Every bad cell is listed by "
        "row (header = row 1) and column, and then nothing is stored."
    ),
)
def post_bulk(
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or XLSX")],
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> BulkOut:
    data = file.file.read()
    try:
        result = import_report_file(
            session,
            data=data,
            filename=file.filename,
            principal=principal,
            rules=report_rules(settings),
            limits=ingest_limits(settings),
        )
    except DomainError:
        metrics.rejected_batches.labels("bulk").inc()
        raise
    counts = result.counts
    metrics.report_lines.labels("bulk", "inserted").inc(counts.inserted)
    metrics.report_lines.labels("bulk", "updated").inc(counts.updated)
    metrics.report_lines.labels("bulk", "unchanged").inc(counts.unchanged)
    return BulkOut(
        rows=result.rows,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
    )
