"""The stock-out forecast per line and the ``low_supply`` decision over it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from monitors.computing.forecast.demand import (
    estimate_demand,
    group_share,
    latest_value,
    net_receipts,
    safe_ratio,
    stress_of_groups,
    weekday_factors,
)
from monitors.computing.forecast.projection import project_stretches
from monitors.computing.forecast.replenishment import read_supply_pattern
from monitors.computing.forecast.settings import MAX_HORIZON_DAYS, ForecastSettings


@dataclass(frozen=True)
class LineHistory:
    """Recent reports of each line as matrices shaped (lines, ages), age 0 = the business
    day; NaN where the store did not report that day (``received`` also where it reported
    no receipts)."""

    stock: np.ndarray
    sales: np.ndarray
    received: np.ndarray
    store: np.ndarray
    """Per line, a small integer naming its store (weekday patterns and supply stress are
    pooled by store)."""
    weekday: int
    """Weekday of age 0, Monday = 0."""
    district: np.ndarray | None = None
    """Per line, a small integer naming its store's district (supply stress is judged by
    district too); None judges it by store only."""


@dataclass(frozen=True)
class Forecast:
    """Per line: what the forecast learned and the probability of a stock-out by each day."""

    stock: np.ndarray
    """Stock on hand (the latest report within ``stale_after_days``; NaN when none)."""
    level: np.ndarray
    """Expected sales per day, weekday pattern divided out."""
    observations: np.ndarray
    """In-stock days behind the level."""
    shifted: np.ndarray
    """+1 when the level followed a rise, −1 a fall, 0 when it is the median."""
    spread: np.ndarray
    """Standard deviation of one day's demand."""
    days_since_delivery: np.ndarray
    """Age of the latest delivery day (NaN when none in the history)."""
    typical_gap: np.ndarray
    """Weighted median of the days between deliveries (NaN with fewer than two)."""
    target: np.ndarray
    """Stock the line's deliveries refill it to."""
    fill: np.ndarray
    """Share of the way to the target the latest deliveries covered (1 = refilled)."""
    supply_short: np.ndarray
    """The line's own supply is failing: its supply is capped, its latest deliveries
    filled less than ``capped_fill`` of the way, or it is past its usual gap and the next
    delivery is unlikely within ``overdue_days``."""
    supply_stress: np.ndarray
    """Its store or district emptied unusually many shelves lately (ForecastSettings)."""
    out_recently: np.ndarray
    """Its reported stock was 0 on one of the two days before the business day."""
    days_since_out: np.ndarray
    """Age of its latest day with reported stock 0 (NaN when none)."""
    burst: np.ndarray
    """The business day sold ``burst_ratio`` × the median of its in-stock days or more
    and the level has not followed a lasting shift."""
    by_day: np.ndarray
    """(lines, MAX_HORIZON_DAYS): probability of having run out by the end of day h + 1."""

    def within(self, days: np.ndarray) -> np.ndarray:
        """Probability of a stock-out within ``days`` (per line, 1 .. MAX_HORIZON_DAYS)."""
        column = np.clip(np.ceil(np.asarray(days, dtype=np.float64)), 1, MAX_HORIZON_DAYS)
        return self.by_day[np.arange(len(column)), column.astype(np.int64) - 1]

    def first_day_over(self, probability: float) -> np.ndarray:
        """First day (1-based) on which the stock-out probability reaches ``probability``;
        NaN when it does not within the longest horizon."""
        over = self.by_day >= probability
        first = np.argmax(over, axis=1).astype(np.float64) + 1
        return np.where(over.any(axis=1), first, np.nan)


