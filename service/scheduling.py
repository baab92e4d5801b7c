"""Glue between settings and the monitor: its configuration, scheduler and delivery."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import partial

from core.database import SessionFactory
from monitors.notifications.delivery import (
    NotificationSendReport,
    default_client,
    deliver_due_notifications,
)
from monitors.running.scheduler import MonitorScheduler
from service.configuration import business_today, monitor_config, receiver_policy
from service.settings import Settings

DELIVERY_BATCH = 100
DELIVERY_BUDGET_SECONDS = 20.0


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


def build_scheduler(settings: Settings, factory: SessionFactory) -> MonitorScheduler:
    """The scheduler for this deployment's settings."""
    return MonitorScheduler(
        factory=factory,
        config=monitor_config(settings),
        today=partial(business_today, settings),
        deliver=partial(deliver_notifications, settings, factory),
        interval=timedelta(minutes=settings.monitor_interval_minutes),
    )
