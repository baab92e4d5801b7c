"""The scheduler's delivery tick also escalates the hotline: an overdue ticket's alert is
raised and queued without anyone pressing a button; before a run it deletes old jobs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.access import Principal
from hotline.tickets import TicketInput, file_ticket
from models import (
    Alert,
    AlertRule,
    JobStatus,
    MonitorRun,
    PlanJob,
    Role,
    RunStatus,
    TicketCategory,
    TicketPriority,
)
from models.base import utc_now
from service.scheduling import build_scheduler, escalate_hotline
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


def test_the_scheduler_deletes_jobs_that_ended_past_the_retention_before_a_run(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    old = utc_now() - timedelta(days=settings.job_retention_days + 1)
    session.add_all(
        [
            PlanJob(
                status=JobStatus.failed,
                requested_by="ops",
                options={},
                created_at=old,
                finished_at=old,
            ),
            PlanJob(
                status=JobStatus.succeeded, requested_by="ops", options={}, finished_at=utc_now()
            ),
        ]
    )
    session.commit()
    build_scheduler(settings, session_factory).tick(run_due=True, delivery_due=False)
    session.expire_all()
    assert [job.status for job in session.scalars(select(PlanJob))] == [JobStatus.succeeded]
    assert session.scalars(select(MonitorRun.status)).one() is RunStatus.succeeded
