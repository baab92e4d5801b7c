"""The monitor's clock: runs the monitor on an interval and delivers due notifications.

One scheduler per deployment, in its own process (``supplywatch scheduler``), as
APScheduler's own documentation advises — never one per web worker. ``supplywatch
serve`` with a single worker (the demo) starts it in a thread instead; should a second
one ever run, the run guard makes it skip rather than write twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.database import SessionFactory
from monitors.running.fanout import PartQueue
from monitors.running.runs import MonitorConfig, MonitorRunFailed, run_monitor

log = logging.getLogger("supplywatch.scheduler")


@dataclass
class MonitorScheduler:
    """Runs ``run_monitor`` for today's business day every ``interval`` and calls
    ``deliver`` (the notification outbox) every ``delivery_interval``."""

    factory: SessionFactory
    config: MonitorConfig
    today: Callable[[], date]
    deliver: Callable[[], Any]
    interval: timedelta = timedelta(hours=1)
    delivery_interval: timedelta = timedelta(seconds=30)
    maintain: Callable[[], Any] | None = None
    queue: PartQueue | None = None

    def tick(self, *, run_due: bool, delivery_due: bool) -> None:
        """Do what is due now; one failure is logged and never stops the scheduler."""
        if run_due and self.maintain is not None:
            try:
                self.maintain()
            except Exception:
                log.exception("storage upkeep failed")
        if run_due:
            try:
                run = run_monitor(
                    factory=self.factory,
                    business_date=self.today(),
                    config=self.config,
                    trigger="scheduler",
                    queue=self.queue,
                )
                log.info(
                    "monitor run",
                    extra={"run_id": run.id, "status": run.status.value, "counts": run.counts},
                )
            except MonitorRunFailed:
                pass  # recorded as failed and logged by run_monitor
            except Exception:
                log.exception("monitor run could not start")
        if delivery_due:
            try:
                self.deliver()
            except Exception:
                log.exception("notification delivery failed")

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set."""
        next_run = time.monotonic()
        next_delivery = time.monotonic()
        while not stop.is_set():
            now = time.monotonic()
            run_due, delivery_due = now >= next_run, now >= next_delivery
            self.tick(run_due=run_due, delivery_due=delivery_due)
            if run_due:
                next_run = now + self.interval.total_seconds()
            if delivery_due:
                next_delivery = now + self.delivery_interval.total_seconds()
            stop.wait(max(0.0, min(next_run, next_delivery) - time.monotonic()))

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        """Run in a daemon thread; set the returned event to stop it."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run, args=(stop,), name="monitor-scheduler", daemon=True
        )
        thread.start()
        return thread, stop
