"""A monitor run: read a business day's reports, compute days of supply and alert
conditions, store snapshots, move alerts through their lifecycle and queue
notifications — all in one transaction, so a run that fails leaves the previous
results as they were, and is recorded as failed.

Runs are idempotent (the same day twice gives the same snapshots and alerts) and
guarded (two runs never write at once: PostgreSQL advisory lock, SQLite lease row).
"""

from __future__ import annotations

import logging
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.access import Principal, require_national, require_role
from core.bulk import insert_frame
from core.clock import business_day_today
from core.database import SessionFactory, session_scope
from core.errors import InvalidInput
from core.text import field_problem
from models import MonitorRun, ReportingRate, Role, RunStatus, SupplySnapshot
from models.base import utc_now
from monitors.alerting.lifecycle import SUPPLY_RULES, apply_alert_lifecycle, load_rule_settings
from monitors.alerting.thresholds import resolve_category_thresholds, resolve_thresholds
from monitors.computing import inputs as data
from monitors.computing.aggregates import aggregate_supply
from monitors.computing.candidates import thresholds_for
from monitors.computing.evaluation import evaluate_rules
from monitors.computing.reporting import (
    ReportingSettings,
    report_cutoff,
    reporting_rates,
    store_reporting,
)
from monitors.computing.status_bands import supply_status
from monitors.computing.stockout_warning import forecast_warnings
from monitors.computing.supply import (
    FORECAST_HISTORY_DAYS,
    LineMatrices,
    SupplySettings,
    store_supply_with_history,
)
from monitors.notifications.outbox import enqueue_notifications
from monitors.running.locks import run_guard
from monitors.running.snapshots import (
    reporting_rate_frame,
    scope_snapshot_frame,
    store_snapshot_frame,
)

log = logging.getLogger("supplywatch.monitor")

RUN_LOCK = "monitor-run"
REQUESTED_TRIGGER = "api"
"""How a run someone asked for (through the API or the dashboard) is recorded."""
RUN_REQUESTERS = (Role.bureau,)
"""Who may start a run: the bureau (and admins)."""
STORE_PARTS = 4
"""How many parts of the stores a run computes one after the other, each part's
snapshots being written while the next is computed (see compute_day)."""


@dataclass(frozen=True)
class MonitorConfig:
    """What a run needs besides the data: the supply window, the report cut-off and the
    city's time zone, and the URL alerts link back to."""

    supply: SupplySettings = field(default_factory=SupplySettings)
    reporting: ReportingSettings = field(default_factory=ReportingSettings)
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    external_url: str = "http://127.0.0.1:8000"
    read_connections: int = 2
    """How many connections read the report window at once on PostgreSQL (1: only the
    run's own); each is one backend on one core."""
    incremental: bool = True
    """Read each store's kept state and its changed days instead of the whole window."""

    def cutoff_for(self, business_date: date) -> datetime:
        """The instant reports for ``business_date`` are due (10:00 on the next day)."""
        return report_cutoff(
            business_day=business_date, timezone=self.timezone, settings=self.reporting
        )