def forecast_stockouts(*, history: LineHistory, settings: ForecastSettings) -> Forecast:
    """The stock-out forecast of every line (module docstring): what it learned and the
    probability of running out by the end of each of the next MAX_HORIZON_DAYS days."""
    stock = history.stock[:, : settings.history_days]
    sales = history.sales[:, : settings.history_days]
    received = history.received[:, : settings.history_days]
    ages = stock.shape[1]
    current = latest_value(stock, settings.stale_after_days)
    reported = ~np.isnan(stock) & ~np.isnan(sales)
    in_stock = reported & (stock > 0)
    emptied = reported & (stock <= 0)

    factors = weekday_factors(
        sales=sales,
        in_stock=in_stock,
        store=history.store,
        weekday=history.weekday,
        shrink=settings.weekday_shrink,
    )
    seasonal = factors[history.store][:, (history.weekday - np.arange(ages)) % 7]
    plain = np.where(in_stock, sales / seasonal, np.nan)
    level, base, observations, shifted, spread = estimate_demand(plain, in_stock, settings)
    known_level = np.nan_to_num(level)

    net = net_receipts(stock, sales, received, known_level[:, None] * seasonal)
    threshold = np.fmax(settings.delivery_share * known_level, settings.delivery_units)[:, None]
    delivery = (np.nan_to_num(net) >= threshold) | (np.nan_to_num(received) >= threshold)
    supply = read_supply_pattern(
        stock=stock,
        sales=sales,
        net=np.nan_to_num(net),
        level=known_level,
        followed=np.nan_to_num(safe_ratio(level, base), nan=1.0),
        delivery=delivery,
        settings=settings,
    )
    # One short delivery marks a capped supply when many of the store's or district's lines
    # got one too (a cut road, a failing supplier); alone it is too often noise.
    groups = [history.store] if history.district is None else [history.store, history.district]
    corroborated = np.zeros(len(stock), dtype=bool)
    for group in groups:
        corroborated |= (
            group_share(flag=supply.short_now, among=supply.delivered_now, group=group)
            >= settings.short_share
        )
    single = supply.short_now & corroborated
    supply = replace(supply, cap=np.where(single, supply.latest_quantity, supply.cap))
    horizon = np.arange(1, MAX_HORIZON_DAYS + 1)
    by_day = project_stretches(
        current=np.nan_to_num(current),
        level=known_level,
        spread=np.nan_to_num(spread),
        ahead=factors[history.store][:, (history.weekday + horizon) % 7],
        supply=supply,
        settings=settings,
    )
    by_day[current == 0] = 1.0
    by_day[np.isnan(current) | np.isnan(level)] = np.nan

    past_gap = ~(np.nan_to_num(supply.since, nan=np.inf) < np.nan_to_num(supply.typical_gap))
    unlikely = supply.arrival[:, : settings.overdue_days].sum(axis=1) < 0.5
    stress = stress_of_groups(
        emptied=emptied, reported=reported, group=history.store, settings=settings
    )
    if history.district is not None:
        stress |= stress_of_groups(
            emptied=emptied, reported=reported, group=history.district, settings=settings
        )
    burst_floor = settings.burst_ratio * np.nan_to_num(base) * seasonal[:, 0]
    return Forecast(
        stock=current,
        level=level,
        observations=observations,
        shifted=shifted,
        spread=spread,
        days_since_delivery=supply.since,
        typical_gap=supply.typical_gap,
        target=supply.target,
        fill=supply.fill,
        supply_short=np.isfinite(supply.cap)
        | (supply.fill < settings.capped_fill)
        | (past_gap & unlikely),
        supply_stress=stress,
        out_recently=(np.nan_to_num(stock[:, 1:3], nan=1.0) <= 0).any(axis=1),
        days_since_out=np.where(emptied.any(axis=1), np.argmax(emptied, axis=1), np.nan),
        burst=(shifted <= 0) & (np.nan_to_num(sales[:, 0]) > burst_floor),
        by_day=by_day,
    )


def low_supply_decision(
    *,
    forecast: Forecast,
    warning_days: np.ndarray,
    critical_days: np.ndarray,
    previously_firing: np.ndarray,
    settings: ForecastSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per line: whether the store ``low_supply`` warning fires, whether it is critical
    (the projected stock-out day within ``critical_days``, or the warned shelf empty now),
    and the projected day (NaN beyond the longest horizon): what the lifecycle needs to
    open, keep and resolve alerts that mean "this shelf will run out and not be refilled",
    without one-day flapping. A warning never opens on an empty shelf (the ``stockout``
    rule's), but one already open stays through it (``keep_through_stockout``)."""
    chance = np.nan_to_num(forecast.within(warning_days))
    stock = np.nan_to_num(forecast.stock)
    trusted = (forecast.observations >= settings.min_observations) & (stock > 0)
    cover = stock / np.fmax(np.nan_to_num(forecast.level), 1e-9)
    relapse = forecast.out_recently & (
        (np.nan_to_num(forecast.by_day[:, 0]) >= settings.relapse_probability)
        | (cover < settings.relapse_cover_days)
    )
    ran_out = np.nan_to_num(forecast.days_since_out, nan=np.inf) <= settings.stress_memory_days
    opens = (
        (forecast.supply_short & (chance >= settings.fire_probability))
        | (chance >= settings.certain_probability)
        | (forecast.supply_stress & ((chance >= settings.stress_probability) | ran_out))
    ) & ~((forecast.burst & ~forecast.supply_stress) | relapse)
    stays = np.asarray(previously_firing, dtype=bool) & (
        (chance >= settings.keep_probability) | (forecast.supply_stress & settings.stress_keeps)
    )
    emptied = np.nan_to_num(forecast.stock, nan=np.inf) <= 0
    still_short = (
        settings.keep_through_stockout & np.asarray(previously_firing, dtype=bool) & emptied
    )
    fire = (trusted & (opens | stays)) | still_short
    projected = forecast.first_day_over(settings.projected_probability)
    critical = (
        fire & (np.nan_to_num(projected, nan=np.inf) <= np.asarray(critical_days))
    ) | still_short
    return fire, critical, projected
