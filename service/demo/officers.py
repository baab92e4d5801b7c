"""The demo city's service officers: two officers looking after the biggest key chains
(the demo store's among them) and a few farmers' markets, with a fortnight of visits
through the same domain functions as the API; some visits raise problems that become
routed hotline tickets. The second officer has not visited for ten days and a few key
enterprises have nobody, so the coverage page has gaps to show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal
from models import (
    Enterprise,
    Store,
    StoreKind,
    TicketCategory,
    TicketPriority,
    User,
    VisitMode,
)
from officers.assignments import assign_officer
from officers.visits import ProblemInput, VisitInput, record_visit
from service.demo.master import stage_rng
from service.demo.reference import PEOPLE

OFFICERS_STAGE = 71
CHAINS_PER_OFFICER = 4
MARKETS = 3
NOTES = (
    "Walked the shelves with the duty manager; fresh produce restocked twice a day.",
    "Phoned the purchasing head about tomorrow's deliveries from the wholesale market.",
    "Checked the staff rota and the queue at opening; the store asks for more volunteers.",
    "Reviewed stock of rice, oil and eggs against the last report; figures match.",
)
PROBLEMS = (
    (
        TicketCategory.pass_or_checkpoint,
        TicketPriority.high,
        "Egg trucks from Ye County are held at the G310 checkpoint for hours; "
        "the chain asks for transport passes.",
    ),
    (
        TicketCategory.store_closed_or_short,
        TicketPriority.normal,
        "Short of cashiers after staff were locked down at home; two tills closed.",
    ),
)


@dataclass(frozen=True)
class OfficersSummary:
    """What the demo's officers hold."""

    assignments: int
    visits: int
    tickets: int


def _key_enterprises(session: Session) -> list[str]:
    """Enterprises with key supplier stores, most key stores first."""
    return list(
        session.scalars(
            select(Enterprise.code)
            .join(Store, Store.enterprise_id == Enterprise.id)
            .where(Store.key_supplier.is_(True), Store.active.is_(True))
            .group_by(Enterprise.id, Enterprise.code)
            .order_by(func.count(Store.id).desc(), Enterprise.code)
        )
    )


def load_officers(
    session: Session,
    *,
    seed: int,
    officers: tuple[str, str],
    demo_chain: str,
    bureau: Principal,
    last_date: date,
    now: datetime,
) -> OfficersSummary:
    """Assign the two ``officers`` (existing users) and log their visits up to
    ``last_date``; the first officer looks after ``demo_chain``."""
    random = stage_rng(seed, OFFICERS_STAGE)
    chains = [demo_chain] + [code for code in _key_enterprises(session) if code != demo_chain]
    markets = list(
        session.scalars(
            select(Store.code)
            .where(Store.key_supplier.is_(True), Store.kind == StoreKind.farmers_market)
            .order_by(Store.code)
            .limit(MARKETS)
        )
    )
    first, second = officers
    charge = {
        first: [("enterprise", code) for code in chains[:CHAINS_PER_OFFICER]]
        + [("store", code) for code in markets],
        second: [
            ("enterprise", code) for code in chains[CHAINS_PER_OFFICER : 2 * CHAINS_PER_OFFICER]
        ],
    }
    assignments = visits = tickets = 0
    for officer, targets in charge.items():
        for kind, code in targets:
            assign_officer(
                session=session,
                principal=bureau,
                officer=officer,
                enterprise=code if kind == "enterprise" else None,
                store=code if kind == "store" else None,
                now=now - timedelta(days=20),
            )
            assignments += 1
    problems = iter(PROBLEMS)
    for officer, targets in charge.items():
        user = session.scalars(select(User).where(User.username == officer)).one()
        principal = Principal("user", user.id, user.username, user.role)
        recent = officer == first
        for number, (kind, code) in enumerate(targets):
            days_ago = int(random.integers(0, 5)) if recent else int(random.integers(10, 14))
            raised = []
            if recent and number < len(PROBLEMS):
                category, priority, text = next(problems)
                raised.append(ProblemInput(category=category, text=text, priority=priority))
            view = record_visit(
                session=session,
                principal=principal,
                officer="me",
                new=VisitInput(
                    visit_date=last_date - timedelta(days=days_ago),
                    mode=VisitMode.on_site if number % 3 else VisitMode.phone,
                    contact=PEOPLE[int(random.integers(len(PEOPLE)))],
                    notes=NOTES[number % len(NOTES)],
                    enterprise=code if kind == "enterprise" else None,
                    store=code if kind == "store" else None,
                    problems=raised,
                ),
                today=last_date,
                now=now - timedelta(days=days_ago),
            )
            visits += 1
            tickets += len(view.tickets)
    return OfficersSummary(assignments=assignments, visits=visits, tickets=tickets)
