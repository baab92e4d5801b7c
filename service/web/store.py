"""The store's pages: today's report as a form, file upload, template, history, revisions,
and a chain's list of its stores with what each reported today and one upload for all.

The form posts through ``submit_store_report`` and the upload through
``import_report_file``: the same validation and upsert as the API, so a rule holds
whichever way a store sends its numbers, and a rejected form stores nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.cells import csv_text, safe_frame
from core.database import SessionFactory, read_apart
from core.errors import DomainError, InvalidInput
from core.text import FieldProblem, Text, field_problem
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
    stores_reporting_on,
)
from reports.submissions import check_store_report, import_report_file, submit_store_report
from service.configuration import business_today, ingest_limits, report_rules
from service.http.dependencies import SessionDep, SessionFactoryDep
from service.settings import Settings
from service.web.common import (
    LONG_PAGE_WORK,
    FormDep,
    PageDay,
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    field_errors,
    language_of,
    redirect,
    render,
)
from service.web.numbers import AmbiguousComma, read_decimal_comma
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
    category_name: str
    unit: str
    values: dict[str, str]
    errors: dict[str, Text]


@dataclass(frozen=True)
class FieldTrouble:
    """One refused field for the summary at the top: which product, which number, why."""

    row: FormRow
    field: str
    text: Text


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


def _row(product: ProductToReport, language: str, values: dict[str, str]) -> FormRow:
    """A product's form row named in the page language (English where no Chinese is set)."""
    chinese = language == "zh"
    return FormRow(
        product.code,
        (product.name_zh if chinese else None) or product.name,
        product.category,
        (product.category_name_zh if chinese else None) or product.category_name,
        product.unit,
        values,
        {},
    )


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
        rows.append(_row(product, language, values))
    others = [
        _row(product, language, {})
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
def store_home(
    request: Request, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> Response:
    """A one-store person goes straight to their form; a chain or the bureau picks."""
    _writer(viewer)
    stores = stores_to_report_for(session=session, principal=viewer)
    if len(stores) == 1:
        return redirect(f"/store/{stores[0].code}")
    return _store_list(request, session, viewer, settings)


def _store_list(
    request: Request,
    session: Session,
    viewer: Principal,
    settings: Settings,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The stores someone reports for with what each reported today, and one upload."""
    today = business_today(settings)
    return render(
        request,
        "store/list.html",
        {
            "today": today,
            "stores": stores_reporting_on(session=session, principal=viewer, day=today),
            **context,
        },
        status_code=status_code,
    )


@router.get("/store/{code}")
def report_page(
    request: Request,
    code: str,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    day: PageDay = None,
) -> HTMLResponse:
    _writer(viewer)
    store = accessible_store(session=session, principal=viewer, code=code)
    today = business_today(settings)
    return _page(request, session, viewer, store, day or today, today)


def _ambiguous(index: int, name: str, comma: AmbiguousComma) -> FieldProblem:
    """The problem of a value such as "1,234", naming both ways it could be read."""
    return field_problem(
        ["body", "lines", index, name],
        "ambiguous comma: write {whole} or {decimal}",
        whole=comma.whole,
        decimal=comma.decimal,
    )


def _troubles(
    error: DomainError, line_products: list[str], rows: list[FormRow]
) -> list[FieldTrouble]:
    """Each refused field beside its row (``row.errors``) and in a list by product for the
    summary at the top, in the form's order."""
    by_code = {row.code: row for row in rows}
    for loc, message in field_errors(error, skip=2).items():
        index, _, column = loc.partition(".")
        if index.isdigit() and int(index) < len(line_products):
            row = by_code.get(line_products[int(index)])
            if row is not None and column in FIELDS:
                row.errors[column] = message
    return [
        FieldTrouble(row, name, row.errors[name])
        for row in rows
        for name in FIELDS
        if name in row.errors
    ]


def _with_the_rest(refusals: list[InvalidInput], check: Callable[[], object]) -> InvalidInput:
    """The form's own refusals (a bad day, no lines, ambiguous commas) with every other
    problem the domain's check finds, as one error: a store fixes its form in one round.
    A field the form already refused keeps the form's problem."""
    problems = [problem for refusal in refusals for problem in refusal.problems or []]
    refused = {problem.loc for problem in problems if isinstance(problem, FieldProblem)}
    try:
        check()
    except InvalidInput as error:
        problems += [
            problem
            for problem in error.problems or []
            if not isinstance(problem, FieldProblem) or problem.loc not in refused
        ]
    return InvalidInput(refusals[0].text, errors=problems)


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
    ambiguous: list[FieldProblem] = []
    for product in (str(p) for p in form.getlist("product")):
        values = {name: str(form.get(f"{name}.{product}", "")).strip() for name in FIELDS}
        if product not in usual and not any(values.values()):
            continue  # a product offered to add, left empty
        row = by_code.get(product) or FormRow(product, product, "", "", "", {}, {})
        posted_rows.append(
            FormRow(row.code, row.name, row.category, row.category_name, row.unit, values, {})
        )
        if any(values.values()):
            line: dict[str, Any] = {"product": product, "unit": None}
            for name in FIELDS:
                try:
                    line[name] = read_decimal_comma(values[name]) or None
                except AmbiguousComma as comma:
                    ambiguous.append(_ambiguous(len(lines), name, comma))
                    line[name] = None
            lines.append(line)
    refusals: list[InvalidInput] = []
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        day = today  # the lines are still checked, so every bad field is named at once
        refusals.append(
            InvalidInput(
                "the business day is not a date",
                errors=[field_problem(["path", "date"], "not a date (YYYY-MM-DD)")],
            )
        )
    if not lines:
        refusals.append(
            InvalidInput(
                "the report has no lines",
                errors=[field_problem(["body", "lines"], "fill in at least one product")],
            )
        )
    if ambiguous:
        refusals.append(InvalidInput("a number's comma is ambiguous", errors=ambiguous))
    try:
        if refusals:
            raise _with_the_rest(
                refusals,
                lambda: check_store_report(
                    session,
                    store=store,
                    day=day,
                    lines=lines,
                    principal=viewer,
                    rules=report_rules(settings),
                    limits=ingest_limits(settings),
                ),
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
        troubles = _troubles(error, [line["product"] for line in lines], posted_rows)
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
            troubles=troubles,
            # every problem is on a product's field: the list says it better than "line 8"
            troubles_say_all=bool(troubles) and len(troubles) == len(field_problems(error)),
            date_error=field_errors(error).get("date"),
            status_code=error.status,
        )
    return _page(request, session, viewer, store, day, today, saved=counts)


def _uploaded(
    session: Session,
    session_factory: SessionFactory,
    viewer: Principal,
    settings: Settings,
    file: UploadFile,
) -> tuple[dict[str, Any], int]:
    """Import an uploaded file (checked in a read session of its own, before the write):
    what the page shows of the outcome, and its status."""
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
        return {"upload_problem": error, "upload_problems": field_problems(error)}, error.status
    return {"uploaded": result}, 200


@router.post("/store/upload", dependencies=[Depends(check_csrf), LONG_PAGE_WORK])
def chain_upload(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    session_factory: SessionFactoryDep,
) -> HTMLResponse:
    """One file for every store of a chain: all stored, or every bad row listed."""
    _writer(viewer)
    outcome, status = _uploaded(session, session_factory, viewer, settings, file)
    return _store_list(request, session, viewer, settings, status_code=status, **outcome)


@router.post("/store/{code}/upload", dependencies=[Depends(check_csrf), LONG_PAGE_WORK])
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
    outcome, status = _uploaded(session, session_factory, viewer, settings, file)
    return _page(request, session, viewer, store, today, today, status_code=status, **outcome)


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
