"""Each line's replenishment pattern: target, fill, cap and when the next delivery comes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitors.computing.forecast.demand import row_extreme, row_median, safe_ratio
from monitors.computing.forecast.settings import MAX_HORIZON_DAYS, ForecastSettings


@dataclass(frozen=True)
class SupplyPattern:
    """A line's replenishment pattern as the projection needs it."""

    since: np.ndarray
    typical_gap: np.ndarray
    target: np.ndarray
    target_sd: np.ndarray
    fill: np.ndarray
    cap: np.ndarray
    """Most a delivery brings when the supply is capped (inf when it is not)."""
    arrival: np.ndarray
    """(lines, MAX_HORIZON_DAYS + 1): chance the next delivery comes on day 1 .. H, and in
    the last column that none comes within H."""
    short_now: np.ndarray
    """The latest delivery, within ``stress_days``, was short."""
    delivered_now: np.ndarray
    """A delivery's fill was measured within ``stress_days``."""
    latest_quantity: np.ndarray
    """What the latest measured delivery brought."""


def read_supply_pattern(
    *,
    stock: np.ndarray,
    sales: np.ndarray,
    net: np.ndarray,
    level: np.ndarray,
    followed: np.ndarray,
    delivery: np.ndarray,
    settings: ForecastSettings,
) -> SupplyPattern:
    """Each line's target, fill, cap and delivery timing (module docstring)."""
    lines, ages = stock.shape
    rows = np.arange(lines)[:, None]
    # Ages of the deliveries, youngest first (ages where fewer).
    delivery_age = np.sort(np.where(delivery, np.arange(ages)[None, :], ages), axis=1)
    since = np.where(delivery.any(axis=1), delivery_age[:, 0], np.nan).astype(np.float64)

    # What each delivery refilled the shelf to, what it brought, and its fill.
    taken = delivery_age[:, : settings.refill_deliveries]
    inside = taken < ages
    at = np.minimum(taken, ages - 1)
    post = np.where(inside, stock[rows, at] + sales[rows, at], np.nan)
    target = row_median(post)
    brought = np.where(inside, net[rows, at], np.nan)
    room = target[:, None] - (post - brought)
    with np.errstate(invalid="ignore", divide="ignore"):
        fills = np.where(room > settings.delivery_share * level[:, None], brought / room, np.nan)
    fills = np.clip(fills, 0.0, 1.0)
    # A short fill counts only for a delivery small for the line that left the shelf below
    # its target: a small order for a shelf still full, or a usual delivery measured
    # against a noisy target, is not a failing supply.
    small = (brought < settings.capped_fill * row_median(brought)[:, None]) & (
        post < settings.short_refill * target[:, None]
    )
    fills = np.where(small | np.isnan(fills), fills, np.fmax(fills, settings.capped_fill))
    measured = np.argsort(np.isnan(fills), axis=1, kind="stable")  # measured fills first
    latest = np.take_along_axis(fills, measured, axis=1)
    weight = np.where(
        np.isnan(latest[:, : settings.fill_deliveries]),
        0.0,
        settings.fill_decay ** np.arange(min(settings.fill_deliveries, latest.shape[1])),
    )
    fill = safe_ratio(
        (weight * np.nan_to_num(latest[:, : settings.fill_deliveries])).sum(axis=1),
        weight.sum(axis=1),
    )
    fill = np.where(np.isnan(fill), 1.0, fill)
    short = latest[:, : settings.capped_after]
    capped = (~np.isnan(short)).all(axis=1) & (short < settings.capped_fill).all(axis=1)
    quantities = np.take_along_axis(brought, measured, axis=1)[:, : settings.capped_after]
    measured_age = np.take_along_axis(np.where(inside, taken, ages), measured, axis=1)[:, 0]
    deviation = row_median(np.abs(post - target[:, None]))
    target_sd = np.fmax(1.4826 * np.nan_to_num(deviation), settings.size_cv_floor * target)
    # A store's target follows a lasting shift of demand (it orders up to its forecast).
    target, target_sd = target * followed, target_sd * followed

    histogram = gap_histogram(delivery_age=delivery_age, ages=ages, settings=settings)
    total = histogram.sum(axis=1)
    running = np.cumsum(histogram, axis=1)
    typical = np.argmax(running >= total[:, None] / 2.0, axis=1)
    typical_gap = np.where(total > 0, typical.astype(np.float64), np.nan)
    # Without a measured target, a delivery brings a cycle's demand.
    target = np.where(np.isnan(target), level * np.nan_to_num(typical_gap, nan=1.0), target)
    target_sd = np.where(np.isnan(target_sd), settings.size_cv_floor * target, target_sd)
    arrival = arrival_chances(
        since=since,
        typical_gap=typical_gap,
        histogram=histogram,
        running=running,
        total=total,
        ages=ages,
        settings=settings,
    )
    arrival = given_low_stock(
        arrival=arrival, stock=stock, level=level, delivery=delivery, settings=settings
    )
    return SupplyPattern(
        since=since,
        typical_gap=typical_gap,
        target=target,
        target_sd=target_sd,
        fill=fill,
        cap=np.where(capped, row_extreme(quantities, largest=True), np.inf),
        arrival=arrival,
        short_now=(latest[:, 0] < settings.capped_fill) & (measured_age < settings.stress_days),
        delivered_now=measured_age < settings.stress_days,
        latest_quantity=quantities[:, 0],
    )


