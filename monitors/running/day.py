"""What a monitor run computes for one business day: the stores' supply, forecast and
store alerts (:func:`compute_stores`, for every store or one part of whole districts),
then the district and city aggregates from the parts' sums, the day's rules and the
alert lifecycle (:func:`finish_day`). :func:`compute_day` does both in one process and
one transaction; :mod:`monitors.running.fanout` hands the parts to workers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.bulk import insert_frame
from core.huge_pages import without_huge_pages
from models import MonitorRun, ReportingRate, RunStatus, ScopeLevel, SupplySnapshot
from models.base import utc_now
from monitors.alerting.lifecycle import SUPPLY_RULES, apply_alert_lifecycle, load_rule_settings
from monitors.alerting.silences import record_started_silences
from monitors.alerting.thresholds import resolve_category_thresholds, resolve_thresholds
from monitors.computing import inputs as data
from monitors.computing.aggregates import aggregate_sums, combine_sums, finish_aggregate
from monitors.computing.candidates import thresholds_for
from monitors.computing.evaluation import day_candidates, store_rule_candidates
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
from monitors.running.snapshots import (
    reporting_rate_frame,
    scope_snapshot_frame,
    store_snapshot_frame,
)

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
    forecast_threads: int = 2
    """How many threads compute the stores' parts and the stock-out forecast's districts
    at once (about one per core the run's process may use; 1 where several workers share
    the cores)."""
    part_stores: int = 2000
    """About how many stores (whole districts) one part of a run holds: the unit a
    fanned-out run hands to a worker."""
    incremental: bool = False
    """Read each store's kept state and its changed days instead of the whole window (off
    by default: measured slower than the full read, docs/monitor.md)."""
    part_timeout_seconds: float = 3600.0
    """How long a fanned-out run waits for all its parts before it fails (keeping the
    previous results): no worker running, or too few for the day."""

    def as_json(self) -> dict[str, Any]:
        """The configuration as the run's row keeps it, so the workers that compute its
        parts use the settings the run was started with, not their own."""
        return {
            "supply": asdict(self.supply),
            "reporting": asdict(self.reporting),
            "timezone": self.timezone.key,
            "external_url": self.external_url,
            "read_connections": self.read_connections,
            "forecast_threads": self.forecast_threads,
            "part_stores": self.part_stores,
            "incremental": self.incremental,
            "part_timeout_seconds": self.part_timeout_seconds,
        }

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> MonitorConfig:
        """The configuration a run's row keeps (:meth:`as_json`)."""
        return cls(
            supply=SupplySettings(**stored["supply"]),
            reporting=ReportingSettings(**stored["reporting"]),
            timezone=ZoneInfo(stored["timezone"]),
            external_url=stored["external_url"],
            read_connections=stored["read_connections"],
            forecast_threads=stored.get("forecast_threads", cls.forecast_threads),
            part_stores=stored["part_stores"],
            incremental=stored["incremental"],
            part_timeout_seconds=stored["part_timeout_seconds"],
        )

    def for_part_of(self, run: MonitorRun) -> MonitorConfig:
        """What a worker computes a part of ``run`` with: the run's settings, with this
        machine's own number of reading connections and forecast threads (runs recorded
        before their settings were kept use this configuration)."""
        if run.config is None:
            return self
        return replace(
            MonitorConfig.from_json(run.config),
            read_connections=self.read_connections,
            forecast_threads=self.forecast_threads,
        )

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


GROUPINGS: tuple[tuple[Literal["district", "city"], Literal["product", "category"]], ...] = (
    ("district", "product"),
    ("district", "category"),
    ("city", "product"),
    ("city", "category"),
)
"""The aggregates a run computes: district and city, per product and per category."""


@dataclass(frozen=True)
class DayReference:
    """The small tables every part of a run reads once: regions, stores, products, the
    thresholds in force and the store warnings open now."""

    regions: pd.DataFrame
    stores: pd.DataFrame
    products: pd.DataFrame
    thresholds: pd.DataFrame
    category_thresholds: pd.DataFrame
    open_warnings: pd.DataFrame


def load_day_reference(session: Session) -> DayReference:
    """Read what every part of a run shares."""
    regions = data.load_regions(session)
    stores = data.load_stores(session, regions)
    products = data.load_products(session)
    category_overrides, product_overrides = data.load_threshold_overrides(session)
    return DayReference(
        regions=regions,
        stores=stores,
        products=products,
        thresholds=resolve_thresholds(
            products=products[["product_id", "category"]],
            category_overrides=category_overrides,
            product_overrides=product_overrides,
        ),
        category_thresholds=resolve_category_thresholds(
            categories=products["category"].unique().tolist(),
            category_overrides=category_overrides,
        ),
        open_warnings=data.load_open_store_warnings(session),
    )


