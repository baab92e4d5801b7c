"""The scheduler runs the monitor on its clock and keeps going when something fails."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import MonitorRun, RunStatus
from monitors.running import scheduler as scheduler_module
from monitors.running.runs import MonitorConfig
from monitors.running.scheduler import MonitorScheduler
from tests.factories import business_today


def test_a_tick_runs_the_monitor_and_delivers(session_factory: sessionmaker[Session]) -> None:
    delivered: list[bool] = []
    schedule = MonitorScheduler(
        factory=session_factory,
        config=MonitorConfig(),
        today=business_today,
        deliver=lambda: delivered.append(True),
    )
    schedule.tick(run_due=True, delivery_due=True)
    with session_factory() as session:
        run = session.scalars(select(MonitorRun)).one()
    assert run.trigger == "scheduler" and run.status is RunStatus.succeeded, run.error
    assert delivered == [True]


def test_a_failing_run_or_delivery_does_not_stop_the_scheduler(
    session_factory: sessionmaker[Session], monkeypatch: Any
) -> None:
    def broken_delivery() -> None:
        raise ConnectionError("receiver down")

    def broken_run(**_: Any) -> None:
        raise RuntimeError("cannot start")

    monkeypatch.setattr(scheduler_module, "run_monitor", broken_run)
    schedule = MonitorScheduler(
        factory=session_factory,
        config=MonitorConfig(),
        today=business_today,
        deliver=broken_delivery,
        interval=timedelta(milliseconds=10),
        delivery_interval=timedelta(milliseconds=10),
    )
    stop = threading.Event()
    calls: list[int] = []
    original_tick = schedule.tick

    def counting_tick(**kwargs: bool) -> None:
        calls.append(1)
        original_tick(**kwargs)
        if len(calls) >= 3:
            stop.set()

    monkeypatch.setattr(schedule, "tick", counting_tick)
    schedule.run(stop)
    assert len(calls) >= 3
