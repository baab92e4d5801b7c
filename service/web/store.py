"""The store's pages: today's report as a form, file upload, template, history, revisions.

The form posts through ``submit_store_report`` and the upload through
``import_report_file``: the same validation and upsert as the API, so a rule holds
whichever way a store sends its numbers, and a rejected form stores nothing.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.cells import csv_text, safe_frame
from core.database import read_apart
from core.errors import DomainError, InvalidInput
from core.text import Text, field_problem
from masterdata.stores import accessible_store, stores_to_report_for
from models import Role, Store
from reports.files import ALL_COLUMNS
from reports.queries import (
    ProductToReport,
    day_report,
    products_to_add,
    products_to_report,
    report_revisions,
    reported_days,
)
from reports.submissions import import_report_file, submit_store_report
from service.configuration import business_today, ingest_limits, report_rules
from service.http.dependencies import SessionDep, SessionFactoryDep
from service.web.common import (
    FormDep,
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    field_errors,
    language_of,
    redirect,
    render,
)
from service.web.problems import field_problems
from supply_network.queries.deals import received_by_product

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FIELDS = ("stock", "sales", "price", "received")


@dataclass
class FormRow:
    """One product's line in the report form: what is shown and what went wrong."""

    code: str
    name: str
    category: str
    unit: str
    values: dict[str, str]
    errors: dict[str, Text]


def _text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _writer(viewer: Principal) -> None:
    require_role(viewer, Role.bureau, Role.store)


@dataclass(frozen=True)
class ReportForm:
    """The form's rows, the products that can be added to it, and where its numbers came
    from: the day as stored, yesterday's report, or nothing yet."""

    rows: list[FormRow]
    others: list[FormRow]
    stored: bool
    prefilled: bool


def _name(product: ProductToReport, language: str) -> str:
    return (product.name_zh if language == "zh" else None) or product.name


def _report_form(
    session: Session,
    store: Store,
    day: date,
    language: str,
    received: Mapping[str, float] | None = None,
) -> ReportForm:
    """Rows pre-filled with the day's stored lines, else yesterday's (then received is
    what supply orders delivered that day, if any: it is that day's restock), and empty
    rows for every other active product."""
    stored = {
        line.product: line for line in day_report(session=session, store=store, day=day).lines
    }
    source = stored
    if not stored:
        yesterday = day_report(session=session, store=store, day=day - timedelta(days=1))
        source = {line.product: line for line in yesterday.lines}
    rows = []
    for product in products_to_report(session=session, store=store, today=day):
        line = source.get(product.code)
        values = dict.fromkeys(FIELDS, "")
        if line is not None:
            values = {name: _text(getattr(line, name)) for name in FIELDS}
        if not stored:
            values["received"] = _text((received or {}).get(product.code))
        rows.append(
            FormRow(
                product.code, _name(product, language), product.category, product.unit, values, {}
            )
        )
    others = [
        FormRow(product.code, _name(product, language), product.category, product.unit, {}, {})
        for product in products_to_add(session=session, store=store, today=day)
        if product.code not in stored
    ]
    return ReportForm(rows, others, stored=bool(stored), prefilled=bool(source))