@dataclass
class StoresOutcome:
    """What computing a set of stores leaves for the rest of the run, beside the store
    snapshots it wrote: per part of the stores (whole districts), the aggregates' sums
    (keyed ``level/by``) and the store-scope alert candidates."""

    sums: dict[str, list[pd.DataFrame]]
    store_candidates: list[pd.DataFrame]
    report_lines: int
    report_connections: int
    snapshots: int
    read_counts: dict[str, int] = field(default_factory=dict)
    """Where the lines came from (kept states, changed days, full reads; see
    ``monitors.computing.line_states``)."""


def compute_day(
    session: Session, *, business_date: date, run_id: int | None, config: MonitorConfig
) -> dict[str, Any]:
    """Everything a run computes and writes for one business day, in this process and
    this transaction; flushes only."""
    now = utc_now()
    phases = PhaseTimer()
    reference = load_day_reference(session)
    outcome, submissions = compute_stores(
        session,
        reference=reference,
        store_ids=None,
        business_date=business_date,
        run_id=run_id,
        config=config,
        phases=phases,
    )
    return finish_day(
        session,
        reference=reference,
        outcomes=[outcome],
        submissions=submissions,
        business_date=business_date,
        run_id=run_id,
        config=config,
        now=now,
        phases=phases,
    )


def submission_days(business_date: date, config: MonitorConfig) -> tuple[date, date]:
    """The days whose report arrivals the reporting rules and rates read."""
    return business_date - timedelta(days=config.reporting.lookback_days + 1), business_date


def part_store_groups(stores: pd.DataFrame, part_stores: int) -> list[np.ndarray]:
    """The stores in parts of whole districts (a store outside any district goes with its
    city's, or its own region's, others), about ``part_stores`` stores each at least: the
    units a fanned-out run hands to its workers, in a fixed order."""
    keys = region_keys(stores)
    order = np.lexsort((stores["store_id"].to_numpy(), keys))
    sorted_keys = keys[order]
    sorted_ids = stores["store_id"].to_numpy(dtype=np.int64)[order]
    groups: list[np.ndarray] = []
    start = 0
    boundaries = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    for end in [*boundaries.tolist(), len(sorted_ids)]:
        if end - start >= part_stores or end == len(sorted_ids):
            if end > start:
                groups.append(np.sort(sorted_ids[start:end]))
            start = end
    return groups


def region_keys(stores: pd.DataFrame) -> np.ndarray:
    """The region that keeps each store in one part: its district, else its city, else
    the region it is filed under."""
    district = stores["district_id"].astype("Int64")
    city = stores["city_id"].astype("Int64")
    return district.fillna(city).fillna(stores["region_id"].astype("Int64")).to_numpy(np.int64)


