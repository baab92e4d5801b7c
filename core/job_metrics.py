"""Prometheus metrics of the long jobs (plan jobs, queued uploads, pass PDFs), read from
the database at scrape time: a job may run on any worker machine, whose own counters no
scraper of the web processes sees, so the rows are the one place every job is counted.

Labels are the job's kind and status only, so series stay few.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.scraped import DatabaseCollector
from models import BackgroundJob, JobKind, JobStatus, PlanJob
from models.base import utc_now

PLAN_KIND = "plan"
"""The kind plan jobs are counted under (they keep a table of their own)."""
UNFINISHED = (JobStatus.queued, JobStatus.running)


class JobCollector(DatabaseCollector):
    """Jobs by kind and status, and how long the most silent unfinished job of each kind
    has shown no life (what to alert on when a queue or its workers stop)."""

    subject = "job"

    def families(self, session: Session | None) -> list[Metric]:
        jobs = GaugeMetricFamily(
            "supplywatch_jobs",
            "Plan jobs and background jobs kept (finished ones until the retention), by "
            "kind and status.",
            labels=["kind", "status"],
        )
        silent = GaugeMetricFamily(
            "supplywatch_jobs_silent_seconds",
            "Seconds since the most silent queued or running job of a kind last showed life "
            "(queued, started or progress written); absent when none is unfinished.",
            labels=["kind"],
        )
        families: list[Metric] = [jobs, silent]
        if session is None:
            return families
        counts: dict[tuple[str, JobStatus], int] = {
            (kind.value, status): count
            for kind, status, count in session.execute(
                select(BackgroundJob.kind, BackgroundJob.status, func.count()).group_by(
                    BackgroundJob.kind, BackgroundJob.status
                )
            ).all()
        }
        for status, count in session.execute(
            select(PlanJob.status, func.count()).group_by(PlanJob.status)
        ).all():
            counts[PLAN_KIND, status] = count
        kinds = [kind.value for kind in JobKind] + [PLAN_KIND]
        for kind in kinds:
            for status in JobStatus:
                jobs.add_metric([kind, status.value], counts.get((kind, status), 0))
        oldest = _oldest_life(session)
        now = utc_now()
        for kind in kinds:
            if kind in oldest:
                silent.add_metric([kind], max((now - oldest[kind]).total_seconds(), 0.0))
        return families


def _oldest_life(session: Session) -> dict[str, datetime]:
    """Per kind, the earliest last sign of life among its unfinished jobs."""
    oldest: dict[str, datetime] = {}
    background_life = func.min(
        func.coalesce(
            BackgroundJob.heartbeat_at, BackgroundJob.started_at, BackgroundJob.created_at
        )
    )
    for kind, life in session.execute(
        select(BackgroundJob.kind, background_life)
        .where(BackgroundJob.status.in_(UNFINISHED))
        .group_by(BackgroundJob.kind)
    ).all():
        if life is not None:
            oldest[kind.value] = life
    plan_life = session.scalar(
        select(
            func.min(func.coalesce(PlanJob.heartbeat_at, PlanJob.started_at, PlanJob.created_at))
        ).where(PlanJob.status.in_(UNFINISHED))
    )
    if plan_life is not None:
        oldest[PLAN_KIND] = plan_life
    return oldest
