"""The visit and contact log: an officer records whom they met or called and what was
said; each problem raised becomes a hotline ticket, filed and routed by the hotline's own
rules, linked to the store and kept beside the visit (so to the enterprise)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, within_region
from core.errors import Conflict, Forbidden, InvalidInput
from core.text import (
    FieldProblem,
    Text,
    control_character_problem,
    field_problem,
    is_blank,
    phrase,
)
from hotline.tickets import MAX_TEXT_LENGTH, TicketInput, file_ticket
from models import (
    CallerKind,
    Enterprise,
    OfficerVisit,
    Product,
    Region,
    Role,
    Store,
    Ticket,
    TicketCategory,
    TicketPriority,
    User,
    VisitMode,
    VisitProblem,
    WorkingGroup,
)
from models.base import utc_now
from officers.assignments import (
    MANAGER_ROLES,
    assigned_store_ids,
    charges_inside,
    officer_in_view,
    stores_inside,
    target_of,
)

MAX_CONTACT_LENGTH = 200
MAX_PROBLEMS = 20
"""Problems one visit may raise at once (each becomes a ticket)."""
OLDEST_VISIT = timedelta(days=366)
"""How long ago a visit may be logged: a year (and a day, for a leap year). A visit
dated 0001-01-01 would sort last in every log and never count as the enterprise's last
visit; one a year old is already history, not a contact to follow up."""


@dataclass(frozen=True)
class ProblemInput:
    """A problem the enterprise raised: what kind, what, how urgent, where (a store of the
    enterprise; default the visited store or the enterprise's first) and which product."""

    category: TicketCategory
    text: str
    priority: TicketPriority = TicketPriority.normal
    store: str | None = None
    product: str | None = None


@dataclass(frozen=True)
class VisitInput:
    """One visit or contact: with an enterprise or a store, when, how, whom, what."""

    visit_date: date
    mode: VisitMode
    contact: str
    notes: str
    enterprise: str | None = None
    store: str | None = None
    problems: list[ProblemInput] = field(default_factory=list)


@dataclass(frozen=True)
class GroupName:
    """A working group's code and names, for a page to name it in the reader's language."""

    code: str
    name: str
    name_zh: str | None


@dataclass(frozen=True)
class RaisedTicket:
    """A ticket a visit raised, as the officer follows it: ``working_group`` is the code
    of the group it was routed to, ``group`` that group's names."""

    number: str
    category: str
    status: str
    working_group: str | None
    store: str | None
    group: GroupName | None = None


@dataclass(frozen=True)
class VisitView:
    """A visit with codes and the tickets it raised."""

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
    tickets: list[RaisedTicket]


def _text_problems(
    value: str,
    loc: list[str | int],
    limit: int,
    *,
    multiline: bool = True,
    empty: Text | None = None,
) -> list[FieldProblem]:
    """Empty (or only invisible characters), oversized or control-character free text,
    named by where it sits in the request: notes and a problem's text keep line breaks
    and tabs; the contact is one line (it becomes a hotline ticket's caller name).
    ``empty`` says what an empty field wants (by default what happened)."""
    if is_blank(value):
        return [field_problem(["body", *loc], empty or phrase("write what happened"))]
    if len(value) > limit:
        return [field_problem(["body", *loc], "at most {limit} characters", limit=limit)]
    control = control_character_problem(value, ["body", *loc], multiline=multiline)
    return [] if control is None else [control]


def _check(new: VisitInput, today: date) -> None:
    """Every problem of the visit's own fields at once, before anything is written."""
    problems: list[FieldProblem] = []
    if new.visit_date > today:
        problems.append(field_problem(["body", "visit_date"], "a visit cannot be in the future"))
    elif new.visit_date < today - OLDEST_VISIT:
        problems.append(
            field_problem(
                ["body", "visit_date"],
                "must be from {first} to {last}",
                first=today - OLDEST_VISIT,
                last=today,
            )
        )
    problems += _text_problems(
        new.contact,
        ["contact"],
        MAX_CONTACT_LENGTH,
        multiline=False,
        empty=phrase("name whom you met or spoke to"),
    )
    problems += _text_problems(new.notes, ["notes"], MAX_TEXT_LENGTH)
    if len(new.problems) > MAX_PROBLEMS:
        problems.append(
            field_problem(["body", "problems"], "at most {limit} problems", limit=MAX_PROBLEMS)
        )
    for index, problem in enumerate(new.problems):
        problems += _text_problems(problem.text, ["problems", index, "text"], MAX_TEXT_LENGTH)
    if problems:
        raise InvalidInput("the visit has {count} problem(s)", errors=problems, count=len(problems))


def _problem_store(
    session: Session,
    principal: Principal,
    enterprise: Enterprise | None,
    visited: Store | None,
    code: str | None,
    index: int,
) -> tuple[Store, str]:
    """Where a raised problem is: a store of the visited enterprise (or the visited store),
    with its region's code, which routes the ticket."""
    query = (
        select(Store, Region.code)
        .join(Region, Region.id == Store.region_id)
        .where(stores_inside(principal))
    )
    if enterprise is not None:
        query = query.where(Store.enterprise_id == enterprise.id)
    else:
        assert visited is not None
        query = query.where(Store.id == visited.id)
    if code is not None:
        query = query.where(Store.code == code)
    elif visited is not None:
        query = query.where(Store.id == visited.id)
    found = session.execute(query.where(Store.active.is_(True)).order_by(Store.code)).first()
    if found is None:
        raise InvalidInput(
            "problem {index}: name a store of the enterprise visited",
            errors=[
                field_problem(
                    ["body", "problems", index, "store"], "name a store of the enterprise visited"
                )
            ],
            index=index,
        )
    return found[0], found[1]


def _check_products(session: Session, problems: list[ProblemInput]) -> None:
    """Every product a problem names exists; an unknown one is named where it sits."""
    named = {problem.product for problem in problems if problem.product is not None}
    known = set(session.scalars(select(Product.code).where(Product.code.in_(named))))
    unknown = [
        field_problem(
            ["body", "problems", index, "product"], "unknown product {code!r}", code=problem.product
        )
        for index, problem in enumerate(problems)
        if problem.product is not None and problem.product not in known
    ]
    if unknown:
        raise InvalidInput("the visit names an unknown product", errors=unknown)


def _require_active(enterprise: Enterprise | None, store: Store | None) -> None:
    """A visit is to an enterprise or a store still in business: a deactivated one is a
    422 naming its field (nobody is visited there any more)."""
    if enterprise is not None and not enterprise.active:
        raise InvalidInput(
            "enterprise {code} is deactivated: no visit is logged to it",
            errors=[field_problem(["body", "enterprise"], "give an active enterprise")],
            code=enterprise.code,
        )
    if store is not None and not store.active:
        raise InvalidInput(
            "store {code} is deactivated: no visit is logged to it",
            errors=[field_problem(["body", "store"], "give an active store")],
            code=store.code,
        )


def record_visit(
    *,
    session: Session,
    principal: Principal,
    officer: str,
    new: VisitInput,
    today: date,
    now: datetime | None = None,
) -> VisitView:
    """Log a visit or contact of ``officer`` (an officer logs their own, the bureau any)
    with one of the officer's active enterprises or stores, and file each problem raised as
    a hotline ticket routed like any other; never for a deactivated officer (409)."""
    now = now or utc_now()
    user = officer_in_view(session=session, principal=principal, officer=officer)
    if principal.role not in (Role.admin, *MANAGER_ROLES) and principal.id != user.id:
        raise Forbidden("a service officer logs only their own visits")
    if not user.active:
        raise Conflict(
            "service officer {officer!r} is deactivated: no visit is logged for them",
            officer=user.username,
        )
    _check(new, today)
    enterprise, store = target_of(session, new.enterprise, new.store, principal)
    _require_active(enterprise, store)
    enterprise_ids, store_ids = assigned_store_ids(session, user.id)
    if enterprise is not None and enterprise.id not in enterprise_ids:
        raise Forbidden(
            "enterprise {code} is not in the charge of {officer}",
            code=enterprise.code,
            officer=user.username,
        )
    if store is not None and store.id not in store_ids:
        raise Forbidden(
            "store {code} is not in the charge of {officer}", code=store.code, officer=user.username
        )
    places = [
        _problem_store(session, principal, enterprise, store, problem.store, index)
        for index, problem in enumerate(new.problems)
    ]
    _check_products(session, new.problems)
    visit = OfficerVisit(
        officer_id=user.id,
        enterprise_id=enterprise.id if enterprise else (store.enterprise_id if store else None),
        store_id=store.id if store else None,
        visit_date=new.visit_date,
        mode=new.mode,
        contact=new.contact.strip(),
        notes=new.notes,
        recorded_at=now,
        recorded_by=principal.label,
    )
    session.add(visit)
    session.flush()
    for problem, (place, region_code) in zip(new.problems, places, strict=True):
        ticket, _ = file_ticket(
            session=session,
            new=TicketInput(
                category=problem.category,
                text=problem.text,
                region=region_code,
                caller_kind=CallerKind.store,
                caller_name=visit.contact,
                store=place.code,
                product=problem.product,
                priority=problem.priority,
            ),
            principal=principal,
            now=now,
        )
        session.add(VisitProblem(visit_id=visit.id, ticket_id=ticket.id))
    session.flush()
    return visit_views(session=session, principal=principal, visits=[visit])[0]


def visit_views(
    *, session: Session, principal: Principal, visits: list[OfficerVisit]
) -> list[VisitView]:
    """Visits with codes instead of ids and the tickets each raised that ``principal`` may
    read: a visit to a chain with one store inside a region-bound caller's region raises
    tickets about stores elsewhere, which stay with the staff of their own region."""
    if not visits:
        return []
    ids = [visit.id for visit in visits]
    officers = dict(
        session.execute(
            select(User.id, User.username).where(User.id.in_({v.officer_id for v in visits}))
        ).all()
    )
    enterprises = dict(
        session.execute(
            select(Enterprise.id, Enterprise.code).where(
                Enterprise.id.in_({v.enterprise_id for v in visits if v.enterprise_id})
            )
        ).all()
    )
    tickets = list(
        session.execute(
            select(VisitProblem.visit_id, Ticket)
            .join(Ticket, Ticket.id == VisitProblem.ticket_id)
            .where(VisitProblem.visit_id.in_(ids), within_region(principal, Ticket.region_id))
            .order_by(Ticket.id)
        ).all()
    )
    store_ids = {v.store_id for v in visits} | {ticket.store_id for _, ticket in tickets}
    stores = dict(
        session.execute(select(Store.id, Store.code).where(Store.id.in_(store_ids))).all()
    )
    raised: dict[int, list[RaisedTicket]] = {visit_id: [] for visit_id in ids}
    for visit_id, ticket in tickets:
        group = _group(session, ticket.working_group_id)
        raised[visit_id].append(
            RaisedTicket(
                number=ticket.number,
                category=ticket.category.value,
                status=ticket.status.value,
                working_group=group.code if group else None,
                store=stores.get(ticket.store_id) if ticket.store_id else None,
                group=group,
            )
        )
    return [
        VisitView(
            id=visit.id,
            officer=officers.get(visit.officer_id, ""),
            enterprise=enterprises.get(visit.enterprise_id) if visit.enterprise_id else None,
            store=stores.get(visit.store_id) if visit.store_id else None,
            visit_date=visit.visit_date,
            mode=visit.mode.value,
            contact=visit.contact,
            notes=visit.notes,
            recorded_at=visit.recorded_at,
            recorded_by=visit.recorded_by,
            tickets=raised[visit.id],
        )
        for visit in visits
    ]


def _group(session: Session, working_group_id: int | None) -> GroupName | None:
    """The code and names of the working group a ticket was routed to."""
    if working_group_id is None:
        return None
    found = session.execute(
        select(WorkingGroup.code, WorkingGroup.name, WorkingGroup.name_zh).where(
            WorkingGroup.id == working_group_id
        )
    ).first()
    return GroupName(found.code, found.name, found.name_zh) if found else None


def list_visits(
    *, session: Session, principal: Principal, officer: str, limit: int = 50
) -> list[VisitView]:
    """An officer's latest visits, newest first (an officer reads their own; region-bound
    staff those to stores inside their region and those stores' enterprises)."""
    user = officer_in_view(session=session, principal=principal, officer=officer)
    visits = list(
        session.scalars(
            select(OfficerVisit)
            .where(
                OfficerVisit.officer_id == user.id,
                charges_inside(principal, OfficerVisit.store_id, OfficerVisit.enterprise_id),
            )
            .order_by(OfficerVisit.visit_date.desc(), OfficerVisit.id.desc())
            .limit(limit)
        )
    )
    return visit_views(session=session, principal=principal, visits=visits)