def compute_stores(
    session: Session,
    *,
    reference: DayReference,
    store_ids: np.ndarray | None,
    business_date: date,
    run_id: int | None,
    config: MonitorConfig,
    phases: PhaseTimer,
) -> tuple[StoresOutcome, pd.DataFrame]:
    """Supply and store alerts of ``store_ids`` (whole districts; None: every store) on
    ``business_date``: writes their store snapshots (replacing the day's) and returns the
    aggregates' sums and store candidates for :func:`finish_day`, with the submissions
    when every store was computed (the run's reporting rules read them). Flushes only."""
    without_huge_pages()  # the run's large arrays live briefly (core.huge_pages)
    everyone = store_ids is None
    stores = reference.stores
    listed = stores["store_id"].to_numpy() if everyone else np.asarray(store_ids)
    inputs = data.load_run_inputs(
        session,
        store_ids=listed,
        report_days=(data.window_start(business_date, config.supply.horizon_days), business_date),
        submission_days=submission_days(business_date, config) if everyone else None,
        parts=STORE_PARTS,
        connections=config.read_connections,
        only_listed=not everyone,
        incremental=config.incremental,
    )
    phases.lap("load")
    stale = delete(SupplySnapshot).where(
        SupplySnapshot.business_date == business_date,
        SupplySnapshot.scope_level == ScopeLevel.store,
    )
    if not everyone:
        stale = stale.where(SupplySnapshot.scope_id.in_([int(i) for i in listed]))

    # Store snapshots (most of the rows) are written while the rest is computed: the
    # stores are taken in parts, computed on the run's threads (two parts at once with
    # two: the sorts and matrix work let go of the interpreter), and each part's
    # snapshots go, in order, to a writer thread that copies them into the table while
    # the next parts, then the forecast and the rules are computed (pure pandas, no
    # session use). So the database's work and ours overlap on two cores. The session
    # is not touched until the writes end.
    def supply_of(part_reports: pd.DataFrame) -> tuple[pd.DataFrame, LineMatrices]:
        # On the threads only what reads this part's lines and the stores' columns: the
        # products and thresholds are looked up by index below, on this thread, as
        # pandas builds an index's lookup table lazily and not safely for two threads.
        return store_supply_with_history(
            reports=part_reports,
            stores=stores,
            business_day=business_date,
            settings=config.supply,
            days=FORECAST_HISTORY_DAYS if config.supply.warning_method == "forecast" else 0,
        )

    connection = session.connection()
    store_parts: list[pd.DataFrame] = []
    history_parts: list[LineMatrices] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot-writer") as writer:
        # The day's earlier store snapshots are deleted first, by the writer too: the
        # database takes seconds over a province's 600,000 rows, this thread computes.
        writes: list[Future[object]] = [writer.submit(session.execute, stale)]
        try:
            with ThreadPoolExecutor(
                max_workers=max(config.forecast_threads, 1), thread_name_prefix="store-supply"
            ) as computing:
                for supply, history in computing.map(supply_of, inputs.report_parts):
                    part = _with_category_and_status(
                        supply, products=reference.products, thresholds=reference.thresholds
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
                    thresholds=reference.thresholds,
                    open_warnings=reference.open_warnings,
                    business_date=business_date,
                    threads=config.forecast_threads,
                )
                phases.lap("forecast")
            history_parts.clear()
            outcome = StoresOutcome(
                sums={f"{level}/{by}": [] for level, by in GROUPINGS},
                store_candidates=[],
                report_lines=report_lines,
                report_connections=inputs.report_connections,
                snapshots=len(store_rows),
                read_counts=dict(inputs.read_counts),
            )
            groups = (
                part_store_groups(stores, config.part_stores) if everyone else [np.sort(listed)]
            ) or [np.empty(0, dtype=np.int64)]
            for rows in _rows_by_group(store_rows, groups):
                for level, by in GROUPINGS:
                    outcome.sums[f"{level}/{by}"].append(
                        aggregate_sums(
                            store_rows=rows,
                            stores=stores,
                            products=reference.products,
                            level=level,
                            by=by,
                        )
                    )
                outcome.store_candidates.append(
                    store_rule_candidates(
                        store_rows=rows,
                        stores=stores,
                        products=reference.products,
                        thresholds=reference.thresholds,
                        regions=reference.regions[["region_id", "name", "code", "name_zh"]],
                    )
                )
            phases.lap("supply")
        finally:
            wait(writes)  # a failed write makes the ones after it fail fast: aborted transaction
        for write in writes:
            write.result()  # the write's own error, if one failed
    phases.lap("store snapshots")
    return outcome, inputs.submissions


def _rows_by_group(store_rows: pd.DataFrame, groups: list[np.ndarray]) -> Iterator[pd.DataFrame]:
    """The rows of each group's stores, in their order in ``store_rows``: one stable sort
    by group, then slices (a mask per group would scan every row once per group)."""
    group_of = np.full(len(store_rows), len(groups), dtype=np.int64)
    members = np.concatenate(groups) if groups else np.empty(0, dtype=np.int64)
    numbers = np.repeat(np.arange(len(groups)), [len(group) for group in groups])
    found = pd.Index(members).get_indexer(pd.Index(store_rows["store_id"]))
    group_of[found >= 0] = numbers[found[found >= 0]]
    order = np.argsort(group_of, kind="stable")
    bounds = np.searchsorted(group_of[order], np.arange(len(groups) + 1))
    for number in range(len(groups)):
        yield store_rows.iloc[order[bounds[number] : bounds[number + 1]]]