def _page(
    request: Request,
    session: Session,
    viewer: Principal,
    store: Store,
    day: date,
    today: date,
    *,
    form: ReportForm | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    if form is None:
        zone = request.app.state.settings.zone
        start = datetime.combine(day, time(0), tzinfo=zone)
        received = received_by_product(
            session=session, store_id=store.id, start=start, end=start + timedelta(days=1)
        )
        form = _report_form(session, store, day, language_of(request), received)
    return render(
        request,
        "store/report.html",
        {
            "store": store,
            "day": day,
            "today": today,
            "rows": form.rows,
            "others": form.others,
            "stored": form.stored,
            "prefilled": form.prefilled,
            "history": reported_days(session=session, store=store, today=today),
            "revisions": report_revisions(session=session, store=store, day=day),
            "stores": stores_to_report_for(session=session, principal=viewer)
            if viewer.role is not Role.store or viewer.store_id is None
            else [],
            **context,
        },
        status_code=status_code,
    )


@router.get("/store")
def store_home(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """A one-store person goes straight to their form; a chain or the bureau picks."""
    _writer(viewer)
    stores = stores_to_report_for(session=session, principal=viewer)
    if len(stores) == 1:
        return redirect(f"/store/{stores[0].code}")
    return render(request, "store/list.html", {"stores": stores})


@router.get("/store/{code}")
def report_page(
    request: Request,
    code: str,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    day: date | None = None,
) -> HTMLResponse:
    _writer(viewer)
    store = accessible_store(session=session, principal=viewer, code=code)
    today = business_today(settings)
    return _page(request, session, viewer, store, day or today, today)


@router.post("/store/{code}/report", dependencies=[Depends(check_csrf)])
def post_report(
    request: Request,
    code: str,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Save the form as the day's whole report, or show every problem beside its field."""
    _writer(viewer)
    store = accessible_store(session=session, principal=viewer, code=code)
    today = business_today(settings)
    day_text = str(form.get("day", ""))
    shown = _report_form(session, store, today, language_of(request))
    usual = {row.code for row in shown.rows}
    by_code = {row.code: row for row in shown.rows + shown.others}
    lines: list[dict[str, Any]] = []
    posted_rows: list[FormRow] = []
    for product in (str(p) for p in form.getlist("product")):
        values = {name: str(form.get(f"{name}.{product}", "")).strip() for name in FIELDS}
        if product not in usual and not any(values.values()):
            continue  # a product offered to add, left empty
        row = by_code.get(product) or FormRow(product, product, "", "", {}, {})
        posted_rows.append(FormRow(row.code, row.name, row.category, row.unit, values, {}))
        if any(values.values()):
            lines.append(
                {
                    "product": product,
                    **{name: values[name] or None for name in FIELDS},
                    "unit": None,
                }
            )
    day = today
    try:
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise InvalidInput(
                "the business day is not a date",
                errors=[field_problem(["path", "date"], "not a date (YYYY-MM-DD)")],
            ) from None
        if not lines:
            raise InvalidInput(
                "the report has no lines",
                errors=[field_problem(["body", "lines"], "fill in at least one product")],
            )
        counts = submit_store_report(
            session,
            store=store,
            day=day,
            lines=lines,
            principal=viewer,
            rules=report_rules(settings),
            limits=ingest_limits(settings),
        ).counts
    except DomainError as error:
        session.rollback()
        line_products = [line["product"] for line in lines]
        for loc, message in field_errors(error, skip=2).items():
            index, _, column = loc.partition(".")
            if index.isdigit() and int(index) < len(line_products):
                wanted = line_products[int(index)]
                for row in posted_rows:
                    if row.code == wanted:
                        row.errors[column] = message
        return _page(
            request,
            session,
            viewer,
            store,
            day,
            today,
            form=ReportForm(
                posted_rows,
                [row for row in shown.others if row.code not in {r.code for r in posted_rows}],
                stored=False,
                prefilled=True,
            ),
            problem=error,
            date_error=field_errors(error).get("date"),
            status_code=error.status,
        )
    return _page(request, session, viewer, store, day, today, saved=counts)


@router.post("/store/{code}/upload", dependencies=[Depends(check_csrf)])
def upload(
    request: Request,
    code: str,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    session_factory: SessionFactoryDep,
) -> HTMLResponse:
    """A CSV or XLSX file of many lines: all stored, or every bad row listed (read and
    checked before the write takes the database's write lock)."""
    _writer(viewer)
    store = read_apart(
        session, lambda: accessible_store(session=session, principal=viewer, code=code)
    )
    today = business_today(settings)
    try:
        result = import_report_file(
            session,
            read_in=session_factory,
            data=file.file.read(),
            filename=file.filename,
            principal=viewer,
            rules=report_rules(settings),
            limits=ingest_limits(settings),
        )
    except DomainError as error:
        session.rollback()
        return _page(
            request,
            session,
            viewer,
            store,
            today,
            today,
            upload_problem=error,
            upload_problems=field_problems(error),
            status_code=error.status,
        )
    return _page(request, session, viewer, store, today, today, uploaded=result)


@router.get("/store/{code}/template.{extension}")
def template(
    code: str,
    extension: str,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
) -> Response:
    """Today's lines to fill in, one per product of the store, as CSV or Excel."""
    _writer(viewer)
    store = accessible_store(session=session, principal=viewer, code=code)
    today = business_today(settings)
    frame = pd.DataFrame(
        [
            {
                "store": store.code,
                "date": today.isoformat(),
                "product": product.code,
                "stock": "",
                "sales": "",
                "price": "",
                "received": "",
                "unit": product.unit,
            }
            for product in products_to_report(session=session, store=store, today=today)
        ],
        columns=list(ALL_COLUMNS),
    )
    name = f"report-{store.code}-{today.isoformat()}"
    if extension == "xlsx":
        buffer = io.BytesIO()
        safe_frame(frame).to_excel(buffer, index=False, engine="openpyxl")
        return Response(
            buffer.getvalue(),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    if extension != "csv":
        raise InvalidInput("the template is a .csv or an .xlsx file")
    return Response(
        csv_text(frame),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
