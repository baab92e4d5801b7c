"""Stock-out forecast per store × product line: will this shelf run out within the horizon
its category's warning promises, given its own demand and its own replenishment?

Days of supply (stock ÷ expected daily sales) answers "how long would the stock last if
nothing came in". Whether to *warn* is another question: a fresh line ending every day
with one day of cover and refilled every morning is fine, and a grain shelf at six days
may be empty in two if its weekly delivery fails. The forecast learns from each line's
recent reports (``history_days``, age 0 = the business day):

- **Demand level**: the median of the last ``level_days`` in-stock days (out-of-stock
  days understate demand and are left out), after dividing out the store's weekday
  pattern (learned from all its lines, shrunk towards flat). A lasting shift is
  followed once ``shift_days`` in-stock days in a row sit beyond ``shift_ratio`` of
  that median (then the level is their mean); a single day's burst is not taken as the
  new level. The spread is a robust scale (1.4826 × MAD) floored at Poisson noise.
- **Replenishment pattern**: deliveries are read from the stock identity (received =
  stock − previous stock + sales, which is net of spoilage) or, where that cannot be
  computed, from the reported ``received``. A day with a delivery of at least
  ``delivery_share`` of a day's demand is a delivery day. From them: the days since
  the last delivery, the gaps between deliveries (their histogram), and the **inflow
  per day** of the last ``deliveries_counted`` deliveries (their quantity ÷ the days
  they covered): how much the line's supply actually brings, whatever its policy.
  Shrink on days without delivery (a negative identity) adds to demand.
- **When the next delivery comes**: the gap histogram, conditioned on the days already
  waited, with a small prior that is geometric beyond the line's typical gap and a
  pseudo-count for "deliveries have stopped". A line that is overdue beyond anything
  in its history is therefore mostly assumed not to be refilled within the horizon.
- **Projection**: for each day h of the horizon and each arrival day of the next
  delivery (or none), cumulative demand is normal with mean Σ level × weekday factor
  and variance growing with h; cumulative inflow is the inflow per day × the days the
  arriving delivery covers, plus one typical cycle per further cycle. The probability
  of having run out by the end of day h mixes these scenarios and is made monotone in
  h (a shelf empty on day 2 was empty "within 3 days" too).

Everything is vectorised over lines × ages matrices, so a province's 600,000 lines take
about a second. ``monitors.computing.supply`` builds the matrices from the report
window; ``bench/alert_quality.py`` judges the warnings built on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

MAX_HORIZON_DAYS = 7
"""The longest horizon a warning level promises (grain and oil: 7 days)."""


@dataclass(frozen=True)
class ForecastSettings:
    """Knobs of the stock-out forecast; the defaults are the shipped method."""

    history_days: int = 21
    """How many days of reports (age 0 .. history_days − 1) the forecast reads."""
    level_days: int = 7
    """In-stock days whose median is the demand level."""
    shift_days: int = 2
    """Consecutive in-stock days beyond ``shift_ratio`` that move the level."""
    shift_ratio: float = 0.25
    """Relative distance from the median that counts as a shift."""
    spread_days: int = 14
    """In-stock days the spread of demand is measured on."""
    deliveries_counted: int = 3
    """Most recent deliveries whose fill (quantity ÷ the sales it replaces) is averaged."""
    fill_decay: float = 0.5
    """Weight of each older delivery's fill relative to the one after it."""
    delivery_share: float = 0.02
    """A day's receipt counts as a delivery from this share of a day's demand (a trickle
    of a cut supply is a delivery too: it tells how little comes)."""
    gap_half_life_days: float = 7.0
    """Age at which a past gap between deliveries counts half as much as today's."""
    prior_weight: float = 1.0
    """Pseudo-gaps of the prior on when the next delivery comes."""
    stop_weight: float = 0.3
    """Pseudo-count for "the deliveries have stopped"."""
    level_uncertainty: float = 0.1
    """Relative error of the demand level, added to the spread of cumulative demand."""
    weekday_shrink: float = 20.0
    """Pseudo-observations of a flat weekday pattern a store's own pattern is shrunk to."""
    stale_after_days: int = 2
    """How many days a stock figure is carried forward."""

    def __post_init__(self) -> None:
        problems = []
        if self.history_days < 7:
            problems.append("history_days must be at least 7")
        if not 1 <= self.level_days <= self.history_days:
            problems.append("level_days must be between 1 and history_days")
        if not 1 <= self.shift_days <= self.level_days:
            problems.append("shift_days must be between 1 and level_days")
        if self.shift_ratio <= 0:
            problems.append("shift_ratio must be positive")
        if self.deliveries_counted < 1:
            problems.append("deliveries_counted must be at least 1")
        if self.delivery_share <= 0:
            problems.append("delivery_share must be positive")
        if self.prior_weight <= 0 or self.stop_weight < 0:
            problems.append("prior_weight must be positive and stop_weight not negative")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class LineHistory:
    """Recent reports of each line as matrices shaped (lines, ages), age 0 = the business
    day; NaN where the store did not report that day (``received`` also where it reported
    no receipts)."""

    stock: np.ndarray
    sales: np.ndarray
    received: np.ndarray
    store: np.ndarray
    """Per line, a small integer naming its store (weekday patterns are pooled by store)."""
    weekday: int
    """Weekday of age 0, Monday = 0."""


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
    """Median days between deliveries (NaN with fewer than two deliveries)."""
    inflow_per_day: np.ndarray
    """What the latest deliveries brought per day they covered."""
    recent_fill: np.ndarray
    """Those deliveries ÷ the sales over the days they covered (NaN without sales)."""
    deliveries_counted: np.ndarray
    """How many deliveries the inflow and fill are measured on."""
    by_day: np.ndarray
    """(lines, MAX_HORIZON_DAYS): probability of having run out by the end of day h + 1."""

    def within(self, days: np.ndarray) -> np.ndarray:
        """Probability of a stock-out within ``days`` (per line, 1 .. MAX_HORIZON_DAYS)."""
        column = np.clip(np.asarray(days, dtype=np.int64), 1, MAX_HORIZON_DAYS) - 1
        return self.by_day[np.arange(len(column)), column]

    def first_day_over(self, probability: float) -> np.ndarray:
        """First day (1-based) on which the stock-out probability reaches ``probability``;
        NaN when it does not within the longest horizon."""
        over = self.by_day >= probability
        first = np.argmax(over, axis=1).astype(np.float64) + 1
        return np.where(over.any(axis=1), first, np.nan)


