"""Glue between settings and the monitor: its configuration, scheduler and delivery (with
the hotline's escalation before each delivery)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from core.database import SessionFactory, session_scope
from core.jobs import prune_finished_jobs, send_job, take_interrupted
from core.partitions import PartitionUpkeep, keep_partitions
from dispatch.plan_jobs import prune_finished_plan_jobs, send_plan_job
from hotline.escalation import escalate_tickets
from models import BackgroundJob, PlanJob
from models.base import utc_now
from monitors.notifications.delivery import (
    NotificationSendReport,
    default_client,
    deliver_due_notifications,
)
from monitors.running.scheduler import MonitorScheduler
from service.configuration import (
    business_today,
    complaint_cluster_settings,
    monitor_config,
    oldest_postable_day,
    receiver_policy,
)
from service.settings import Settings
from service.worker import job_queue, part_queue, plan_job_queue

DELIVERY_BATCH = 100
DELIVERY_BUDGET_SECONDS = 20.0
log = logging.getLogger("supplywatch.scheduler")


def escalate_hotline(settings: Settings, factory: SessionFactory) -> dict[str, int]:
    """Raise, escalate and resolve the hotline's alerts and record silences that started,
    in one unit of work (SLA clocks run in minutes, so this runs at every delivery tick,
    before the delivery)."""
    with session_scope(factory) as session:
        return escalate_tickets(
            session=session,
            now=datetime.now(settings.zone),
            business_date=business_today(settings),
            cluster=complaint_cluster_settings(settings),
            external_url=settings.base_url.rstrip("/"),
        )


def escalate_then_deliver(settings: Settings, factory: SessionFactory) -> NotificationSendReport:
    """The hotline's escalation (a failure is logged, never stops delivery), then delivery."""
    try:
        escalate_hotline(settings, factory)
    except Exception:
        log.exception("hotline escalation failed")
    return deliver_notifications(settings, factory)


def deliver_notifications(settings: Settings, factory: SessionFactory) -> NotificationSendReport:
    """Send due notifications, batch after batch while batches come back full, within a
    time budget (retries are scheduled for later, not waited for)."""
    started = time.monotonic()
    total = NotificationSendReport()
    with default_client(receiver_policy(settings)) as client:
        while True:
            report = deliver_due_notifications(
                factory,
                client=client,
                max_attempts=settings.notification_max_attempts,
                base_delay_s=settings.notification_base_delay_seconds,
                max_delay_s=settings.notification_max_delay_seconds,
                batch=DELIVERY_BATCH,
            )
            total = NotificationSendReport(
                attempted=total.attempted + report.attempted,
                delivered=total.delivered + report.delivered,
                retried=total.retried + report.retried,
                failed=total.failed + report.failed,
            )
            if report.attempted < DELIVERY_BATCH:
                return total
            if time.monotonic() - started > DELIVERY_BUDGET_SECONDS:
                return total


def keep_monthly_partitions(settings: Settings, factory: SessionFactory) -> PartitionUpkeep:
    """Make next months' partitions and archive those past the retention, in one unit of
    work (a no-op on SQLite); run before each monitor run, so a month's table exists
    months before its first line."""
    with session_scope(factory) as session:
        upkeep = keep_partitions(
            session.connection(),
            today=business_today(settings),
            oldest_day=oldest_postable_day(settings),
            retention_months=settings.report_retention_months,
        )
    if upkeep.created or upkeep.archived:
        log.info("partition upkeep", extra={"upkeep": upkeep.as_counts()})
    return upkeep


def prune_old_jobs(settings: Settings, factory: SessionFactory) -> dict[str, int]:
    """Delete the plan jobs and background jobs that ended more than
    ``job_retention_days`` ago, in one unit of work: the stored uploads and PDFs would
    otherwise grow the database with every one."""
    finished_before = utc_now() - timedelta(days=settings.job_retention_days)
    with session_scope(factory) as session:
        pruned = {
            "background_jobs": prune_finished_jobs(session, finished_before=finished_before),
            "plan_jobs": prune_finished_plan_jobs(session, finished_before=finished_before),
        }
    if any(pruned.values()):
        log.info("old jobs deleted", extra={"pruned": pruned})
    return pruned


@dataclass(frozen=True)
class Recovery:
    """What a sweep for interrupted jobs did: how many it sent again or gave up, and the
    thread running them again when there is no broker."""

    counts: dict[str, int]
    sending: threading.Thread | None = None


def recover_interrupted_jobs(
    settings: Settings, factory: SessionFactory, *, silent_since: datetime | None = None
) -> Recovery:
    """Send again the plan jobs and background jobs whose process stopped (silent for
    ``job_silent_minutes``, or since ``silent_since``), and fail those started
    ``job_max_attempts`` times, so a job a client got its 202 for is never left queued or
    running for ever. Without a broker the jobs run again in a thread of this process, so
    the scheduler (or the starting web process) does not wait for them."""
    silent_since = silent_since or utc_now() - timedelta(minutes=settings.job_silent_minutes)
    with session_scope(factory) as session:
        jobs = take_interrupted(
            session,
            BackgroundJob,
            silent_since=silent_since,
            max_attempts=settings.job_max_attempts,
        )
        plans = take_interrupted(
            session, PlanJob, silent_since=silent_since, max_attempts=settings.job_max_attempts
        )
        background = [(job.kind, job.id) for job in jobs.send_again]
        plan_ids = [job.id for job in plans.send_again]
        counts = {
            "jobs_sent_again": len(background),
            "plan_jobs_sent_again": len(plan_ids),
            "jobs_given_up": len(jobs.given_up),
            "plan_jobs_given_up": len(plans.given_up),
        }
    if any(counts.values()):
        log.warning("interrupted jobs recovered", extra={"recovered": counts})
    if not background and not plan_ids:
        return Recovery(counts)
    jobs_queue = job_queue(settings, factory)
    plans_queue = plan_job_queue(settings, factory)

    def send_all() -> None:
        for kind, job_id in background:
            send_job(jobs_queue, factory, kind, job_id)
        for job_id in plan_ids:
            send_plan_job(plans_queue, factory, job_id)

    if settings.broker_url:
        send_all()
        return Recovery(counts)
    sending = threading.Thread(target=send_all, name="interrupted-jobs", daemon=True)
    sending.start()
    return Recovery(counts, sending)


def maintain(settings: Settings, factory: SessionFactory) -> None:
    """What the scheduler keeps up before each run: the partitions, the old jobs, then
    the interrupted ones."""
    keep_monthly_partitions(settings, factory)
    prune_old_jobs(settings, factory)
    recover_interrupted_jobs(settings, factory)


def build_scheduler(settings: Settings, factory: SessionFactory) -> MonitorScheduler:
    """The scheduler for this deployment's settings."""
    return MonitorScheduler(
        factory=factory,
        config=monitor_config(settings),
        today=partial(business_today, settings),
        deliver=partial(escalate_then_deliver, settings, factory),
        maintain=partial(maintain, settings, factory),
        interval=timedelta(minutes=settings.monitor_interval_minutes),
        queue=part_queue(settings),
    )