class PhaseTimer:
    """Wall-clock seconds of each phase of a run, kept in its counts so an operator can
    see where a slow run spends its time."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._mark = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._mark, 3)
        self._mark = now


class MonitorRunFailed(RuntimeError):
    """The run raised; it is recorded as failed (``run_id``) and its transaction rolled
    back."""

    def __init__(self, detail: str, *, run_id: int) -> None:
        super().__init__(detail)
        self.run_id = run_id


def run_monitor(
    *,
    factory: SessionFactory,
    business_date: date,
    config: MonitorConfig,
    trigger: str,
    requested_by: str | None = None,
) -> MonitorRun:
    """Run the monitor for ``business_date`` and return its record (succeeded, skipped
    because another run holds the lock, or failed — then MonitorRunFailed is raised)."""
    started = time.perf_counter()
    with session_scope(factory) as session:
        run = MonitorRun(
            business_date=business_date,
            trigger=trigger,
            requested_by=requested_by,
            status=RunStatus.running,
            started_at=utc_now(),
            counts={},
        )
        session.add(run)
        session.flush()
        run_id = run.id
    with run_guard(factory, RUN_LOCK) as acquired:
        if not acquired:
            return _finish(
                factory, run_id, RunStatus.skipped, started, {}, "another run holds the lock"
            )
        try:
            with session_scope(factory) as session:
                counts = compute_day(
                    session, business_date=business_date, run_id=run_id, config=config
                )
        except Exception as error:
            log.exception("monitor run failed", extra={"business_date": business_date.isoformat()})
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            _finish(factory, run_id, RunStatus.failed, started, {}, detail)
            raise MonitorRunFailed(detail, run_id=run_id) from error
    return _finish(factory, run_id, RunStatus.succeeded, started, counts, None)


def run_monitor_now(
    *,
    session_factory: SessionFactory,
    config: MonitorConfig,
    principal: Principal,
    business_date: date | None = None,
) -> MonitorRun:
    """Run the monitor now for ``business_date`` (default: today in the city) at someone's
    request, and return the record of *this* run: succeeded, skipped, or failed with its
    error (the previous results kept), never another run that happened to be newer.

    The run opens its own transactions: the caller should hold no database connection
    meanwhile (close its session first).
    """
    require_role(principal, *RUN_REQUESTERS)
    require_national(principal)  # a run covers the whole tree, every region's alerts
    today = business_day_today(config.timezone)
    day = business_date or today
    if day > today:
        raise InvalidInput(
            "the business day is in the future",
            errors=[
                field_problem(["body", "date"], "after today ({today})", today=today.isoformat())
            ],
        )
    try:
        return run_monitor(
            factory=session_factory,
            business_date=day,
            config=config,
            trigger=REQUESTED_TRIGGER,
            requested_by=principal.label,
        )
    except MonitorRunFailed as failure:
        with session_factory() as reader:
            return reader.get_one(MonitorRun, failure.run_id)


def _finish(
    factory: SessionFactory,
    run_id: int,
    status: RunStatus,
    started: float,
    counts: dict[str, Any],
    error: str | None,
) -> MonitorRun:
    with session_scope(factory) as session:
        run = session.get_one(MonitorRun, run_id)
        run.status = status
        run.finished_at = utc_now()
        run.duration_seconds = round(time.perf_counter() - started, 3)
        run.counts = counts
        run.error = error
        session.flush()
    return run


def compute_day(
    session: Session, *, business_date: date, run_id: int | None, config: MonitorConfig
) -> dict[str, Any]:
    """Everything a run computes and writes for one business day; flushes only."""
    now = utc_now()
    phases = PhaseTimer()
    regions = data.load_regions(session)
    stores = data.load_stores(session, regions)
    products = data.load_products(session)
    inputs = data.load_run_inputs(
        session,
        store_ids=stores["store_id"].to_numpy(),
        report_days=(data.window_start(business_date, config.supply.horizon_days), business_date),
        submission_days=(
            business_date - timedelta(days=config.reporting.lookback_days + 1),
            business_date,
        ),
        parts=STORE_PARTS,
        connections=config.read_connections,
        incremental=config.incremental,
    )
    submissions = inputs.submissions
    category_overrides, product_overrides = data.load_threshold_overrides(session)
    open_warnings = data.load_open_store_warnings(session)
    phases.lap("load")
    thresholds = resolve_thresholds(
        products=products[["product_id", "category"]],
        category_overrides=category_overrides,
        product_overrides=product_overrides,
    )
    category_thresholds = resolve_category_thresholds(
        categories=products["category"].unique().tolist(), category_overrides=category_overrides
    )

    # Store snapshots (most of the rows) are written while the rest is computed: the
    # stores are taken in parts, and each part's snapshots go to a writer thread that
    # copies them into the table while this thread computes the next part, then the
    # aggregates and the rules (pure pandas, no session use). So the database's work
    # and ours overlap on two cores. The session is not touched until the writes end.
    session.execute(delete(SupplySnapshot).where(SupplySnapshot.business_date == business_date))
    session.execute(delete(ReportingRate).where(ReportingRate.business_date == business_date))
    connection = session.connection()
    store_parts: list[pd.DataFrame] = []
    history_parts: list[LineMatrices] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot-writer") as writer:
        writes: list[Future[None]] = []
        try:
            for part_reports in inputs.report_parts:
                part, history = _store_rows(
                    reports=part_reports,
                    stores=stores,
                    products=products,
                    thresholds=thresholds,
                    business_date=business_date,
                    config=config,
                )
                writes.append(
                    writer.submit(
                        insert_frame,
                        connection,
                        SupplySnapshot.__tablename__,
                        store_snapshot_frame(part, business_date, run_id),
                    )
                )
                store_parts.append(part)
                history_parts.append(history)
            report_lines = inputs.report_lines
            inputs.report_parts.clear()  # read: free the window before the forecast
            store_rows = pd.concat(store_parts, ignore_index=True)
            store_parts.clear()
            if config.supply.warning_method == "forecast":
                store_rows = _with_forecast(
                    store_rows=store_rows,
                    history=LineMatrices.concatenate(history_parts),
                    thresholds=thresholds,
                    open_warnings=open_warnings,
                    business_date=business_date,
                )
                phases.lap("forecast")
            history_parts.clear()
            aggregate_rows = _aggregate_rows(
                store_rows=store_rows,
                stores=stores,
                products=products,
                thresholds=thresholds,
                category_thresholds=category_thresholds,
            )
            phases.lap("supply")
            rates = reporting_rates(
                stores=stores,
                submissions=submissions,
                business_day=business_date,
                cutoff=config.cutoff_for(business_date),
            )
            candidates = _rule_candidates(
                store_rows=store_rows,
                aggregate_rows=aggregate_rows,
                stores=stores,
                products=products,
                regions=regions,
                thresholds=thresholds,
                submissions=submissions,
                business_date=business_date,
                now=now,
                config=config,
            )
            phases.lap("rules")
        finally:
            wait(writes)  # a failed write makes the ones after it fail fast: aborted transaction
        for write in writes:
            write.result()  # the write's own error, if one failed
    scope_snapshots = scope_snapshot_frame(aggregate_rows, products, business_date, run_id)
    insert_frame(connection, SupplySnapshot.__tablename__, scope_snapshots)
    insert_frame(
        connection, ReportingRate.__tablename__, reporting_rate_frame(rates, business_date, run_id)
    )
    phases.lap("snapshots")  # what the writes took beyond the aggregation and the rules

    counts: dict[str, Any] = {
        "report_lines": report_lines,
        "report_connections": inputs.report_connections,
        **inputs.read_counts,
        "snapshots": int(len(store_rows) + len(scope_snapshots)),
        "candidates": int(len(candidates)),
    }
    if _is_latest_day(session, business_date, run_id):
        lifecycle = apply_alert_lifecycle(
            session,
            candidates=candidates,
            business_date=business_date,
            now=now,
            rule_settings=load_rule_settings(session),
            rules=SUPPLY_RULES,
        )
        counts.update(lifecycle.as_counts())
        counts["notifications_queued"] = enqueue_notifications(
            session, changes=lifecycle.changes, now=now, external_url=config.external_url
        )
    else:
        counts["lifecycle"] = "skipped: a later business day has already been monitored"
    session.flush()
    phases.lap("alerts")
    counts["phase_seconds"] = phases.laps
    return counts


def _store_rows(
    *,
    reports: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    thresholds: pd.DataFrame,
    business_date: date,
    config: MonitorConfig,
) -> tuple[pd.DataFrame, LineMatrices]:
    """Supply of the store × product lines of ``reports``, with category and status band,
    and their recent reports as matrices when the forecast decides the store warning."""
    rows, history = store_supply_with_history(
        reports=reports,
        stores=stores,
        business_day=business_date,
        settings=config.supply,
        days=FORECAST_HISTORY_DAYS if config.supply.warning_method == "forecast" else 0,
    )
    rows = rows.merge(
        products[["product_id", "category", "category_id"]], on="product_id", how="left"
    )
    rows["status"] = supply_status(supply=rows, thresholds=thresholds).to_numpy()
    return rows, history


def _with_forecast(
    *,
    store_rows: pd.DataFrame,
    history: LineMatrices,
    thresholds: pd.DataFrame,
    open_warnings: pd.DataFrame,
    business_date: date,
) -> pd.DataFrame:
    """The store rows with each line's stock-out forecast and warning decision; a line
    whose store ``low_supply`` alert is open now is kept by the forecast's hysteresis."""
    levels = thresholds_for(thresholds, store_rows["product_id"])
    open_keys = pd.MultiIndex.from_frame(open_warnings.astype("int64"))
    line_keys = pd.MultiIndex.from_arrays(
        [store_rows["store_id"].astype("int64"), store_rows["product_id"].astype("int64")]
    )
    return forecast_warnings(
        rows=store_rows,
        matrices=history,
        warning_days=levels["low_supply_warning_days"].to_numpy(dtype=np.float64),
        critical_days=levels["low_supply_critical_days"].to_numpy(dtype=np.float64),
        previously_firing=line_keys.isin(open_keys),
        business_day=business_date,
    )


