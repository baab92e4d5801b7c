"""The service officers' pages: an officer's own enterprises and stores, worst first, with
a visit form whose problems become hotline tickets, and the bureau's coverage page (the
same domain functions as ``/api/v1/officers``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from core.errors import DomainError, InvalidInput
from core.text import field_problem
from core.words import word
from models import SupplyStatus, TicketCategory, TicketPriority, VisitMode
from officers.assignments import ME
from officers.queries import officer_coverage, officer_portfolio
from officers.visits import MAX_CONTACT_LENGTH, ProblemInput, VisitInput, list_visits, record_visit
from service.configuration import business_today
from service.http.dependencies import SessionDep
from service.web.common import (
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    field_errors,
    language_of,
    names_by_code,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

RECENT_VISITS = 10
MAX_FORM_TEXT = 8000
"""The longest text a form field may post (the domain names anything over its limit)."""


def _words() -> dict[str, Any]:
    """The words of the values the officer's pages show."""
    return {
        value: word(member)
        for enum in (SupplyStatus, VisitMode, TicketCategory, TicketPriority)
        for value, member in enum.__members__.items()
    }


def _portfolio_page(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep, officer: str
) -> HTMLResponse:
    """An officer's page: their stores worst first, their enterprises, their latest visits."""
    portfolio = officer_portfolio(
        session=session, principal=viewer, officer=officer, today=business_today(settings)
    )
    visits = list_visits(session=session, principal=viewer, officer=officer, limit=RECENT_VISITS)
    logged = request.query_params.get("visit", "")
    return render(
        request,
        "officers/me.html",
        {
            "portfolio": portfolio,
            "visits": visits,
            "logged": next((v for v in visits if str(v.id) == logged), None),
            "own": officer == ME,
            "words": _words(),
            "group_names": names_by_code(
                {t.group for v in visits for t in v.tickets if t.group}, language_of(request)
            ),
        },
    )


@router.get("/officers/me")
def my_page(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep
) -> HTMLResponse:
    return _portfolio_page(request, session, settings, viewer, ME)


@router.get("/officers/people/{username}")
def officer_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    username: str,
) -> HTMLResponse:
    return _portfolio_page(request, session, settings, viewer, username)


def _visit_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    *,
    values: dict[str, str],
    error: DomainError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The visit form, with what was typed and the problems beside their fields."""
    today = business_today(settings)
    portfolio = officer_portfolio(session=session, principal=viewer, officer=ME, today=today)
    targets = [(f"enterprise:{e.code}", f"{e.name} ({e.code})") for e in portfolio.enterprises]
    targets += [
        (f"store:{s.code}", f"{s.name} ({s.code})")
        for s in sorted(portfolio.stores, key=lambda card: card.code)
    ]
    return render(
        request,
        "officers/visit.html",
        {
            "targets": targets,
            "stores": sorted(portfolio.stores, key=lambda card: card.code),
            "modes": [(mode.value, word(mode)) for mode in VisitMode],
            "categories": [(c.value, word(c)) for c in TicketCategory],
            "priorities": [(p.value, word(p)) for p in TicketPriority],
            "values": {"visit_date": today.isoformat(), "mode": "on_site", **values},
            "today": today.isoformat(),
            "errors": field_errors(error) if error else {},
            "message": error.text if error else None,
            "max_contact": MAX_CONTACT_LENGTH,
        },
        status_code=status_code,
    )


@router.get("/officers/visit")
def visit_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    target: str = "",
) -> HTMLResponse:
    return _visit_form(request, session, settings, viewer, values={"target": target[:80]})


def _visit_day(value: str) -> date:
    """The visit's date from the form; anything but a date names ``visit_date``."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            "give the visit's date",
            errors=[field_problem(["body", "visit_date"], "give a date such as 2026-12-04")],
        ) from None


def _choice(value: str, allowed: type[Any], field: str) -> Any:
    """A value of a select list; one the list does not hold names ``field``."""
    if value not in {member.value for member in allowed}:
        raise InvalidInput(
            "choose from the list", errors=[field_problem(["body", field], "choose from the list")]
        )
    return allowed(value)


@router.post("/officers/visit", dependencies=[Depends(check_csrf)])
def log_visit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    target: Annotated[str, Form(max_length=80)] = "",
    visit_date: Annotated[str, Form(max_length=32)] = "",
    mode: Annotated[str, Form(max_length=32)] = "",
    contact: Annotated[str, Form(max_length=MAX_FORM_TEXT)] = "",
    notes: Annotated[str, Form(max_length=MAX_FORM_TEXT)] = "",
    problem_category: Annotated[str, Form(max_length=64)] = "",
    problem_priority: Annotated[str, Form(max_length=32)] = "normal",
    problem_store: Annotated[str, Form(max_length=80)] = "",
    problem_text: Annotated[str, Form(max_length=MAX_FORM_TEXT)] = "",
) -> Response:
    values = {
        "target": target,
        "visit_date": visit_date,
        "mode": mode,
        "contact": contact,
        "notes": notes,
        "problem_category": problem_category,
        "problem_priority": problem_priority,
        "problem_store": problem_store,
        "problem_text": problem_text,
    }
    try:
        kind, _, code = target.partition(":")
        if kind not in ("enterprise", "store") or not code:
            raise InvalidInput(
                "choose whom you visited",
                errors=[field_problem(["body", "target"], "choose from the list")],
            )
        problems = []
        if problem_category:
            problems.append(
                ProblemInput(
                    category=_choice(problem_category, TicketCategory, "problems.0.category"),
                    text=problem_text,
                    priority=_choice(problem_priority, TicketPriority, "problems.0.priority"),
                    store=problem_store.strip() or None,
                )
            )
        visit = record_visit(
            session=session,
            principal=viewer,
            officer=ME,
            new=VisitInput(
                visit_date=_visit_day(visit_date),
                mode=_choice(mode, VisitMode, "mode"),
                contact=contact,
                notes=notes,
                enterprise=code if kind == "enterprise" else None,
                store=code if kind == "store" else None,
                problems=problems,
            ),
            today=business_today(settings),
        )
    except DomainError as error:
        if error.status == 403:
            raise
        session.rollback()
        return _visit_form(
            request,
            session,
            settings,
            viewer,
            values=values,
            error=error,
            status_code=error.status,
        )
    return redirect(f"/officers/me?visit={visit.id}")


@router.get("/officers/coverage")
def coverage(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    days: int = 7,
) -> HTMLResponse:
    """Where the bureau has nobody on the spot: key enterprises and stores without an
    officer, officers without a visit in the last ``days`` days."""
    found = officer_coverage(
        session=session, principal=viewer, today=business_today(settings), days=days
    )
    return render(request, "officers/coverage.html", {"coverage": found})