def finish_day(
    session: Session,
    *,
    reference: DayReference,
    outcomes: list[StoresOutcome],
    submissions: pd.DataFrame,
    business_date: date,
    run_id: int | None,
    config: MonitorConfig,
    now: datetime,
    phases: PhaseTimer,
) -> dict[str, Any]:
    """The rest of a run once every store is computed: district and city aggregates from
    the parts' sums (ratios of sums, so adding the parts' sums gives the whole's), their
    snapshots, reporting rates, every rule, and the alert lifecycle. Flushes only."""
    session.execute(
        delete(SupplySnapshot).where(
            SupplySnapshot.business_date == business_date,
            SupplySnapshot.scope_level != ScopeLevel.store,
        )
    )
    session.execute(delete(ReportingRate).where(ReportingRate.business_date == business_date))
    aggregate_rows = _aggregate_rows(reference=reference, outcomes=outcomes)
    rates = reporting_rates(
        stores=reference.stores,
        submissions=submissions,
        business_day=business_date,
        cutoff=config.cutoff_for(business_date),
    )
    candidates = _rule_candidates(
        store_candidates=[part for outcome in outcomes for part in outcome.store_candidates],
        aggregate_rows=aggregate_rows,
        reference=reference,
        submissions=submissions,
        business_date=business_date,
        now=now,
        config=config,
    )
    phases.lap("rules")
    connection = session.connection()
    scope_snapshots = scope_snapshot_frame(
        aggregate_rows, reference.products, business_date, run_id
    )
    insert_frame(connection, SupplySnapshot.__tablename__, scope_snapshots)
    insert_frame(
        connection, ReportingRate.__tablename__, reporting_rate_frame(rates, business_date, run_id)
    )
    phases.lap("snapshots")

    counts: dict[str, Any] = {
        "report_lines": sum(outcome.report_lines for outcome in outcomes),
        "report_connections": max(outcome.report_connections for outcome in outcomes),
        **{
            name: sum(outcome.read_counts.get(name, 0) for outcome in outcomes)
            for name in sorted({name for outcome in outcomes for name in outcome.read_counts})
        },
        "snapshots": int(sum(outcome.snapshots for outcome in outcomes) + len(scope_snapshots)),
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
    # Silences start by the clock, not by business day: any run records those that began.
    counts["silenced_events"] = record_started_silences(session, now=now)
    session.flush()
    phases.lap("alerts")
    counts["phase_seconds"] = phases.laps
    return counts


def _with_category_and_status(
    rows: pd.DataFrame, *, products: pd.DataFrame, thresholds: pd.DataFrame
) -> pd.DataFrame:
    """Store supply rows with their product's category and their status band."""
    rows = rows.merge(
        products[["product_id", "category", "category_id"]], on="product_id", how="left"
    )
    rows["status"] = supply_status(supply=rows, thresholds=thresholds).to_numpy()
    return rows


def _with_forecast(
    *,
    store_rows: pd.DataFrame,
    history: LineMatrices,
    thresholds: pd.DataFrame,
    open_warnings: pd.DataFrame,
    business_date: date,
    threads: int,
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
        threads=threads,
    )


def _aggregate_rows(*, reference: DayReference, outcomes: list[StoresOutcome]) -> pd.DataFrame:
    """District and city supply per product and per category, with their status bands,
    from the sums of every part of the stores."""
    aggregates = []
    for level, by in GROUPINGS:
        frame = finish_aggregate(
            sums=combine_sums(
                [part for outcome in outcomes for part in outcome.sums[f"{level}/{by}"]]
            ),
            stores=reference.stores,
            products=reference.products,
            level=level,
            by=by,
        )
        table = reference.thresholds if by == "product" else reference.category_thresholds
        # Stores filed outside any district (or city) count for no such scope.
        frame = frame[frame["scope_id"].notna()].reset_index(drop=True)
        frame["status"] = supply_status(supply=frame, thresholds=table).to_numpy()
        aggregates.append(frame)
    return pd.concat(aggregates, ignore_index=True)


def _rule_candidates(
    *,
    store_candidates: list[pd.DataFrame],
    aggregate_rows: pd.DataFrame,
    reference: DayReference,
    submissions: pd.DataFrame,
    business_date: date,
    now: datetime,
    config: MonitorConfig,
) -> pd.DataFrame:
    """The alert candidates of a day: the parts' store candidates, the district and city
    rules over the aggregates, and reporting.

    A report is missing only once its cut-off has passed: before then, judge the latest
    day that is due (so yesterday's missing reports stay open this morning).
    """
    due_day = business_date
    while now < config.cutoff_for(due_day):
        due_day -= timedelta(days=1)
    reporting = store_reporting(
        stores=reference.stores,
        submissions=submissions,
        business_day=due_day,
        cutoff=config.cutoff_for(due_day),
        lookback_days=config.reporting.lookback_days,
    )
    candidates = day_candidates(
        store_candidates=store_candidates,
        aggregates=aggregate_rows,
        stores=reference.stores,
        products=reference.products,
        thresholds=reference.thresholds,
        reporting=reporting,
        business_day=due_day,
        reporting_settings=config.reporting,
        regions=reference.regions[["region_id", "name", "code", "name_zh"]],
    )
    return _with_ids(candidates, reference.products)


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