def _aggregate_rows(
    *,
    store_rows: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    thresholds: pd.DataFrame,
    category_thresholds: pd.DataFrame,
) -> pd.DataFrame:
    """District and city supply per product and per category, with their status bands."""
    aggregates = []
    for level in ("district", "city"):
        for by in ("product", "category"):
            frame = aggregate_supply(
                store_rows=store_rows, stores=stores, products=products, level=level, by=by
            )
            table = thresholds if by == "product" else category_thresholds
            # Stores filed outside any district (or city) count for no such scope.
            frame = frame[frame["scope_id"].notna()].reset_index(drop=True)
            frame["status"] = supply_status(supply=frame, thresholds=table).to_numpy()
            aggregates.append(frame)
    return pd.concat(aggregates, ignore_index=True)


def _rule_candidates(
    *,
    store_rows: pd.DataFrame,
    aggregate_rows: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    regions: pd.DataFrame,
    thresholds: pd.DataFrame,
    submissions: pd.DataFrame,
    business_date: date,
    now: datetime,
    config: MonitorConfig,
) -> pd.DataFrame:
    """The alert candidates of a day: every rule over the supply rows and reporting.

    A report is missing only once its cut-off has passed: before then, judge the latest
    day that is due (so yesterday's missing reports stay open this morning).
    """
    due_day = business_date
    while now < config.cutoff_for(due_day):
        due_day -= timedelta(days=1)
    reporting = store_reporting(
        stores=stores,
        submissions=submissions,
        business_day=due_day,
        cutoff=config.cutoff_for(due_day),
        lookback_days=config.reporting.lookback_days,
    )
    candidates = evaluate_rules(
        store_rows=store_rows,
        aggregates=aggregate_rows,
        stores=stores,
        products=products,
        thresholds=thresholds,
        reporting=reporting,
        business_day=due_day,
        reporting_settings=config.reporting,
        regions=regions[["region_id", "name", "code"]],
    )
    return _with_ids(candidates, products)


def _with_ids(candidates: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """The columns the lifecycle stores: the store behind a store-scope alert and the
    category's id."""
    category_ids = dict(zip(products["category"], products["category_id"], strict=False))
    store_scope = candidates["scope_level"] == "store"
    return candidates.assign(
        store_id=candidates["scope_id"].astype("Int64").where(store_scope),
        category_id=candidates["category"].map(category_ids).astype("Int64"),
        product_id=candidates["product_id"].astype("Int64"),
        district_id=candidates["district_id"].astype("Int64"),
    )


def _is_latest_day(session: Session, business_date: date, run_id: int | None) -> bool:
    """Alerts follow the newest business day only; re-computing an older day (a
    back-fill) refreshes its snapshots without reopening what later days resolved."""
    latest = session.scalar(
        select(func.max(MonitorRun.business_date)).where(
            MonitorRun.status == RunStatus.succeeded, MonitorRun.id != (run_id or 0)
        )
    )
    return latest is None or business_date >= latest