def gap_histogram(*, delivery_age: np.ndarray, ages: int, settings: ForecastSettings) -> np.ndarray:
    """(lines, ages + 2): recency-weighted counts of the gaps between deliveries, a gap of
    two days or more spread to its neighbours (a daily line's late days show in its own
    gaps)."""
    lines = len(delivery_age)
    width = ages + 2
    young, old = delivery_age[:, :-1], delivery_age[:, 1:]
    # Every pair of neighbouring delivery ages, those past the last delivery with weight 0
    # (ages are small integers: their weights are looked up).
    by_age = 0.5 ** (np.arange(ages + 1) / settings.gap_half_life_days)
    weight = np.where(old < ages, by_age[young], 0.0)
    cells = (np.arange(lines)[:, None] * width + (old - young)).ravel()
    counted = np.bincount(cells, weights=weight.ravel(), minlength=lines * width)
    counted = counted.reshape(lines, width)
    # Whether a gap spreads depends on its length alone: spread whole columns.
    moved = counted[:, 2:-1] * settings.gap_jitter
    histogram = counted.astype(np.float64)  # a copy (and floats even for no lines)
    histogram[:, 2:-1] -= 2 * moved
    histogram[:, 3:] += moved
    histogram[:, 1:-2] += moved
    return histogram


def arrival_chances(
    *,
    since: np.ndarray,
    typical_gap: np.ndarray,
    histogram: np.ndarray,
    running: np.ndarray,
    total: np.ndarray,
    ages: int,
    settings: ForecastSettings,
) -> np.ndarray:
    """(lines, MAX_HORIZON_DAYS + 1): chance the next delivery arrives on day 1 .. H, and
    in the last column that none arrives within H, given the days already waited
    (``running`` and ``total`` are the histogram's running and whole sums per line)."""
    lines, width = histogram.shape
    rows = np.arange(lines)
    # A line without a delivery has waited its whole history; one without two has no
    # known cycle shorter than the history.
    waited = np.where(np.isnan(since), ages, since).astype(np.int64)
    centre = np.where(np.isnan(typical_gap), ages, np.maximum(typical_gap, 1)).astype(np.int64)
    gap = waited[:, None] + np.arange(1, MAX_HORIZON_DAYS + 1)[None, :]
    observed = np.where(gap < width, histogram[rows[:, None], np.minimum(gap, width - 1)], 0.0)
    longer = total - running[rows, np.minimum(waited, width - 1)]
    prior = np.where(gap >= centre[:, None], 0.5 ** (gap - centre[:, None] + 1.0), 0.0)
    prior_left = np.where(waited + 1 >= centre, 0.5 ** np.maximum(waited + 1 - centre, 0), 1.0)
    denominator = longer + settings.prior_weight * prior_left + settings.stop_weight
    chance = np.clip((observed + settings.prior_weight * prior) / denominator[:, None], 0.0, None)
    chance /= np.fmax(chance.sum(axis=1, keepdims=True), 1.0)
    return np.column_stack([chance, np.clip(1.0 - chance.sum(axis=1), 0.0, 1.0)])


def given_low_stock(
    *,
    arrival: np.ndarray,
    stock: np.ndarray,
    level: np.ndarray,
    delivery: np.ndarray,
    settings: ForecastSettings,
) -> np.ndarray:
    """Arrival chances with tomorrow's replaced by how often, in the line's history, a
    day closing with as little stock as today was followed by a delivery: a store reorders
    when its shelf runs low (a reorder point, a review that finds it low), so a low shelf
    is often refilled the next morning, whatever the calendar says."""
    ages = stock.shape[1]
    current = np.nan_to_num(stock[:, 0], nan=np.inf)
    past = stock[:, 1:]
    low = ~np.isnan(past) & (past <= (current + settings.low_stock_margin * level)[:, None])
    weight = 0.5 ** (np.arange(1, ages) / settings.gap_half_life_days)
    refilled = ((low & delivery[:, :-1]) * weight).sum(axis=1)
    seen = (low * weight).sum(axis=1)
    prior = settings.low_stock_prior
    tomorrow = (refilled + prior * arrival[:, 0]) / (seen + prior)
    rest = 1.0 - arrival[:, 0]
    scale = np.where(rest > 1e-9, (1.0 - tomorrow) / np.fmax(rest, 1e-9), 0.0)
    adjusted = arrival * scale[:, None]
    adjusted[:, 0] = tomorrow
    adjusted[:, -1] = np.where(rest > 1e-9, adjusted[:, -1], 1.0 - tomorrow)
    return adjusted
