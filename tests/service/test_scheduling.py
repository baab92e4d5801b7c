"""The scheduler's delivery tick also escalates the hotline: an overdue ticket's alert is
raised and queued without anyone pressing a button."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.access import Principal
from hotline.tickets import TicketInput, file_ticket
from models import Alert, AlertRule, Role, TicketCategory, TicketPriority
from models.base import utc_now
from service.scheduling import escalate_hotline
from service.settings import Settings
from tests.factories import make_region


def test_the_scheduler_raises_a_ticket_sla_alert_for_an_overdue_ticket(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    make_region(session, code="410403")
    operator = Principal("key", 1, "operator", Role.operator)
    file_ticket(
        session=session,
        new=TicketInput(
            category=TicketCategory.cannot_buy,
            text="No rice for two days.",
            region="410403",
            priority=TicketPriority.urgent,
        ),
        principal=operator,
        now=utc_now() - timedelta(minutes=20),
    )
    session.commit()
    counts = escalate_hotline(settings, session_factory)
    assert counts["alerts_fired"] == 1
    session.expire_all()
    alert = session.scalars(select(Alert)).one()
    assert (alert.rule, alert.severity.value) == (AlertRule.ticket_sla, "critical")
