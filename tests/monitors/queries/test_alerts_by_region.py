"""A hotline ticket's alert lies in the ticket's region, and the dashboard's alert tiles
count a city bureau's own alerts: the alert queries a bound bureau reads through."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.access import Principal, bind_region
from models import (
    AlertRule,
    CallerKind,
    Region,
    Role,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketPriority,
    TicketStatus,
)
from monitors.queries.alerts import list_alerts, open_alert_counts
from tests.service.api.test_alerts import make_alert
from tests.service.api.test_alerts_by_region import IN_A, TwoCities, cities

__all__ = ["cities"]  # the fixture, shared with the API's story


def _bureau(session: Session, region: Region | None) -> Principal:
    principal = Principal(kind="key", id=1, name="duty", role=Role.bureau)
    return bind_region(session, principal, region.id if region else None)


def _ticket(session: Session, number: str, region: Region) -> Ticket:
    ticket = Ticket(
        number=number,
        channel=TicketChannel.phone,
        caller_kind=CallerKind.resident,
        category=TicketCategory.cannot_buy,
        text="No rice since Monday",
        region_id=region.id,
        priority=TicketPriority.normal,
        status=TicketStatus.new,
        filed_by="key:1:operator",
    )
    session.add(ticket)
    session.flush()
    return ticket


def test_a_city_bureau_sees_the_sla_alerts_of_its_own_citys_tickets_only(
    session: Session, cities: TwoCities
) -> None:
    ours = make_alert(session, city=cities.city_a, rule=AlertRule.ticket_sla)
    theirs = make_alert(session, city=cities.city_b, rule=AlertRule.ticket_sla)
    for alert, ticket in (
        (ours, _ticket(session, "T-A-1", cities.a2)),
        (theirs, _ticket(session, "T-B-1", cities.b1)),
    ):
        alert.scope_level, alert.scope_id = "ticket", ticket.id
    session.flush()

    found = list_alerts(
        session=session,
        principal=_bureau(session, cities.city_a),
        rule=AlertRule.ticket_sla,
        limit=50,
        offset=0,
    )
    assert [view.id for view in found.items] == [ours.id]
    assert found.items[0].scope.code == "T-A-1"
    everywhere = list_alerts(
        session=session,
        principal=_bureau(session, None),
        rule=AlertRule.ticket_sla,
        limit=50,
        offset=0,
    )
    assert {view.id for view in everywhere.items} == {ours.id, theirs.id}


def test_a_city_bureaus_alert_tiles_count_only_its_own_citys_alerts(
    session: Session, cities: TwoCities
) -> None:
    bound = open_alert_counts(session=session, principal=_bureau(session, cities.city_a))
    national = open_alert_counts(session=session)

    assert bound[("firing", "warning")] == len(IN_A)
    assert national[("firing", "warning")] == len(cities.alerts)
