"""The demo hotline: a week of tickets routed and worked through the domain, some left
unanswered past their SLA, and a cluster of egg complaints in one district."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.escalation import ClusterSettings, escalate_tickets
from models import Alert, AlertRule, RegionLevel, Ticket, TicketStatus, WorkingGroup
from service.demo.hotline import demo_end, load_hotline
from tests.factories import make_product, make_region

END = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


def test_the_demo_week_of_tickets_breaches_some_slas_and_clusters_in_one_district(
    session: Session,
) -> None:
    city = make_region(session, code="4104", level=RegionLevel.city)
    for district_code in ("410402", "410403"):
        district = make_region(session, code=district_code, parent=city)
        for number in range(3):
            make_region(
                session,
                code=f"{district_code}-{number}",
                level=RegionLevel.community,
                parent=district,
            )
    make_product(session, code="eggs", category="eggs")
    make_product(session, code="pork", category="meat")
    summary = load_hotline(session, seed=7, end=END, days=7, cluster_district="410403")
    assert summary.tickets == 7 * 12 + 6
    assert session.scalar(select(func.count()).select_from(Ticket)) == summary.tickets
    assert session.scalar(select(func.count()).select_from(WorkingGroup)) == 6
    statuses = set(session.scalars(select(Ticket.status)))
    assert {TicketStatus.assigned, TicketStatus.resolved} <= statuses
    counts = escalate_tickets(
        session=session,
        now=END,
        business_date=END.date(),
        cluster=ClusterSettings(count=5),
        external_url="http://demo",
    )
    assert counts["alerts_fired"] > 0
    rules = set(session.scalars(select(Alert.rule)))
    assert rules == {AlertRule.ticket_sla, AlertRule.complaint_cluster}


def test_a_demo_caller_names_the_product_not_its_code(session: Session) -> None:
    """Demo tickets used to read "No chicken_legs on the shelves…", a product code where a
    caller says the product's name; the ticket still carries the code."""
    city = make_region(session, code="4104", level=RegionLevel.city)
    district = make_region(session, code="410402", parent=city)
    make_region(session, code="410402-0", level=RegionLevel.community, parent=district)
    legs = make_product(session, code="chicken_legs", category="meat")
    legs.name = "Chicken legs"
    session.flush()
    load_hotline(session, seed=7, end=END, days=2)
    about = session.execute(select(Ticket.text).where(Ticket.product_id == legs.id)).scalars().all()
    assert about, "some demo tickets are about the only product"
    for text in about:
        assert "chicken_legs" not in text and text.startswith("Chicken legs: "), text


def test_a_demo_loaded_before_the_evening_files_no_ticket_after_the_moment_it_is_read() -> None:
    """Loaded at 03:59 in Pingdingshan, the demo's tickets ran to 20:00 that day: sixteen
    hours of tickets from the future, with no SLA clock and updated before they were filed."""
    last_day = date(2026, 12, 8)
    early = datetime(2026, 12, 8, 3, 59, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert demo_end(last_day, now=early) == early
    late = datetime(2026, 12, 9, 1, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    evening = datetime(2026, 12, 8, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert demo_end(last_day, now=late) == evening
