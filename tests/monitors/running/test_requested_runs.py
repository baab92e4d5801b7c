"""A run someone asks for answers with its own record, even when a newer run exists."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.access import Principal
from core.errors import Forbidden, InvalidInput
from models import MonitorRun, Role, RunStatus
from models.base import utc_now
from monitors.running import runs
from monitors.running.runs import REQUESTED_TRIGGER, MonitorConfig, run_monitor_now
from tests.factories import business_today
from tests.monitors.running.test_runs import live_database, seed

__all__ = ["live_database"]  # the fixture, for pytest

BUREAU = Principal(kind="user", id=7, name="li", role=Role.bureau)


def newer_run_then_crash(factory: sessionmaker[Session]) -> Any:
    """A stand-in for compute_day that records another run (as a second worker or the
    scheduler would) and then fails."""

    def crash(*args: Any, **kwargs: Any) -> Any:
        with factory() as other:
            other.add(
                MonitorRun(
                    business_date=business_today(),
                    trigger="scheduler",
                    status=RunStatus.running,
                    started_at=utc_now(),
                    counts={},
                )
            )
            other.commit()
        raise RuntimeError("disk on fire")

    return crash


def test_a_failed_run_reports_itself_not_the_newest_run(
    live_database: tuple[Engine, sessionmaker[Session]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, factory = live_database
    seed(factory)
    monkeypatch.setattr(runs, "compute_day", newer_run_then_crash(factory))
    run = run_monitor_now(
        session_factory=factory, config=MonitorConfig(), principal=BUREAU, most_unfinished=5
    )
    assert run.status is RunStatus.failed and "disk on fire" in (run.error or "")
    assert run.trigger == REQUESTED_TRIGGER and run.requested_by == BUREAU.label
    with factory() as session:
        newest = session.query(MonitorRun).order_by(MonitorRun.id.desc()).first()
    assert newest is not None and newest.id > run.id and newest.trigger == "scheduler"


def test_only_the_bureau_runs_the_monitor_and_never_for_a_future_day(
    live_database: tuple[Engine, sessionmaker[Session]],
) -> None:
    _, factory = live_database
    store = Principal(kind="key", id=3, name="shop", role=Role.store, store_id=1)
    with pytest.raises(Forbidden):
        run_monitor_now(
            session_factory=factory, config=MonitorConfig(), principal=store, most_unfinished=5
        )
    tomorrow: date = business_today() + timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        run_monitor_now(
            session_factory=factory,
            config=MonitorConfig(),
            principal=BUREAU,
            most_unfinished=5,
            business_date=tomorrow,
        )
    assert refused.value.errors == [
        {"loc": ["body", "date"], "msg": f"after today ({business_today().isoformat()})"}
    ]
    with factory() as session:
        assert session.query(MonitorRun).count() == 0
