"""Prometheus metrics of the monitor's results, read from the database at scrape time.

The numbers live in the database (snapshots, alerts, reporting rates, runs), written by
whichever process ran the monitor; a collector that queries them on each scrape gives
every web worker the same answer without shared in-process state. A scrape costs a
handful of small GROUP BY queries over indexed columns. Labels are codes of districts,
categories, rules, severities and statuses only: never stores or products, so the
number of series stays bounded whatever the city's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.scraped import DatabaseCollector
from models import (
    Alert,
    AlertRule,
    AlertStatus,
    MonitorRun,
    Region,
    ReportingRate,
    RunStatus,
    ScopeLevel,
    Severity,
)
from monitors.queries.supply import district_category_supply, latest_supply_day

FINISHED_RUN_STATUSES: tuple[RunStatus, ...] = (
    RunStatus.succeeded,
    RunStatus.failed,
    RunStatus.skipped,
)
"""Terminal states only: a ``running`` row later becomes one of these, so counting it
would make the counter go down."""


def _value(label: object) -> str:
    """A label value from an enum member or a plain string."""
    return str(getattr(label, "value", label))


def _seconds(instant: datetime) -> float:
    """Unix time of a stored instant (naive values are UTC, as the service stores them)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.timestamp()


class MonitorCollector(DatabaseCollector):
    """Days of supply, alerts, report completeness and monitor runs, from the database.

    Register once per registry (``registry.register(MonitorCollector(factory))``). When
    the database cannot be read the collector yields nothing and logs a warning, so the
    service's own HTTP metrics are still scraped.
    """

    subject = "monitor"

    def families(self, session: Session | None) -> list[Metric]:
        """The families, filled from ``session`` when given (empty ones describe them).

        Everything is read before anything is returned, so a failing query yields no
        family at all rather than half a scrape."""
        supply = GaugeMetricFamily(
            "supplywatch_days_of_supply",
            "Days of supply of each district × category on the latest monitored business day "
            "(Σ stock ÷ Σ expected daily sales; absent when there is no demand).",
            labels=["district", "category"],
        )
        alerts = GaugeMetricFamily(
            "supplywatch_alerts",
            "Alerts by rule, severity and status, over all history (resolved included).",
            labels=["rule", "severity", "status"],
        )
        completeness = GaugeMetricFamily(
            "supplywatch_report_completeness",
            "Share of a district's active stores that reported the latest monitored day.",
            labels=["district"],
        )
        on_time = GaugeMetricFamily(
            "supplywatch_report_on_time",
            "Share of a district's active stores that reported the latest monitored day "
            "by the cut-off.",
            labels=["district"],
        )
        duration = GaugeMetricFamily(
            "supplywatch_monitor_last_run_duration_seconds",
            "How long the latest finished (succeeded or failed) monitor run took.",
        )
        finished = GaugeMetricFamily(
            "supplywatch_monitor_last_run_timestamp_seconds",
            "When the latest finished (succeeded or failed) monitor run ended, as Unix time.",
        )
        succeeded = GaugeMetricFamily(
            "supplywatch_monitor_last_success_timestamp_seconds",
            "When the latest succeeded monitor run ended, as Unix time.",
        )
        runs = CounterMetricFamily(
            "supplywatch_monitor_runs",
            "Finished monitor runs by status (succeeded, failed, skipped).",
            labels=["status"],
        )
        families: list[Metric] = [
            supply,
            alerts,
            completeness,
            on_time,
            duration,
            finished,
            succeeded,
            runs,
        ]
        if session is None:
            return families

        for district, category, days in _days_of_supply(session):
            supply.add_metric([district, category], days)
        alert_counts = _alert_counts(session)
        for rule in AlertRule:
            for severity in Severity:
                for status in AlertStatus:
                    count = alert_counts.get((rule.value, severity.value, status.value), 0)
                    alerts.add_metric([rule.value, severity.value, status.value], count)
        for district, reporting_rate, on_time_rate in _reporting_rates(session):
            if reporting_rate is not None:
                completeness.add_metric([district], reporting_rate)
            if on_time_rate is not None:
                on_time.add_metric([district], on_time_rate)
        last = _last_finished_run(session)
        if last is not None:
            last_duration, last_finished = last
            if last_duration is not None:
                duration.add_metric([], last_duration)
            finished.add_metric([], _seconds(last_finished))
        last_success = session.scalar(
            select(func.max(MonitorRun.finished_at)).where(MonitorRun.status == RunStatus.succeeded)
        )
        if last_success is not None:
            succeeded.add_metric([], _seconds(last_success))
        run_counts = _run_counts(session)
        for run_status in FINISHED_RUN_STATUSES:
            runs.add_metric([run_status.value], run_counts.get(run_status.value, 0))
        return families


def _days_of_supply(session: Session) -> Iterator[tuple[str, str, float]]:
    """(district code, category code, days) of the latest day's district × category rows."""
    latest = latest_supply_day(session=session, level=ScopeLevel.district)
    if latest is None:
        return
    for cell in district_category_supply(session=session, day=latest):
        if cell.days_of_supply is not None:
            yield cell.district_code, cell.category_code, float(cell.days_of_supply)


def _alert_counts(session: Session) -> dict[tuple[str, str, str], int]:
    """Alerts per (rule, severity, status); absent combinations are exposed as 0 so a
    count falling to zero shows as 0, not as a gap."""
    rows = session.execute(
        select(Alert.rule, Alert.severity, Alert.status, func.count()).group_by(
            Alert.rule, Alert.severity, Alert.status
        )
    )
    return {
        (_value(rule), _value(severity), _value(status)): int(count)
        for rule, severity, status, count in rows
    }


def _reporting_rates(session: Session) -> list[tuple[str, float | None, float | None]]:
    """(district code, reporting rate, on-time rate) of the latest day with rates."""
    latest = select(func.max(ReportingRate.business_date)).scalar_subquery()
    return list(
        session.execute(
            select(Region.code, ReportingRate.reporting_rate, ReportingRate.on_time_rate)
            .join(Region, Region.id == ReportingRate.district_id)
            .where(ReportingRate.business_date == latest)
            .order_by(Region.code)
        )
    )


def _last_finished_run(session: Session) -> tuple[float | None, datetime] | None:
    """Duration and end of the latest run that computed something (skipped runs did not)."""
    row = session.execute(
        select(MonitorRun.duration_seconds, MonitorRun.finished_at)
        .where(
            MonitorRun.status.in_([RunStatus.succeeded, RunStatus.failed]),
            MonitorRun.finished_at.is_not(None),
        )
        .order_by(MonitorRun.finished_at.desc(), MonitorRun.id.desc())
        .limit(1)
    ).first()
    if row is None or row[1] is None:
        return None
    return row[0], row[1]


def _run_counts(session: Session) -> dict[str, int]:
    """Finished runs per status (rows are never deleted, so the counts only grow)."""
    rows = session.execute(
        select(MonitorRun.status, func.count())
        .where(MonitorRun.status.in_(FINISHED_RUN_STATUSES))
        .group_by(MonitorRun.status)
    )
    return {_value(status): int(count) for status, count in rows}