def _latest(values: np.ndarray, days: int) -> np.ndarray:
    """The youngest non-NaN value among ages 0 .. days (NaN when none)."""
    window = values[:, : days + 1]
    known = ~np.isnan(window)
    first = np.argmax(known, axis=1)
    found = window[np.arange(len(window)), first]
    return np.where(known.any(axis=1), found, np.nan)


def _row_median(matrix: np.ndarray) -> np.ndarray:
    """Median of each row's non-NaN values (NaN for an empty row), by one short sort."""
    ordered = np.sort(matrix, axis=1)  # NaN last
    count = np.count_nonzero(~np.isnan(matrix), axis=1)
    rows = np.arange(len(matrix))
    low = ordered[rows, np.maximum(count - 1, 0) // 2]
    high = ordered[rows, np.minimum(count // 2, matrix.shape[1] - 1)]
    return np.where(count > 0, (low + high) / 2.0, np.nan)


def _compact(matrix: np.ndarray) -> np.ndarray:
    """Each row's non-NaN values moved to the front, in order (NaN after them)."""
    known = ~np.isnan(matrix)
    order = np.argsort(~known, axis=1, kind="stable")
    return np.take_along_axis(matrix, order, axis=1)


def _youngest(mask: np.ndarray, count: int) -> np.ndarray:
    """Where ``mask`` holds, keep only its ``count`` youngest (lowest-age) cells per row."""
    rank = np.cumsum(mask, axis=1)
    return mask & (rank <= count)


def weekday_factors(
    *, sales: np.ndarray, in_stock: np.ndarray, store: np.ndarray, weekday: int, shrink: float
) -> np.ndarray:
    """Per store and weekday (stores × 7, Monday = 0), demand relative to the week's mean,
    pooled over the store's lines and shrunk towards 1 where evidence is thin."""
    ages = sales.shape[1]
    line_mean = np.nanmean(np.where(in_stock, sales, np.nan), axis=1)
    usable = in_stock & (line_mean[:, None] > 0)
    ratio = np.where(usable, sales / np.where(line_mean > 0, line_mean, 1.0)[:, None], 0.0)
    day_of_age = (weekday - np.arange(ages)) % 7
    stores = int(store.max()) + 1 if store.size else 0
    cell = (store[:, None] * 7 + day_of_age[None, :])[usable]
    total = np.bincount(cell, weights=ratio[usable], minlength=stores * 7)
    count = np.bincount(cell, minlength=stores * 7)
    factor = ((total + shrink) / (count + shrink)).reshape(stores, 7)
    return factor / factor.mean(axis=1, keepdims=True)


def forecast_stockouts(*, history: LineHistory, settings: ForecastSettings) -> Forecast:
    """The stock-out forecast of every line (module docstring): what it learned and the
    probability of running out by the end of each of the next MAX_HORIZON_DAYS days."""
    stock, sales, received = history.stock, history.sales, history.received
    lines, ages = stock.shape
    rows = np.arange(lines)
    current = _latest(stock, settings.stale_after_days)
    in_stock = ~np.isnan(sales) & (stock > 0)

    factors = weekday_factors(
        sales=sales,
        in_stock=in_stock,
        store=history.store,
        weekday=history.weekday,
        shrink=settings.weekday_shrink,
    )
    day_of_age = (history.weekday - np.arange(ages)) % 7
    seasonal = factors[history.store][:, day_of_age]
    plain = np.where(in_stock, sales / seasonal, np.nan)

    level_cells = _youngest(in_stock, settings.level_days)
    base = _row_median(np.where(level_cells, plain, np.nan))
    observations = level_cells.sum(axis=1)
    recent_cells = _youngest(in_stock, settings.shift_days)
    recent = np.where(recent_cells, plain, np.nan)
    recent_count = recent_cells.sum(axis=1)
    full = recent_count == settings.shift_days
    with np.errstate(invalid="ignore"):
        above = np.where(recent_cells, plain > base[:, None] * (1 + settings.shift_ratio), True)
        below = np.where(recent_cells, plain < base[:, None] * (1 - settings.shift_ratio), True)
    rise = full & above.all(axis=1)
    fall = full & below.all(axis=1)
    recent_mean = np.nansum(recent, axis=1) / np.maximum(recent_count, 1)
    level = np.where(rise | fall, recent_mean, base)
    shifted = np.where(rise, 1, np.where(fall, -1, 0)).astype(np.int8)

    # Spread from day-to-day differences of in-stock days: a level that moved (a panic, a
    # lasting rise) does not count as noise, as it would around a median.
    spread_cells = _youngest(in_stock, settings.spread_days)
    ordered = _compact(np.where(spread_cells, plain, np.nan))
    steps = np.abs(np.diff(ordered, axis=1))
    spread = 1.4826 * _row_median(steps) / np.sqrt(2.0)
    spread = np.fmax(spread, np.sqrt(np.fmax(level, 0.0)))
    spread = np.fmax(spread, 0.15 * np.fmax(level, 0.0))

    # Net receipts by the stock identity (net of spoilage); reported receipts where the
    # identity cannot be computed (a day or its previous day not reported).
    net = np.full((lines, ages), np.nan)
    net[:, :-1] = stock[:, :-1] - stock[:, 1:] + sales[:, :-1]
    amount = np.where(np.isnan(net), received, np.fmax(net, 0.0))
    shrink = np.where(np.isnan(net[:, : settings.level_days]), np.nan, 0.0)
    shrink = np.fmax(-net[:, : settings.level_days], shrink)
    loss_per_day = np.nan_to_num(np.nanmean(shrink, axis=1)) if lines else np.zeros(0)
    threshold = np.fmax(settings.delivery_share * np.nan_to_num(level), 1e-9)
    delivery = np.nan_to_num(amount) > threshold[:, None]

    age_index = np.arange(ages)
    has_delivery = delivery.any(axis=1)
    since = np.where(has_delivery, np.argmax(delivery, axis=1), np.nan)
    # Gap from each delivery to the next older one.
    far = ages * 4
    marked = np.where(delivery, age_index[None, :], far)
    next_older = np.full((lines, ages), far)
    next_older[:, :-1] = np.minimum.accumulate(marked[:, ::-1], axis=1)[:, ::-1][:, 1:]
    gap_cells = delivery & (next_older < far)
    gaps = np.where(gap_cells, next_older - age_index[None, :], 0)
    gap_counts = np.zeros((lines, ages + 1))
    recency = 0.5 ** (age_index / settings.gap_half_life_days)
    gap_line, gap_age = np.nonzero(gap_cells)
    np.add.at(gap_counts, (gap_line, gaps[gap_cells]), recency[gap_age])
    gap_total = gap_counts.sum(axis=1)
    cumulative = np.cumsum(gap_counts, axis=1)
    median_gap = np.argmax(cumulative >= gap_total[:, None] / 2.0, axis=1).astype(np.float64)
    typical_gap = np.where(gap_total > 0, median_gap, np.nan)

    # Fill of each delivery: its quantity ÷ the sales of the days since the delivery
    # before it (what an order-up-to or a standing order replaces); the latest
    # ``deliveries_counted`` deliveries, the newest weighing most.
    sold_before = np.cumsum(np.nan_to_num(sales)[:, ::-1], axis=1)[:, ::-1]  # ages ≥ a
    sold_from = np.zeros((lines, ages + 1))
    sold_from[:, :ages] = sold_before
    rows_index = np.arange(lines)[:, None]
    # Sales on days a + 1 .. next older delivery (inclusive) for a delivery at age a.
    upper = np.minimum(next_older, ages - 1)
    replaced = sold_from[rows_index, np.minimum(age_index + 1, ages)[None, :]] - sold_from[
        rows_index, np.minimum(upper + 1, ages)
    ]
    fill_cells = gap_cells & (replaced > 0)
    rank = np.cumsum(fill_cells, axis=1)
    weights = np.where(
        fill_cells & (rank <= settings.deliveries_counted), settings.fill_decay ** (rank - 1.0), 0.0
    )
    fills = np.where(fill_cells, np.nan_to_num(amount) / np.where(replaced > 0, replaced, 1.0), 0.0)
    weight_total = weights.sum(axis=1)
    recent_fill = np.where(
        weight_total > 0, (weights * fills).sum(axis=1) / np.where(weight_total > 0, weight_total, 1), np.nan
    )
    counted = np.minimum(fill_cells.sum(axis=1), settings.deliveries_counted)
    inflow = np.nan_to_num(recent_fill) * np.nan_to_num(level)

    by_day = _project(
        current=current,
        level=level,
        spread=spread,
        loss_per_day=loss_per_day,
        factors=factors,
        store=history.store,
        weekday=history.weekday,
        since=since,
        typical_gap=typical_gap,
        gap_counts=gap_counts,
        inflow=inflow,
        fill=np.nan_to_num(recent_fill),
        sold_since=np.where(
            age_index[None, :] <= np.nan_to_num(since, nan=-1.0)[:, None], np.nan_to_num(sales), 0.0
        ).sum(axis=1),
        settings=settings,
    )
    by_day[current == 0] = 1.0
    by_day[np.isnan(current) | np.isnan(level)] = np.nan
    del rows
    return Forecast(
        stock=current,
        level=level,
        observations=observations,
        shifted=shifted,
        spread=spread,
        days_since_delivery=since,
        typical_gap=typical_gap,
        inflow_per_day=inflow,
        recent_fill=recent_fill,
        deliveries_counted=counted,
        by_day=by_day,
    )


def _arrival_chances(
    *, since: np.ndarray, typical_gap: np.ndarray, gap_counts: np.ndarray, settings: ForecastSettings
) -> np.ndarray:
    """(lines, MAX_HORIZON_DAYS + 1): chance the next delivery arrives on day 1 .. H, and
    in the last column that none arrives within H (module docstring)."""
    lines, width = gap_counts.shape
    waited = np.where(np.isnan(since), width, since).astype(np.int64)
    centre = np.where(np.isnan(typical_gap), 7, np.maximum(typical_gap, 1)).astype(np.int64)
    horizon = np.arange(1, MAX_HORIZON_DAYS + 1)
    gap = waited[:, None] + horizon[None, :]

    def prior(g: np.ndarray) -> np.ndarray:
        return np.where(g >= centre[:, None], 0.5 ** (g - centre[:, None] + 1), 0.0)

    observed = np.where(
        gap < width, gap_counts[np.arange(lines)[:, None], np.minimum(gap, width - 1)], 0.0
    )
    longer = gap_counts.sum(axis=1) - np.cumsum(gap_counts, axis=1)[
        np.arange(lines), np.minimum(waited, width - 1)
    ]
    longer = np.where(waited >= width, 0.0, longer)
    prior_left = np.where(
        waited + 1 >= centre, 0.5 ** np.maximum(waited + 1 - centre, 0), 1.0
    ).astype(np.float64)
    denominator = longer + settings.prior_weight * prior_left + settings.stop_weight
    chance = (observed + settings.prior_weight * prior(gap)) / denominator[:, None]
    none = np.clip(1.0 - chance.sum(axis=1), 0.0, 1.0)
    return np.column_stack([chance, none])


def _project(
    *,
    current: np.ndarray,
    level: np.ndarray,
    spread: np.ndarray,
    loss_per_day: np.ndarray,
    factors: np.ndarray,
    store: np.ndarray,
    weekday: int,
    since: np.ndarray,
    typical_gap: np.ndarray,
    gap_counts: np.ndarray,
    inflow: np.ndarray,
    fill: np.ndarray,
    sold_since: np.ndarray,
    settings: ForecastSettings,
) -> np.ndarray:
    """(lines, MAX_HORIZON_DAYS): probability of having run out by the end of each day."""
    horizon = np.arange(1, MAX_HORIZON_DAYS + 1)
    ahead = factors[store][:, (weekday + horizon) % 7]
    demand_mean = np.cumsum(np.nan_to_num(level)[:, None] * ahead, axis=1)
    demand_mean += loss_per_day[:, None] * horizon[None, :]
    variance = (np.nan_to_num(spread) ** 2)[:, None] * horizon[None, :]
    variance += (settings.level_uncertainty * demand_mean) ** 2
    stock = np.nan_to_num(current)[:, None]
    chances = _arrival_chances(
        since=since, typical_gap=typical_gap, gap_counts=gap_counts, settings=settings
    )
    waited = np.nan_to_num(since, nan=float(gap_counts.shape[1]))
    cycle = np.where(np.isnan(typical_gap), np.inf, np.maximum(typical_gap, 1.0))
    sd = np.sqrt(np.fmax(variance, 1e-12))
    # No delivery within the horizon.
    result = chances[:, -1][:, None] * ndtr((demand_mean - stock) / sd)
    for arrival in horizon:
        later = np.maximum(horizon - arrival, 0)
        cycles = np.where(np.isfinite(cycle)[:, None], np.floor(later[None, :] / cycle[:, None]), 0)
        # The next delivery replaces at least what was sold since the last one (an
        # order-up-to store reorders a burst), or a cycle's worth at the usual fill.
        usual = inflow * np.minimum(waited + arrival, np.where(np.isfinite(cycle), cycle + 1, 1.0))
        first = np.fmax(usual, fill * sold_since)
        brought = first[:, None] + inflow[:, None] * np.where(
            np.isfinite(cycle), cycle, 0.0
        )[:, None] * cycles
        brought = np.where(horizon[None, :] >= arrival, brought, 0.0)
        spread_total = np.sqrt(variance + (0.2 * brought) ** 2)
        result += chances[:, arrival - 1][:, None] * ndtr(
            (demand_mean - stock - brought) / np.fmax(spread_total, 1e-6)
        )
    return np.maximum.accumulate(np.clip(result, 0.0, 1.0), axis=1)
