"""Stock-out forecast per store × product line, and the store ``low_supply`` warning on it:
will this shelf run out within the horizon its category's level promises, given its own
demand and its own replenishment, and is that worth a warning?

Days of supply answers "how long would the stock last if nothing came in". A fresh line
closing every day with one day of cover and refilled every morning is fine; a grain shelf
at six days may be empty in two if its weekly delivery fails. The forecast reads each
line's last ``history_days`` of reports (age 0 = the business day); docs/forecast.md
explains the choices and measures them on three independently written cities.

- **Demand**: the median of the last ``level_days`` in-stock days (an empty shelf's sales
  understate demand), the store's weekday pattern divided out; a lasting shift is
  followed once ``shift_days`` in-stock days in a row sit beyond ``shift_ratio`` of it,
  shorter bursts are not. The daily spread is robust and never below Poisson noise plus
  ``min_cv``; the level's own error (``level_uncertainty``) is one for the whole horizon.
- **Receipts**: the stock identity (stock − previous stock + sales, bridged over
  unreported days) is what came in net of spoilage; the reported ``received`` where the
  identity cannot be closed. A day bringing ``delivery_share`` of a day's demand is a
  delivery day.
- **Replenishment pattern**: the stock each delivery refilled the shelf to (its closing
  stock + that day's sales); their median is the line's *target*, which follows a lasting
  shift of demand. A delivery's *fill* is the share of the way from the stock before it to
  the target it covered; a small delivery that left the shelf below its target marks a
  *capped* supply (the next ones bring no more than it did). The gaps between deliveries
  (recency-weighted, lead-time jitter on gaps of two days or more) and the days since the
  last one give when the next comes: a line overdue beyond its history is mostly taken
  as stopped, and a shelf as low as today's that was refilled the next morning before
  (a reorder point, a review) makes tomorrow's delivery likelier.
- **Projection**: for each arrival day of the next delivery (or none), each stretch
  between deliveries starts from what is left plus the fill of the way to the target and
  runs out when its demand takes all of it; the stretches' chances combine as nearly
  independent (a store reorders what it sold), the scenarios mix by their chance.
- **Supply stress**: a store or district that empties unusually many shelves in the last
  ``stress_days`` (a binomial test against its own oldest week) has a failing supply: a
  cut district, a locked-down city. Its lines' warnings open from a small chance and stay.

:func:`low_supply_decision` turns the forecast into warnings: open when the chance within
the warning level is high and the line's own supply is failing, or near certain, or the
store or district is under supply stress; never on a burst day (the store reorders a
burst) nor on a crumb after a stock-out (the ``stockout`` rule's shortage, not a new
one); keep while the chance stays above ``keep_probability`` (hysteresis). Everything
is vectorised over lines × ages matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.special import ndtr
from scipy.stats import binom

MAX_HORIZON_DAYS = 7
"""The longest horizon a warning level promises (grain and oil: 7 days)."""
LEVEL_NODES = ((-np.sqrt(3.0), 1.0 / 6.0), (0.0, 2.0 / 3.0), (np.sqrt(3.0), 1.0 / 6.0))
"""Gauss–Hermite nodes and weights (3 points) over the error of the demand level."""
NEGLIGIBLE_ARRIVAL = 1e-3
"""An arrival day less likely than this counts as no arrival (fewer lines to project)."""


@dataclass(frozen=True)
class ForecastSettings:
    """Knobs of the forecast and of the warning on it; the defaults are the shipped method
    (docs/forecast.md measures them)."""

    # What is read.
    history_days: int = 21
    """How many days of reports (age 0 .. history_days − 1) the forecast reads."""
    stale_after_days: int = 2
    """How many days a stock figure is carried forward."""
    # Demand.
    level_days: int = 7
    """In-stock days whose median is the demand level."""
    shift_days: int = 3
    """Consecutive in-stock days beyond ``shift_ratio`` that move the level."""
    shift_ratio: float = 0.25
    """Relative distance from the median that counts as a shift."""
    spread_days: int = 14
    """In-stock days the spread of demand is measured on."""
    min_cv: float = 0.2
    """Least coefficient of variation of a day's demand (on top of Poisson noise)."""
    level_uncertainty: float = 0.3
    """Relative error of the demand level, one for the whole horizon."""
    weekday_shrink: float = 20.0
    """Pseudo-observations of a flat weekday pattern a store's own pattern is shrunk to."""
    # Receipts and the replenishment pattern.
    delivery_share: float = 0.1
    """A day whose receipts reach this share of a day's demand is a delivery day..."""
    delivery_units: float = 1.5
    """... and this many units (a stock count slipping by one is not a delivery)."""
    refill_deliveries: int = 7
    """Latest deliveries whose refill levels give the line's target."""
    fill_deliveries: int = 3
    """Latest deliveries whose fills are averaged..."""
    fill_decay: float = 0.5
    """... each older one weighing this much of the one after it."""
    capped_after: int = 2
    """Short deliveries in a row (filling less than ``capped_fill`` of the way to the
    target, small for the line, leaving the shelf below ``short_refill`` of its target)
    that mark a capped supply: the next ones bring what they brought, no more..."""
    short_share: float = 0.25
    """... or a single one, when this share of the store's or district's lines delivered
    in the last ``stress_days`` got a short one too."""
    capped_fill: float = 0.6
    short_refill: float = 0.9
    size_cv_floor: float = 0.15
    """Least relative spread of the stock a delivery refills to."""
    gap_half_life_days: float = 7.0
    """Age at which a past gap between deliveries counts half as much as today's."""
    gap_jitter: float = 0.05
    """Share of a gap of two days or more moved to each of its neighbours (lead times
    vary)."""
    prior_weight: float = 0.2
    """Pseudo-gaps of the prior on when the next delivery comes (geometric past the
    typical gap)."""
    stop_weight: float = 0.1
    """Pseudo-count for "the deliveries have stopped"."""
    low_stock_margin: float = 0.25
    """Past days closing within this many days of demand of today's stock are "as low as
    today" when judging whether a low shelf is refilled the next morning..."""
    low_stock_prior: float = 1.0
    """... with this many pseudo-days of the calendar's chance."""
    overdue_days: int = 2
    """A line past its usual gap whose next delivery is as likely as not to miss the next
    this many days has a failing supply."""
    # Supply stress of a store or district.
    stress_days: int = 3
    """Recent days on which a store's (district's) emptied shelves are counted."""
    stress_baseline_days: int = 7
    """Oldest reported days of the history whose share of empty shelves is the usual one:
    a crisis reaches them last."""
    stress_min_days: int = 5
    """Older reported days needed before stress is judged."""
    stress_floor: float = 0.01
    """Least usual share of empty shelves assumed."""
    stress_significance: float = 1e-3
    """A store (district) is under supply stress when so many empty shelves are less
    likely than this at its usual share..."""
    stress_ratio: float = 2.0
    """... its recent share is this many times the usual one..."""
    stress_min_share: float = 0.05
    """... and at least this share."""
    # The warning.
    fire_probability: float = 0.35
    """A warning opens when the stock-out chance within the warning level reaches this
    and the line's own supply is failing (``Forecast.supply_short``)..."""
    certain_probability: float = 0.9
    """... or, whatever its supply, from this chance..."""
    stress_probability: float = 0.02
    """... or, under supply stress, from this chance..."""
    stress_memory_days: int = 7
    """... or, under supply stress, on a line that ran out within this many days."""
    keep_probability: float = 0.01
    """An open warning stays while the chance stays at or above this (hysteresis)..."""
    stress_keeps: bool = True
    """... or, when True, while its store or district is under supply stress."""
    burst_ratio: float = 1.8
    """No warning opens on a day selling this many times the median of the in-stock days
    (unless the level followed a lasting shift): a store reorders a burst, and the next
    day shows whether the supply followed."""
    relapse_probability: float = 0.5
    """No warning opens on a line out of stock on one of the two days before while its
    chance of running out again tomorrow is this or more..."""
    relapse_cover_days: float = 0.5
    """... or its stock covers less than this many days of demand: that is the shortage
    the ``stockout`` rule reports, not a new one."""
    min_observations: int = 3
    """In-stock days of demand needed before a line may warn."""
    projected_probability: float = 0.5
    """The projected stock-out day is the first on which the chance reaches this."""

    def __post_init__(self) -> None:
        problems = []
        if self.history_days < 7:
            problems.append("history_days must be at least 7")
        if not 1 <= self.level_days <= self.history_days:
            problems.append("level_days must be between 1 and history_days")
        if not 1 <= self.shift_days <= self.level_days:
            problems.append("shift_days must be between 1 and level_days")
        if self.shift_ratio <= 0 or self.delivery_share <= 0:
            problems.append("shift_ratio and delivery_share must be positive")
        if not 1 <= self.overdue_days <= MAX_HORIZON_DAYS:
            problems.append(f"overdue_days must be between 1 and {MAX_HORIZON_DAYS}")
        if self.prior_weight <= 0 or self.stop_weight < 0:
            problems.append("prior_weight must be positive and stop_weight not negative")
        if not 0 <= self.gap_jitter < 0.5:
            problems.append("gap_jitter must be in [0, 0.5)")
        if self.capped_after < 1 or self.stress_days < 1:
            problems.append("capped_after and stress_days must be at least 1")
        if not 0 < self.keep_probability <= self.fire_probability <= 1:
            problems.append("need 0 < keep_probability ≤ fire_probability ≤ 1")
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
    current = _latest(stock, settings.stale_after_days)
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
    level, base, observations, shifted, spread = _demand(plain, in_stock, settings)
    known_level = np.nan_to_num(level)

    net = _net_receipts(stock, sales, received, known_level[:, None] * seasonal)
    threshold = np.fmax(settings.delivery_share * known_level, settings.delivery_units)[:, None]
    delivery = (np.nan_to_num(net) >= threshold) | (np.nan_to_num(received) >= threshold)
    supply = _supply_pattern(
        stock=stock,
        sales=sales,
        net=np.nan_to_num(net),
        level=known_level,
        followed=np.nan_to_num(_ratio(level, base), nan=1.0),
        delivery=delivery,
        settings=settings,
    )
    # One short delivery marks a capped supply when many of the store's or district's lines
    # got one too (a cut road, a failing supplier); alone it is too often noise.
    groups = [history.store] if history.district is None else [history.store, history.district]
    corroborated = np.zeros(len(stock), dtype=bool)
    for group in groups:
        corroborated |= (
            _group_share(flag=supply.short_now, among=supply.delivered_now, group=group)
            >= settings.short_share
        )
    single = supply.short_now & corroborated
    supply = replace(supply, cap=np.where(single, supply.latest_quantity, supply.cap))
    horizon = np.arange(1, MAX_HORIZON_DAYS + 1)
    by_day = _project(
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
    stress = _supply_stress(
        emptied=emptied, reported=reported, group=history.store, settings=settings
    )
    if history.district is not None:
        stress |= _supply_stress(
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
    (the projected stock-out day within ``critical_days``), and the projected day (NaN
    beyond the longest horizon): what the lifecycle needs to open, keep and resolve alerts
    that mean "this shelf will run out and not be refilled", without one-day flapping."""
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
    fire = trusted & (opens | stays)
    projected = forecast.first_day_over(settings.projected_probability)
    critical = fire & (np.nan_to_num(projected, nan=np.inf) <= np.asarray(critical_days))
    return fire, critical, projected


def _latest(values: np.ndarray, days: int) -> np.ndarray:
    """The youngest non-NaN value among ages 0 .. days (NaN when none)."""
    window = values[:, : days + 1]
    known = ~np.isnan(window)
    found = window[np.arange(len(window)), np.argmax(known, axis=1)]
    return np.where(known.any(axis=1), found, np.nan)


def _row_median(matrix: np.ndarray) -> np.ndarray:
    """Median of each row's non-NaN values (NaN for an empty row), by one short sort."""
    ordered = np.sort(matrix, axis=1)  # NaN last
    count = np.count_nonzero(~np.isnan(matrix), axis=1)
    rows = np.arange(len(matrix))
    low = ordered[rows, np.maximum(count - 1, 0) // 2]
    high = ordered[rows, np.minimum(count // 2, matrix.shape[1] - 1)]
    return np.where(count > 0, (low + high) / 2.0, np.nan)


def _row_extreme(matrix: np.ndarray, *, largest: bool) -> np.ndarray:
    """Each row's largest (or smallest) non-NaN value, NaN for an empty row."""
    fill = -np.inf if largest else np.inf
    filled = np.where(np.isnan(matrix), fill, matrix)
    found = filled.max(axis=1) if largest else filled.min(axis=1)
    return np.where(np.isinf(found) & (found == fill), np.nan, found)


def _youngest(mask: np.ndarray, count: int) -> np.ndarray:
    """Where ``mask`` holds, keep only its ``count`` youngest (lowest-age) cells per row."""
    return mask & (np.cumsum(mask, axis=1) <= count)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
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
    line_mean = _ratio(counted.sum(axis=1), days.astype(np.float64))
    usable = in_stock & (np.nan_to_num(line_mean)[:, None] > 0)
    ratio = np.where(usable, sales / np.where(line_mean > 0, line_mean, 1.0)[:, None], 0.0)
    day_of_age = (weekday - np.arange(ages)) % 7
    stores = int(store.max()) + 1 if store.size else 0
    cell = (store[:, None] * 7 + day_of_age[None, :])[usable]
    total = np.bincount(cell, weights=ratio[usable], minlength=stores * 7)
    count = np.bincount(cell, minlength=stores * 7)
    factor = ((total + shrink) / (count + shrink)).reshape(stores, 7)
    return factor / factor.mean(axis=1, keepdims=True)


def _demand(
    plain: np.ndarray, in_stock: np.ndarray, settings: ForecastSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Level, the median it may have moved from, in-stock days behind it, shift direction
    and daily spread of demand (deseasonalised)."""
    level_cells = _youngest(in_stock, settings.level_days)
    base = _row_median(np.where(level_cells, plain, np.nan))
    recent_cells = _youngest(in_stock, settings.shift_days)
    full = recent_cells.sum(axis=1) == settings.shift_days
    with np.errstate(invalid="ignore"):
        above = np.where(recent_cells, plain > base[:, None] * (1 + settings.shift_ratio), True)
        below = np.where(recent_cells, plain < base[:, None] * (1 - settings.shift_ratio), True)
    rise, fall = full & above.all(axis=1), full & below.all(axis=1)
    # A rise is followed at the smallest of the recent days, a fall at the largest: the
    # level moves no further than every one of the days that moved it.
    recent = np.where(recent_cells, plain, np.nan)
    moved = np.where(rise, _row_extreme(recent, largest=False), _row_extreme(recent, largest=True))
    level = np.where(rise | fall, moved, base)
    shifted = np.where(rise, 1, np.where(fall, -1, 0)).astype(np.int8)
    # Spread from steps between consecutive in-stock days: a level that moved (a panic, a
    # lasting rise) does not count as noise, as it would around a median.
    counted = np.where(_youngest(in_stock, settings.spread_days), plain, np.nan)
    steps = np.abs(counted[:, :-1] - counted[:, 1:])  # NaN unless both days held stock
    spread = 1.4826 * _row_median(steps) / np.sqrt(2.0)
    floor = np.sqrt(np.fmax(level, 0.0) + (settings.min_cv * np.fmax(level, 0.0)) ** 2)
    return level, base, level_cells.sum(axis=1), shifted, np.fmax(spread, floor)


def _net_receipts(
    stock: np.ndarray, sales: np.ndarray, received: np.ndarray, expected: np.ndarray
) -> np.ndarray:
    """What came in each day net of spoilage, by the stock identity bridged over
    unreported days with the ``expected`` sales (the bridge's total lands on the reported
    day that closes it); the reported receipts where no earlier report closes it."""
    lines, ages = stock.shape
    reported = ~np.isnan(stock)
    # Next older reported age of every age (ages when none).
    marked = np.where(reported, np.arange(ages)[None, :], ages)
    older = np.full((lines, ages), ages)
    older[:, :-1] = np.minimum.accumulate(marked[:, ::-1], axis=1)[:, ::-1][:, 1:]
    sold = np.where(np.isnan(sales), expected, sales)
    sold_from = np.zeros((lines, ages + 1))
    sold_from[:, :ages] = np.cumsum(sold[:, ::-1], axis=1)[:, ::-1]  # Σ sold over ages ≥ a
    rows = np.arange(lines)[:, None]
    bridge = sold_from[:, :ages] - sold_from[rows, older]
    closing = np.where(older < ages, stock[rows, np.minimum(older, ages - 1)], np.nan)
    net = np.where(reported & (older < ages), stock - closing + bridge, np.nan)
    return np.where(np.isnan(net), received, net)


def _group_share(*, flag: np.ndarray, among: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per line: the share of its group's ``among`` lines that are ``flag`` (0 when none)."""
    groups = int(group.max()) + 1 if group.size else 0
    count = np.bincount(group, weights=(flag & among).astype(np.float64), minlength=groups)
    total = np.bincount(group, weights=among.astype(np.float64), minlength=groups)
    return np.nan_to_num(_ratio(count, total))[group]


def _supply_stress(
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
    usual = _ratio((out[:, recent:] * oldest).sum(axis=1), (seen[:, recent:] * oldest).sum(axis=1))
    usual = np.fmax(np.nan_to_num(usual), settings.stress_floor)
    share = out_now / np.fmax(seen_now, 1)
    stressed = (
        (older.sum(axis=1) >= settings.stress_min_days)
        & (binom.sf(out_now - 1, seen_now, usual) < settings.stress_significance)
        & (share >= np.fmax(settings.stress_min_share, settings.stress_ratio * usual))
    )
    return stressed[group] if groups else np.zeros(lines, dtype=bool)


@dataclass(frozen=True)
class _Supply:
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


def _supply_pattern(
    *,
    stock: np.ndarray,
    sales: np.ndarray,
    net: np.ndarray,
    level: np.ndarray,
    followed: np.ndarray,
    delivery: np.ndarray,
    settings: ForecastSettings,
) -> _Supply:
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
    target = _row_median(post)
    brought = np.where(inside, net[rows, at], np.nan)
    room = target[:, None] - (post - brought)
    with np.errstate(invalid="ignore", divide="ignore"):
        fills = np.where(room > settings.delivery_share * level[:, None], brought / room, np.nan)
    fills = np.clip(fills, 0.0, 1.0)
    # A short fill counts only for a delivery small for the line that left the shelf below
    # its target: a small order for a shelf still full, or a usual delivery measured
    # against a noisy target, is not a failing supply.
    small = (brought < settings.capped_fill * _row_median(brought)[:, None]) & (
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
    fill = _ratio(
        (weight * np.nan_to_num(latest[:, : settings.fill_deliveries])).sum(axis=1),
        weight.sum(axis=1),
    )
    fill = np.where(np.isnan(fill), 1.0, fill)
    short = latest[:, : settings.capped_after]
    capped = (~np.isnan(short)).all(axis=1) & (short < settings.capped_fill).all(axis=1)
    quantities = np.take_along_axis(brought, measured, axis=1)[:, : settings.capped_after]
    measured_age = np.take_along_axis(np.where(inside, taken, ages), measured, axis=1)[:, 0]
    deviation = _row_median(np.abs(post - target[:, None]))
    target_sd = np.fmax(1.4826 * np.nan_to_num(deviation), settings.size_cv_floor * target)
    # A store's target follows a lasting shift of demand (it orders up to its forecast).
    target, target_sd = target * followed, target_sd * followed

    histogram = _gap_histogram(delivery_age=delivery_age, ages=ages, settings=settings)
    total = histogram.sum(axis=1)
    typical = np.argmax(np.cumsum(histogram, axis=1) >= total[:, None] / 2.0, axis=1)
    typical_gap = np.where(total > 0, typical.astype(np.float64), np.nan)
    # Without a measured target, a delivery brings a cycle's demand.
    target = np.where(np.isnan(target), level * np.nan_to_num(typical_gap, nan=1.0), target)
    target_sd = np.where(np.isnan(target_sd), settings.size_cv_floor * target, target_sd)
    arrival = _arrival_chances(
        since=since, typical_gap=typical_gap, histogram=histogram, ages=ages, settings=settings
    )
    arrival = _given_low_stock(
        arrival=arrival, stock=stock, level=level, delivery=delivery, settings=settings
    )
    return _Supply(
        since=since,
        typical_gap=typical_gap,
        target=target,
        target_sd=target_sd,
        fill=fill,
        cap=np.where(capped, _row_extreme(quantities, largest=True), np.inf),
        arrival=arrival,
        short_now=(latest[:, 0] < settings.capped_fill) & (measured_age < settings.stress_days),
        delivered_now=measured_age < settings.stress_days,
        latest_quantity=quantities[:, 0],
    )


def _gap_histogram(
    *, delivery_age: np.ndarray, ages: int, settings: ForecastSettings
) -> np.ndarray:
    """(lines, ages + 2): recency-weighted counts of the gaps between deliveries, a gap of
    two days or more spread to its neighbours (a daily line's late days show in its own
    gaps)."""
    lines = len(delivery_age)
    width = ages + 2
    young, old = delivery_age[:, :-1], delivery_age[:, 1:]
    line, column = np.nonzero(old < ages)
    gaps = old[line, column] - young[line, column]
    weight = 0.5 ** (young[line, column] / settings.gap_half_life_days)
    spread = gaps >= 2
    moved = weight[spread] * settings.gap_jitter
    cells = line * width + gaps
    histogram = np.bincount(
        cells,
        weights=weight - np.where(spread, 2 * weight * settings.gap_jitter, 0.0),
        minlength=lines * width,
    )
    histogram += np.bincount(cells[spread] + 1, weights=moved, minlength=lines * width)
    histogram += np.bincount(cells[spread] - 1, weights=moved, minlength=lines * width)
    return histogram.reshape(lines, width)


def _arrival_chances(
    *,
    since: np.ndarray,
    typical_gap: np.ndarray,
    histogram: np.ndarray,
    ages: int,
    settings: ForecastSettings,
) -> np.ndarray:
    """(lines, MAX_HORIZON_DAYS + 1): chance the next delivery arrives on day 1 .. H, and
    in the last column that none arrives within H, given the days already waited."""
    lines, width = histogram.shape
    rows = np.arange(lines)
    # A line without a delivery has waited its whole history; one without two has no
    # known cycle shorter than the history.
    waited = np.where(np.isnan(since), ages, since).astype(np.int64)
    centre = np.where(np.isnan(typical_gap), ages, np.maximum(typical_gap, 1)).astype(np.int64)
    gap = waited[:, None] + np.arange(1, MAX_HORIZON_DAYS + 1)[None, :]
    observed = np.where(gap < width, histogram[rows[:, None], np.minimum(gap, width - 1)], 0.0)
    longer = (
        histogram.sum(axis=1) - np.cumsum(histogram, axis=1)[rows, np.minimum(waited, width - 1)]
    )
    prior = np.where(gap >= centre[:, None], 0.5 ** (gap - centre[:, None] + 1.0), 0.0)
    prior_left = np.where(waited + 1 >= centre, 0.5 ** np.maximum(waited + 1 - centre, 0), 1.0)
    denominator = longer + settings.prior_weight * prior_left + settings.stop_weight
    chance = np.clip((observed + settings.prior_weight * prior) / denominator[:, None], 0.0, None)
    chance /= np.fmax(chance.sum(axis=1, keepdims=True), 1.0)
    return np.column_stack([chance, np.clip(1.0 - chance.sum(axis=1), 0.0, 1.0)])


def _given_low_stock(
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


def _project(
    *,
    current: np.ndarray,
    level: np.ndarray,
    spread: np.ndarray,
    ahead: np.ndarray,
    supply: _Supply,
    settings: ForecastSettings,
) -> np.ndarray:
    """(lines, MAX_HORIZON_DAYS): probability of having run out by the end of each day,
    averaged over the error of the demand level (one error for the whole horizon: a level
    too low makes every stretch riskier at once). Only lines with stock and demand are
    projected, in single precision (the chances need no more)."""
    result = np.zeros((len(current), MAX_HORIZON_DAYS))
    chosen = np.flatnonzero((current > 0) & (level > 0))
    if not chosen.size:
        return result

    def part(values: np.ndarray) -> np.ndarray:
        return values[chosen].astype(np.float32)

    subset = replace(
        supply,
        since=supply.since[chosen],
        typical_gap=supply.typical_gap[chosen],
        target=part(supply.target),
        target_sd=part(supply.target_sd),
        fill=part(supply.fill),
        cap=part(supply.cap),
        arrival=part(supply.arrival),
    )
    projected = np.zeros((chosen.size, MAX_HORIZON_DAYS), dtype=np.float32)
    for node, weight in LEVEL_NODES:
        scaled = np.fmax(level[chosen] * (1.0 + settings.level_uncertainty * node), 0.0)
        projected += np.float32(weight) * _project_at_level(
            current=part(current),
            daily_mean=(scaled[:, None] * ahead[chosen]).astype(np.float32),
            spread=part(spread),
            supply=subset,
            settings=settings,
        )
    result[chosen] = projected
    return result


def _project_at_level(
    *,
    current: np.ndarray,
    daily_mean: np.ndarray,
    spread: np.ndarray,
    supply: _Supply,
    settings: ForecastSettings,
) -> np.ndarray:
    """(lines, MAX_HORIZON_DAYS): probability of having run out by the end of each day
    for a known demand level, mixed over the day the next delivery arrives."""
    lines, days = len(current), MAX_HORIZON_DAYS
    cumulative = [np.zeros(lines, dtype=daily_mean.dtype), *np.cumsum(daily_mean, axis=1).T]
    daily_var = spread**2
    # Without a delivery the current stock meets the demand from tomorrow on.
    before = [np.zeros(lines, dtype=daily_mean.dtype)] + [
        ndtr((cumulative[day] - current) / np.sqrt(np.fmax(daily_var * day, 1e-12)))
        for day in range(1, days + 1)
    ]
    gap = np.where(np.isnan(supply.typical_gap), days + 1, np.maximum(supply.typical_gap, 1.0))
    gap = np.round(gap).astype(np.int64)
    arrivals = supply.arrival[:, :-1]
    none = supply.arrival[:, -1] + np.where(arrivals > NEGLIGIBLE_ARRIVAL, 0.0, arrivals).sum(
        axis=1
    )
    result = np.column_stack([none * before[day] for day in range(1, days + 1)])
    for first in range(1, days + 1):
        chosen = np.flatnonzero(arrivals[:, first - 1] > NEGLIGIBLE_ARRIVAL)
        if not chosen.size:
            continue
        chance = arrivals[chosen, first - 1]
        for day in range(1, first):
            result[chosen, day - 1] += chance * before[day][chosen]
        result[chosen, first - 1 :] += chance[:, None] * _after_first_delivery(
            first=first,
            current=current[chosen],
            cumulative=[column[chosen] for column in cumulative],
            daily_var=daily_var[chosen],
            survived_before=before[first - 1][chosen],
            gap=gap[chosen],
            target=supply.target[chosen],
            target_sd=supply.target_sd[chosen],
            fill=supply.fill[chosen],
            cap=supply.cap[chosen],
            settings=settings,
        )
    return np.maximum.accumulate(np.clip(result, 0.0, 1.0), axis=1)


def _after_first_delivery(
    *,
    first: int,
    current: np.ndarray,
    cumulative: list[np.ndarray],
    daily_var: np.ndarray,
    survived_before: np.ndarray,
    gap: np.ndarray,
    target: np.ndarray,
    target_sd: np.ndarray,
    fill: np.ndarray,
    cap: np.ndarray,
    settings: ForecastSettings,
) -> np.ndarray:
    """(lines, days first .. H): chance of having run out by each day when the next
    delivery comes on day ``first`` (``survived_before`` the chance of running out before
    it) and the later ones every ``gap`` days."""
    days, count = MAX_HORIZON_DAYS, len(current)
    out = np.empty((count, days - first + 1), dtype=current.dtype)
    survived = np.zeros(count, dtype=current.dtype)  # log chance every ended stretch held
    available = current.copy()
    extra = np.zeros(count, dtype=current.dtype)
    start_mean = np.zeros(count, dtype=current.dtype)
    begin = np.ones(count, dtype=np.int64)
    arriving_next = np.full(count, first)
    previous = survived_before
    for day in range(first, days + 1):
        arriving = arriving_next == day
        if arriving.any():
            # What is left when the delivery comes, then the fill of the way to the target.
            left = np.fmax(available - (cumulative[day - 1] - start_mean), 0.0)
            left_var = np.where(left > 0, extra + daily_var * (day - begin), 0.0)
            room = np.fmax(target - left, 0.0)
            refilled = left + np.fmin(fill * room, cap)
            refilled_var = (
                (1.0 - fill) ** 2 * left_var
                + (settings.size_cv_floor * fill * room) ** 2
                + (fill * target_sd) ** 2
            )
            # The stretch ending the day before held out with the chance it had then.
            survived = np.where(
                arriving, survived + np.log1p(-np.fmin(previous, 1 - 1e-6)), survived
            )
            available = np.where(arriving, refilled, available)
            extra = np.where(arriving, refilled_var, extra)
            start_mean = np.where(arriving, cumulative[day - 1], start_mean)
            begin = np.where(arriving, day, begin)
            arriving_next = np.where(arriving, day + gap, arriving_next)
        mean = cumulative[day] - start_mean
        variance = daily_var * (day - begin + 1) + extra
        previous = ndtr((mean - available) / np.sqrt(np.fmax(variance, 1e-12)))
        out[:, day - first] = 1.0 - np.exp(survived) * (1.0 - previous)
    return out
