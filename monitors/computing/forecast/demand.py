"""Each line's demand level, its receipts and the supply stress of its store or district."""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

from monitors.computing.forecast.settings import ForecastSettings


def latest_value(values: np.ndarray, days: int) -> np.ndarray:
    """The youngest non-NaN value among ages 0 .. days (NaN when none)."""
    window = values[:, : days + 1]
    known = ~np.isnan(window)
    found = window[np.arange(len(window)), np.argmax(known, axis=1)]
    return np.where(known.any(axis=1), found, np.nan)


def row_median(matrix: np.ndarray) -> np.ndarray:
    """Median of each row's non-NaN values (NaN for an empty row), by one short sort."""
    ordered = np.sort(matrix, axis=1)  # NaN last
    count = np.count_nonzero(~np.isnan(matrix), axis=1)
    rows = np.arange(len(matrix))
    low = ordered[rows, np.maximum(count - 1, 0) // 2]
    high = ordered[rows, np.minimum(count // 2, matrix.shape[1] - 1)]
    return np.where(count > 0, (low + high) / 2.0, np.nan)


def row_extreme(matrix: np.ndarray, *, largest: bool) -> np.ndarray:
    """Each row's largest (or smallest) non-NaN value, NaN for an empty row (``fmax`` and
    ``fmin`` skip NaN in one pass)."""
    if not matrix.shape[1]:
        return np.full(len(matrix), np.nan)
    return (np.fmax if largest else np.fmin).reduce(matrix, axis=1)


def youngest_cells(mask: np.ndarray, count: int, rank: np.ndarray | None = None) -> np.ndarray:
    """Where ``mask`` holds, keep only its ``count`` youngest (lowest-age) cells per row;
    ``rank`` is ``mask``'s running count along the row when the caller already has it."""
    return mask & ((np.cumsum(mask, axis=1) if rank is None else rank) <= count)


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator ÷ denominator, NaN where the denominator is not positive."""
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.nan)


def weekday_factors(
    *, sales: np.ndarray, in_stock: np.ndarray, store: np.ndarray, weekday: int, shrink: float
) -> np.ndarray:
    """Per store and weekday (stores × 7, Monday = 0), demand relative to the week's mean,
    pooled over the store's lines and shrunk towards 1 where evidence is thin."""
    ages = sales.shape[1]
    counted = np.where(in_stock, sales, 0.0)
    days = in_stock.sum(axis=1)
    line_mean = safe_ratio(counted.sum(axis=1), days.astype(np.float64))
    usable = in_stock & (np.nan_to_num(line_mean)[:, None] > 0)
    ratio = np.where(usable, sales / np.where(line_mean > 0, line_mean, 1.0)[:, None], 0.0)
    day_of_age = (weekday - np.arange(ages)) % 7
    stores = int(store.max()) + 1 if store.size else 0
    # Every cell counted, the unusable ones with weight 0: the same sums, in the same order.
    cell = (store[:, None] * 7 + day_of_age[None, :]).ravel()
    total = np.bincount(cell, weights=ratio.ravel(), minlength=stores * 7)
    count = np.bincount(cell, weights=usable.ravel(), minlength=stores * 7)
    factor = ((total + shrink) / (count + shrink)).reshape(stores, 7)
    return factor / factor.mean(axis=1, keepdims=True)


def estimate_demand(
    plain: np.ndarray, in_stock: np.ndarray, settings: ForecastSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Level, the median it may have moved from, in-stock days behind it, shift direction
    and daily spread of demand (deseasonalised)."""
    rank = np.cumsum(in_stock, axis=1, dtype=np.int32)  # in-stock days up to each age
    level_cells = youngest_cells(in_stock, settings.level_days, rank)
    base = row_median(np.where(level_cells, plain, np.nan))
    recent_cells = youngest_cells(in_stock, settings.shift_days, rank)
    full = recent_cells.sum(axis=1) == settings.shift_days
    with np.errstate(invalid="ignore"):
        above = np.where(recent_cells, plain > base[:, None] * (1 + settings.shift_ratio), True)
        below = np.where(recent_cells, plain < base[:, None] * (1 - settings.shift_ratio), True)
    rise, fall = full & above.all(axis=1), full & below.all(axis=1)
    # A rise is followed at the smallest of the recent days, a fall at the largest: the
    # level moves no further than every one of the days that moved it.
    recent = np.where(recent_cells, plain, np.nan)
    moved = np.where(rise, row_extreme(recent, largest=False), row_extreme(recent, largest=True))
    level = np.where(rise | fall, moved, base)
    shifted = np.where(rise, 1, np.where(fall, -1, 0)).astype(np.int8)
    # Spread from steps between consecutive in-stock days: a level that moved (a panic, a
    # lasting rise) does not count as noise, as it would around a median.
    counted = np.where(youngest_cells(in_stock, settings.spread_days, rank), plain, np.nan)
    steps = np.abs(counted[:, :-1] - counted[:, 1:])  # NaN unless both days held stock
    spread = 1.4826 * row_median(steps) / np.sqrt(2.0)
    floor = np.sqrt(np.fmax(level, 0.0) + (settings.min_cv * np.fmax(level, 0.0)) ** 2)
    return level, base, level_cells.sum(axis=1), shifted, np.fmax(spread, floor)


def net_receipts(
    stock: np.ndarray, sales: np.ndarray, received: np.ndarray, expected: np.ndarray
) -> np.ndarray:
    """What came in each day net of spoilage, by the stock identity bridged over
    unreported days with the ``expected`` sales (the bridge's total lands on the reported
    day that closes it); the reported receipts where no earlier report closes it."""
    sold = np.where(np.isnan(sales), expected, sales)
    # Most lines report every day since their first report: each day is closed by the
    # day before it. Only a line with an unreported day between two reported ones needs
    # a bridge.
    net = np.full(stock.shape, np.nan)
    net[:, :-1] = stock[:, :-1] - stock[:, 1:] + sold[:, :-1]
    reported = ~np.isnan(stock)
    gaps = np.flatnonzero((~reported[:, 1:-1] & reported[:, 2:]).any(axis=1))
    if gaps.size:
        net[gaps] = bridged_receipts(stock[gaps], sold[gaps])
    return np.where(np.isnan(net), received, net)


def bridged_receipts(stock: np.ndarray, sold: np.ndarray) -> np.ndarray:
    """:func:`net_receipts` of lines with unreported days: each reported day is closed by
    the next older reported one, the days between bridged with what they sold."""
    lines, ages = stock.shape
    reported = ~np.isnan(stock)
    # Next older reported age of every age (ages when none).
    marked = np.where(reported, np.arange(ages)[None, :], ages)
    older = np.full((lines, ages), ages)
    older[:, :-1] = np.minimum.accumulate(marked[:, ::-1], axis=1)[:, ::-1][:, 1:]
    sold_from = np.zeros((lines, ages + 1))
    sold_from[:, :ages] = np.cumsum(sold[:, ::-1], axis=1)[:, ::-1]  # Σ sold over ages ≥ a
    rows = np.arange(lines)[:, None]
    bridge = sold_from[:, :ages] - sold_from[rows, older]
    closing = np.where(older < ages, stock[rows, np.minimum(older, ages - 1)], np.nan)
    return np.where(reported & (older < ages), stock - closing + bridge, np.nan)


def group_share(*, flag: np.ndarray, among: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per line: the share of its group's ``among`` lines that are ``flag`` (0 when none)."""
    groups = int(group.max()) + 1 if group.size else 0
    count = np.bincount(group, weights=(flag & among).astype(np.float64), minlength=groups)
    total = np.bincount(group, weights=among.astype(np.float64), minlength=groups)
    return np.nan_to_num(safe_ratio(count, total))[group]


def stress_of_groups(
    *, emptied: np.ndarray, reported: np.ndarray, group: np.ndarray, settings: ForecastSettings
) -> np.ndarray:
    """Per line: whether its group (store or district) emptied unusually many shelves in
    the last ``stress_days`` against its own oldest ``stress_baseline_days``."""
    lines, ages = emptied.shape
    groups = int(group.max()) + 1 if group.size else 0
    cell = (group[:, None] * ages + np.arange(ages)[None, :]).ravel()
    out = np.bincount(cell, weights=emptied.ravel(), minlength=groups * ages)
    seen = np.bincount(cell, weights=reported.ravel(), minlength=groups * ages)
    out, seen = out.reshape(groups, ages), seen.reshape(groups, ages)
    recent = settings.stress_days
    out_now, seen_now = out[:, :recent].sum(axis=1), seen[:, :recent].sum(axis=1)
    older = seen[:, recent:] > 0
    oldest = older & (np.cumsum(older[:, ::-1], axis=1)[:, ::-1] <= settings.stress_baseline_days)
    usual = safe_ratio(
        (out[:, recent:] * oldest).sum(axis=1), (seen[:, recent:] * oldest).sum(axis=1)
    )
    usual = np.fmax(np.nan_to_num(usual), settings.stress_floor)
    share = out_now / np.fmax(seen_now, 1)
    stressed = (
        (older.sum(axis=1) >= settings.stress_min_days)
        & (binom.sf(out_now - 1, seen_now, usual) < settings.stress_significance)
        & (share >= np.fmax(settings.stress_min_share, settings.stress_ratio * usual))
    )
    return stressed[group] if groups else np.zeros(lines, dtype=bool)
