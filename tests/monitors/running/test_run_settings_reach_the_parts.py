"""A fanned-out run's parts are computed with the settings the run was started with, not
with the worker's own environment: a worker deployed with other settings still computes
what one process would have."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.database import SessionFactory
from models import MonitorRun, RunStatus
from monitors.computing.supply import SupplySettings
from monitors.running.fanout import compute_run_part
from monitors.running.runs import MonitorConfig, run_monitor
from tests.monitors.running.test_fanned_out_runs import (
    PART_STORES,
    D,
    results,
    seed_city,
    two_databases,
)

__all__ = ["two_databases"]  # the fixture, used by name


class WorkerWithItsOwnSettings:
    """A part queue whose "worker" computes each part at once in this thread, handed its
    own configuration as `supplywatch worker` builds it from its environment."""

    def __init__(self, factory: SessionFactory, own: MonitorConfig) -> None:
        self.factory = factory
        self.own = own

    def send_part(self, *, run_id: int, part_number: int) -> None:
        compute_run_part(self.factory, run_id=run_id, part_number=part_number, config=self.own)


def test_workers_compute_a_run_with_the_settings_it_was_started_with(
    two_databases: tuple[str, sessionmaker[Session], str, sessionmaker[Session]],
) -> None:
    _, factory, _, alone = two_databases
    seed_city(factory)
    seed_city(alone)
    started_with = MonitorConfig(
        part_stores=PART_STORES, supply=SupplySettings(warning_method="cover")
    )
    worker_own = MonitorConfig(part_stores=PART_STORES, read_connections=1)  # the forecast

    in_one_process = run_monitor(factory=alone, business_date=D, config=started_with, trigger="t")
    fanned_out = run_monitor(
        factory=factory,
        business_date=D,
        config=started_with,
        trigger="t",
        queue=WorkerWithItsOwnSettings(factory, worker_own),
    )
    assert (in_one_process.status, fanned_out.status) == (RunStatus.succeeded,) * 2
    assert fanned_out.counts["parts"] == 3
    assert results(factory) == results(alone)
    with factory() as session:
        kept = session.scalars(select(MonitorRun.config)).one()
    assert kept is not None and kept["supply"]["warning_method"] == "cover"
    assert MonitorConfig.from_json(kept) == started_with

    # The settings matter here: computed with the worker's own, the day comes out otherwise.
    run_monitor(factory=alone, business_date=D, config=worker_own, trigger="t")
    assert results(alone) != results(factory)
