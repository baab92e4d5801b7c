"""The demo's service officers: two officers with key chains and markets, a fortnight of
visits through the domain, problems raised as routed tickets, and a quiet officer and
uncovered enterprises for the coverage page to show."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from core.access import Principal
from models import OfficerAssignment, OfficerVisit, RegionLevel, Role, StoreKind, Ticket
from officers.queries import officer_coverage
from service.demo.hotline import load_hotline
from service.demo.officers import load_officers
from tests.factories import make_enterprise, make_region, make_store

END = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


def test_demo_officers_visit_their_chains_and_leave_gaps_for_the_coverage(
    session: Session,
) -> None:
    city = make_region(session, code="4104", level=RegionLevel.city)
    district = make_region(session, code="410403", parent=city)
    chains = [make_enterprise(session, code=f"CH-{n}") for n in range(10)]
    for number, chain in enumerate(chains):
        for _ in range(1 + number % 3):
            make_store(session, region=district, enterprise=chain).key_supplier = True
    for _ in range(4):
        market = make_store(session, region=district)
        market.key_supplier, market.kind = True, StoreKind.farmers_market
    load_hotline(session, seed=7, end=END, days=1, per_day=1)
    users = {
        name: create_user(session, username=name, password=f"{name}-demo-pw", role=role)
        for name, role in (
            ("bureau", Role.bureau),
            ("officer", Role.service_officer),
            ("officer2", Role.service_officer),
        )
    }
    bureau = Principal("user", users["bureau"].id, "bureau", Role.bureau)
    tickets_before = session.scalar(select(func.count()).select_from(Ticket)) or 0
    summary = load_officers(
        session,
        seed=7,
        officers=("officer", "officer2"),
        demo_chain="CH-9",
        bureau=bureau,
        last_date=END.date(),
        now=END,
    )
    assert summary.assignments == 4 + 3 + 4
    assert session.scalar(select(func.count()).select_from(OfficerAssignment)) == 11
    assert session.scalar(select(func.count()).select_from(OfficerVisit)) == summary.visits
    assert summary.tickets == 2
    tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0
    assert tickets - tickets_before == 2
    coverage = officer_coverage(session=session, principal=bureau, today=END.date(), days=7)
    assert [officer.username for officer in coverage.officers_without_visit] == ["officer2"]
    assert len(coverage.enterprises_without_officer) == 2
    assert len(coverage.stores_without_officer) > 0
