"""Service officers: the bureau assigns officers to key enterprises and stores and reads
the coverage; an officer reads their own enterprises and stores, worst first, and logs
visits whose problems become hotline tickets (``me`` names the signed-in officer)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import Field

from models import TicketCategory, TicketPriority, VisitMode
from officers import assignments, queries, visits
from officers.visits import MAX_CONTACT_LENGTH, MAX_PROBLEMS, ProblemInput, VisitInput
from service.configuration import business_today
from service.http.dependencies import PrincipalDep, SessionDep, SettingsDep
from service.http.schemas import CODE_PATTERN, PROBLEM_RESPONSES, Name, ReadModel, StrictModel

router = APIRouter(prefix="/officers", tags=["officers"], responses=PROBLEM_RESPONSES)

OfficerName = Annotated[str, Field(min_length=1, max_length=64)]
LongText = Annotated[str, Field(min_length=1, max_length=visits.MAX_TEXT_LENGTH)]


class AssignmentBody(StrictModel):
    officer: OfficerName = Field(description="Username of a service officer or bureau user")
    enterprise: str | None = Field(default=None, pattern=CODE_PATTERN)
    store: str | None = Field(default=None, pattern=CODE_PATTERN)


class AssignmentRead(ReadModel):
    officer: str
    enterprise: str | None
    store: str | None
    name: str
    assigned_at: datetime
    assigned_by: str


class AdoptedRead(ReadModel):
    store: str
    officer: str


class ProblemBody(StrictModel):
    category: TicketCategory
    text: LongText = Field(description="What the enterprise needs, kept as plain text")
    priority: TicketPriority = TicketPriority.normal
    store: str | None = Field(
        default=None, pattern=CODE_PATTERN, description="A store of the enterprise visited"
    )
    product: str | None = Field(default=None, pattern=CODE_PATTERN)


class VisitBody(StrictModel):
    visit_date: date = Field(description="Not in the future, at most a year (366 days) ago")
    mode: VisitMode
    contact: Name = Field(max_length=MAX_CONTACT_LENGTH, description="Whom you met, one line")
    notes: LongText = Field(description="Line breaks and tabs kept; no other control character")
    enterprise: str | None = Field(default=None, pattern=CODE_PATTERN)
    store: str | None = Field(default=None, pattern=CODE_PATTERN)
    problems: list[ProblemBody] = Field(default_factory=list, max_length=MAX_PROBLEMS)


class RaisedTicketRead(ReadModel):
    number: str
    category: str
    status: str
    working_group: str | None
    store: str | None


class VisitRead(ReadModel):
    id: int
    officer: str
    enterprise: str | None
    store: str | None
    visit_date: date
    mode: str
    contact: str
    notes: str
    recorded_at: datetime
    recorded_by: str
    tickets: list[RaisedTicketRead]


class StoreCardRead(ReadModel):
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


class EnterpriseCardRead(ReadModel):
    code: str
    name: str
    stores: int
    last_visit: date | None


class PortfolioRead(ReadModel):
    officer: str
    full_name: str | None
    today: date
    supply_day: date | None
    enterprises: list[EnterpriseCardRead]
    stores: list[StoreCardRead] = Field(description="Worst first")


class UncoveredEnterpriseRead(ReadModel):
    code: str
    name: str
    key_stores: int


class UncoveredStoreRead(ReadModel):
    code: str
    name: str
    enterprise: str | None
    region: str


class QuietOfficerRead(ReadModel):
    username: str
    full_name: str | None
    enterprises: int
    stores: int
    last_visit: date | None
    days_since_visit: int | None


class CoverageRead(ReadModel):
    today: date
    days: int
    officers: int
    enterprises_without_officer: list[UncoveredEnterpriseRead]
    stores_without_officer: list[UncoveredStoreRead]
    officers_without_visit: list[QuietOfficerRead]


@router.get("/assignments", summary="Every officer's enterprises and stores (bureau)")
def list_assignments(session: SessionDep, principal: PrincipalDep) -> list[AssignmentRead]:
    found = assignments.list_assignments(session=session, principal=principal)
    return [AssignmentRead.model_validate(view) for view in found]


@router.put("/assignments", summary="Assign an officer to an enterprise or store (bureau)")
def assign_officer(
    body: AssignmentBody, session: SessionDep, principal: PrincipalDep
) -> AssignmentRead:
    view = assignments.assign_officer(session=session, principal=principal, **body.model_dump())
    return AssignmentRead.model_validate(view)


@router.delete(
    "/assignments/{kind}/{code}", summary="Take an enterprise or store from its officer (bureau)"
)
def unassign_officer(
    kind: Literal["enterprise", "store"],
    code: str,
    session: SessionDep,
    principal: PrincipalDep,
) -> AssignmentRead:
    view = assignments.unassign_officer(session=session, principal=principal, **{kind: code})
    return AssignmentRead.model_validate(view)


@router.post(
    "/assignments/adopt",
    summary="Turn stores' free-text officer names that match a username into assignments",
)
def adopt_free_text_officers(session: SessionDep, principal: PrincipalDep) -> list[AdoptedRead]:
    adopted = assignments.adopt_free_text_officers(session=session, principal=principal)
    return [AdoptedRead.model_validate(row) for row in adopted]


@router.get("/coverage", summary="Key enterprises without an officer, officers without visits")
def coverage(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    days: Annotated[int, Query(ge=1, le=queries.MAX_QUIET_DAYS)] = 7,
) -> CoverageRead:
    found = queries.officer_coverage(
        session=session, principal=principal, today=business_today(settings), days=days
    )
    return CoverageRead.model_validate(found)


@router.get("/{officer}/portfolio", summary="An officer's enterprises and stores, worst first")
def portfolio(
    officer: str, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> PortfolioRead:
    found = queries.officer_portfolio(
        session=session, principal=principal, officer=officer, today=business_today(settings)
    )
    return PortfolioRead.model_validate(found)


@router.get("/{officer}/visits", summary="An officer's latest visits and the tickets they raised")
def list_visits(
    officer: str,
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[VisitRead]:
    found = visits.list_visits(session=session, principal=principal, officer=officer, limit=limit)
    return [VisitRead.model_validate(view) for view in found]


@router.post(
    "/{officer}/visits",
    status_code=status.HTTP_201_CREATED,
    summary="Log a visit; each problem raised becomes a routed hotline ticket",
)
def record_visit(
    officer: str,
    body: VisitBody,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> VisitRead:
    fields = body.model_dump(exclude={"problems"})
    new = VisitInput(
        **fields, problems=[ProblemInput(**problem.model_dump()) for problem in body.problems]
    )
    view = visits.record_visit(
        session=session,
        principal=principal,
        officer=officer,
        new=new,
        today=business_today(settings),
    )
    return VisitRead.model_validate(view)
