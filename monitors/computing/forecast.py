"""Stock-out forecast per store × product line: will this shelf run out within the horizon
its category's warning promises, given its own demand and its own replenishment?

Days of supply (stock ÷ expected daily sales) answers "how long would the stock last if
nothing came in". Whether to *warn* is another question: a fresh line ending every day
with one day of cover and refilled every morning is fine, and a grain shelf at six days
may be empty in two if its weekly delivery fails. The forecast learns from each line's
recent reports (``history_days``, age 0 = the business day); docs/forecast.md explains
the choices and measures them.

- **Demand**: the median of the last ``level_days`` in-stock days (an empty shelf's
  sales understate demand), the store's weekday pattern divided out; a lasting shift is
  followed once ``shift_days`` in-stock days in a row sit beyond ``shift_ratio`` of it,
  a one-day burst is not. The daily spread is robust (from day-to-day steps) and never
  below negative-binomial noise (``min_cv``).
- **Receipts**: the stock identity (stock − previous stock + sales, bridged over
  unreported days with the expected sales) is what came in net of spoilage; where it
  cannot be computed, the reported ``received``. A day bringing ``delivery_share`` of a
  day's demand is a delivery day.
- **Replenishment pattern**: the gaps between deliveries (recency-weighted, each spread
  to its neighbours because lead times vary), the days since the last one, and the
  **supply ratio**: what the latest cycles brought net ÷ the demand they replaced
  (censored days at the demand level), recency-weighted and shrunk towards the store's
  own ratio, so that a line whose last delivery predates a crisis learns from the
  store's other lines. A ratio below 1 is a supply that no longer keeps up.
- **When and how much**: the next delivery's day follows the gap histogram given the
  days already waited (a line overdue beyond its history is mostly taken as stopped);
  it brings the supply ratio × the demand of the days it covers (at most a cycle and a
  day), later ones a cycle's worth every typical gap.
- **Projection**: for each arrival day of the next delivery (or none), the stock at the
  end of each day is normal around stock + what came − demand; a stock-out can happen in
  every stretch between deliveries, each stretch with its own demand noise (a store
  reorders what it sold) plus ``carry_variance`` of what came before, and the chances of
  the stretches combine. The scenarios mix by their probability.

Everything is vectorised over lines × ages matrices: a province's 600,000 lines take
about a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

MAX_HORIZON_DAYS = 7
"""The longest horizon a warning level promises (grain and oil: 7 days)."""


@dataclass(frozen=True)
class ForecastSettings:
    """Knobs of the stock-out forecast and of the warning built on it; defaults are the
    shipped method (docs/forecast.md)."""

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
    min_cv: float = 0.2
    """Least coefficient of variation of a day's demand (on top of Poisson noise)."""
    level_uncertainty: float = 0.1
    """Relative error of the demand level, added to the spread of cumulative demand."""
    weekday_shrink: float = 20.0
    """Pseudo-observations of a flat weekday pattern a store's own pattern is shrunk to."""
    stale_after_days: int = 2
    """How many days a stock figure is carried forward."""
    delivery_share: float = 0.1
    """A day whose receipts reach this share of a day's demand is a delivery day (a
    small delivery of a daily order is one; a miscount of a day's stock is not)."""
    supply_half_life_days: float = 4.0
    """Age at which a past cycle's supply counts half as much as today's."""
    store_weight: float = 1.0
    """Pseudo-cycles of the store's supply ratio a line's own ratio is shrunk to."""
    size_cv_floor: float = 0.2
    """Least relative spread of a delivery's size."""
    gap_half_life_days: float = 7.0
    """Age at which a past gap between deliveries counts half as much as today's."""
    gap_jitter: float = 0.25
    """Share of each observed gap's weight moved to the gaps a day shorter and longer."""
    prior_weight: float = 0.5
    """Pseudo-gaps of the prior on when the next delivery comes (geometric past the
    typical gap)."""
    stop_weight: float = 0.3
    """Pseudo-count for "the deliveries have stopped"."""
    carry_variance: float = 0.5
    """Share of the demand noise before a delivery still felt after it (0: the delivery
    replaces exactly what was sold; 1: fixed quantities, noise accumulates)."""
    fire_probability: float = 0.35
    """A store ``low_supply`` warning opens when the stock-out chance within the warning
    level reaches this."""
    keep_probability: float = 0.05
    """An open warning stays while the chance stays at or above this (hysteresis)."""
    min_observations: int = 3
    """In-stock days of demand needed before the line may warn."""
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
        if self.shift_ratio <= 0:
            problems.append("shift_ratio must be positive")
        if self.delivery_share <= 0:
            problems.append("delivery_share must be positive")
        if self.prior_weight <= 0 or self.stop_weight < 0 or self.store_weight < 0:
            problems.append("prior_weight must be positive, stop and store weights not negative")
        if not 0 <= self.gap_jitter < 0.5:
            problems.append("gap_jitter must be in [0, 0.5)")
        if not 0 < self.keep_probability <= self.fire_probability <= 1:
            problems.append("need 0 < keep_probability ≤ fire_probability ≤ 1")
        if not 0 <= self.carry_variance <= 1:
            problems.append("carry_variance must be in [0, 1]")
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
    """Per line, a small integer naming its store (weekday patterns and supply are pooled
    by store)."""
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
    """Weighted median of the days between deliveries (NaN with fewer than two)."""
    supply_ratio: np.ndarray
    """What the latest cycles brought ÷ the demand they replaced, shrunk to the store's."""
    out_recently: np.ndarray
    """The line's reported stock was 0 on one of the two days before the business day."""
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


def _compact(matrix: np.ndarray) -> np.ndarray:
    """Each row's non-NaN values moved to the front, in order (NaN after them)."""
    order = np.argsort(np.isnan(matrix), axis=1, kind="stable")
    return np.take_along_axis(matrix, order, axis=1)


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
    with np.errstate(invalid="ignore"):
        line_mean = np.nanmean(np.where(in_stock, sales, np.nan), axis=1)
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Level, in-stock days behind it, shift direction and daily spread of demand."""
    level_cells = _youngest(in_stock, settings.level_days)
    base = _row_median(np.where(level_cells, plain, np.nan))
    recent_cells = _youngest(in_stock, settings.shift_days)
    full = recent_cells.sum(axis=1) == settings.shift_days
    with np.errstate(invalid="ignore"):
        above = np.where(recent_cells, plain > base[:, None] * (1 + settings.shift_ratio), True)
        below = np.where(recent_cells, plain < base[:, None] * (1 - settings.shift_ratio), True)
    rise, fall = full & above.all(axis=1), full & below.all(axis=1)
    recent = np.where(recent_cells, plain, np.nan)
    # A rise is followed at the smaller of the recent days, a fall at the larger: the
    # level moves no further than every one of the days that moved it.
    with np.errstate(invalid="ignore"):
        moved = np.where(rise, np.nanmin(recent, axis=1), np.nanmax(recent, axis=1))
    level = np.where(rise | fall, moved, base)
    shifted = np.where(rise, 1, np.where(fall, -1, 0)).astype(np.int8)
    # Spread from day-to-day steps of in-stock days: a level that moved (a panic, a
    # lasting rise) does not count as noise, as it would around a median.
    ordered = _compact(np.where(_youngest(in_stock, settings.spread_days), plain, np.nan))
    steps = np.abs(np.diff(ordered, axis=1))
    spread = 1.4826 * _row_median(steps) / np.sqrt(2.0)
    floor = np.sqrt(np.fmax(level, 0.0) + (settings.min_cv * np.fmax(level, 0.0)) ** 2)
    return level, level_cells.sum(axis=1), shifted, np.fmax(spread, floor)


def _net_receipts(
    stock: np.ndarray, sales: np.ndarray, received: np.ndarray, expected: np.ndarray
) -> np.ndarray:
    """What came in each day net of spoilage, by the stock identity bridged over
    unreported days (the bridge's total lands on the reported day that closes it); the
    reported receipts where no earlier report closes the identity."""
    lines, ages = stock.shape
    reported = ~np.isnan(stock)
    age_index = np.arange(ages)
    # Next older reported age of every age (ages when none).
    marked = np.where(reported, age_index[None, :], ages)
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


def forecast_stockouts(*, history: LineHistory, settings: ForecastSettings) -> Forecast:
    """The stock-out forecast of every line (module docstring): what it learned and the
    probability of running out by the end of each of the next MAX_HORIZON_DAYS days."""
    stock = history.stock[:, : settings.history_days]
    sales = history.sales[:, : settings.history_days]
    received = history.received[:, : settings.history_days]
    lines, ages = stock.shape
    current = _latest(stock, settings.stale_after_days)
    reported = ~np.isnan(stock) & ~np.isnan(sales)
    in_stock = reported & (stock > 0)

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
    level, observations, shifted, spread = _demand(plain, in_stock, settings)
    known_level = np.nan_to_num(level)

    # Demand of each past day: its sales when the shelf held out, at least the level when
    # it emptied (sales then understate demand), the level when unreported.
    expected = known_level[:, None] * seasonal
    demand = np.where(in_stock, sales, np.fmax(np.nan_to_num(sales), expected))
    net = _net_receipts(stock, sales, received, expected)
    delivery = np.nan_to_num(net) >= np.fmax(settings.delivery_share * known_level, 1e-9)[:, None]
    delivery |= np.nan_to_num(received) >= np.fmax(settings.delivery_share * known_level, 1e-9)[
        :, None
    ]

    supply = _supply_pattern(
        net=np.nan_to_num(net), demand=demand, delivery=delivery, store=history.store,
        settings=settings,
    )
    by_day = _project(
        current=np.nan_to_num(current),
        level=known_level,
        spread=np.nan_to_num(spread),
        ahead=factors[history.store][:, (history.weekday + np.arange(1, MAX_HORIZON_DAYS + 1)) % 7],
        supply=supply,
        settings=settings,
    )
    by_day[current == 0] = 1.0
    by_day[np.isnan(current) | np.isnan(level)] = np.nan
    recent_stock = stock[:, 1:3]
    return Forecast(
        stock=current,
        level=level,
        observations=observations,
        shifted=shifted,
        spread=spread,
        days_since_delivery=supply.since,
        typical_gap=supply.typical_gap,
        supply_ratio=supply.ratio,
        out_recently=(np.nan_to_num(recent_stock, nan=1.0) <= 0).any(axis=1),
        by_day=by_day,
    )


@dataclass(frozen=True)
class _Supply:
    """A line's replenishment pattern as the projection needs it."""

    since: np.ndarray
    typical_gap: np.ndarray
    ratio: np.ndarray
    size_cv: np.ndarray
    arrival: np.ndarray
    """(lines, MAX_HORIZON_DAYS + 1): chance the next delivery comes on day 1 .. H, and in
    the last column that none comes within H."""
    demand_since: np.ndarray
    """Demand since (and on) the day of the latest delivery: what the next one replaces."""


def _supply_pattern(
    *,
    net: np.ndarray,
    demand: np.ndarray,
    delivery: np.ndarray,
    store: np.ndarray,
    settings: ForecastSettings,
) -> _Supply:
    """Timing and supply ratio of each line's deliveries (module docstring)."""
    lines, ages = net.shape
    rows = np.arange(lines)[:, None]
    age_index = np.arange(ages)
    # Ages of the deliveries, youngest first (ages where fewer).
    delivery_age = np.sort(np.where(delivery, age_index[None, :], ages), axis=1)
    count = delivery.sum(axis=1)
    since = np.where(count > 0, delivery_age[:, 0], np.nan).astype(np.float64)

    # Cycle j: delivery j (age a_j) with the spoilage after the older delivery j + 1,
    # against the demand it replaces (ages a_j + 1 .. a_{j+1}).
    net_from = np.zeros((lines, ages + 1))
    net_from[:, 1:] = np.cumsum(net, axis=1)  # Σ net over ages < a
    demand_from = np.zeros((lines, ages + 2))
    demand_from[:, 1 : ages + 1] = np.cumsum(demand, axis=1)
    demand_from[:, ages + 1] = demand_from[:, ages]
    young, old = delivery_age[:, :-1], delivery_age[:, 1:]
    complete = old < ages
    cycle_net = net_from[rows, np.minimum(old, ages)] - net_from[rows, np.minimum(young, ages)]
    cycle_demand = demand_from[rows, np.minimum(old, ages) + 1] - demand_from[
        rows, np.minimum(young, ages) + 1
    ]
    weight = np.where(
        complete & (cycle_demand > 0), 0.5 ** (young / settings.supply_half_life_days), 0.0
    )
    own_net = (weight * cycle_net).sum(axis=1)
    own_demand = (weight * cycle_demand).sum(axis=1)
    own_ratio = _ratio(own_net, own_demand)
    evidence = weight.sum(axis=1)

    # The store's ratio: the median of its lines' own ratios (a shared road, market or
    # supplier fails them together), for lines whose own evidence is thin.
    stores = int(store.max()) + 1 if store.size else 0
    store_ratio = np.ones(stores)
    usable = ~np.isnan(own_ratio)
    if usable.any():
        order = np.lexsort((own_ratio[usable], store[usable]))
        grouped_store = store[usable][order]
        grouped_ratio = own_ratio[usable][order]
        starts = np.searchsorted(grouped_store, np.arange(stores), side="left")
        ends = np.searchsorted(grouped_store, np.arange(stores), side="right")
        has = ends > starts
        middle = (starts + ends - 1) / 2.0
        low = grouped_ratio[np.floor(middle[has]).astype(np.int64)]
        high = grouped_ratio[np.ceil(middle[has]).astype(np.int64)]
        store_ratio[has] = (low + high) / 2.0
    prior = np.clip(store_ratio[store], 0.0, 1.5)
    ratio = (np.nan_to_num(own_ratio) * evidence + settings.store_weight * prior) / (
        evidence + settings.store_weight
    )
    ratio = np.where(evidence + settings.store_weight > 0, np.clip(ratio, 0.0, 3.0), 1.0)
    fill = _ratio(cycle_net, cycle_demand)
    fill_mean = _ratio((weight * np.nan_to_num(fill)).sum(axis=1), evidence)
    fill_var = _ratio(
        (weight * (np.nan_to_num(fill) - np.nan_to_num(fill_mean)[:, None]) ** 2).sum(axis=1),
        evidence,
    )
    size_cv = np.clip(
        np.sqrt(np.nan_to_num(fill_var)) / np.fmax(np.nan_to_num(fill_mean, nan=1.0), 0.2),
        settings.size_cv_floor,
        1.0,
    )

    # Gaps between deliveries, recency-weighted, each spread to its neighbours.
    gaps = np.where(complete, old - young, 0)
    gap_weight = np.where(complete, 0.5 ** (young / settings.gap_half_life_days), 0.0)
    histogram = np.zeros((lines, ages + 2))
    jitter = settings.gap_jitter
    line_of = np.broadcast_to(rows, gaps.shape)
    np.add.at(histogram, (line_of, gaps), gap_weight * (1 - 2 * jitter))
    np.add.at(histogram, (line_of, gaps + 1), gap_weight * jitter)
    # A one-day gap cannot be shorter: its lower share stays on it.
    np.add.at(histogram, (line_of, np.maximum(gaps - 1, 1)), gap_weight * jitter)
    histogram[:, 0] = 0.0
    total = histogram.sum(axis=1)
    cumulative = np.cumsum(histogram, axis=1)
    typical = np.argmax(cumulative >= total[:, None] / 2.0, axis=1).astype(np.float64)
    typical_gap = np.where(total > 0, typical, np.nan)
    arrival = _arrival_chances(
        since=since, typical_gap=typical_gap, histogram=histogram, ages=ages, settings=settings
    )
    waited = np.where(np.isnan(since), -1, since).astype(np.int64)
    demand_since = np.where(age_index[None, :] <= waited[:, None], demand, 0.0).sum(axis=1)
    return _Supply(
        since=since,
        typical_gap=typical_gap,
        ratio=ratio,
        size_cv=size_cv,
        arrival=arrival,
        demand_since=demand_since,
    )


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
    horizon = np.arange(1, MAX_HORIZON_DAYS + 1)
    gap = waited[:, None] + horizon[None, :]

    def prior(g: np.ndarray) -> np.ndarray:
        return np.where(g >= centre[:, None], 0.5 ** (g - centre[:, None] + 1.0), 0.0)

    observed = np.where(gap < width, histogram[rows[:, None], np.minimum(gap, width - 1)], 0.0)
    longer = histogram.sum(axis=1) - np.cumsum(histogram, axis=1)[
        rows, np.minimum(waited, width - 1)
    ]
    prior_left = np.where(waited + 1 >= centre, 0.5 ** np.maximum(waited + 1 - centre, 0), 1.0)
    denominator = longer + settings.prior_weight * prior_left + settings.stop_weight
    chance = (observed + settings.prior_weight * prior(gap)) / denominator[:, None]
    chance = np.clip(chance, 0.0, None)
    chance /= np.fmax(chance.sum(axis=1, keepdims=True), 1.0)
    none = np.clip(1.0 - chance.sum(axis=1), 0.0, 1.0)
    return np.column_stack([chance, none])


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
    mixed over the day the next delivery arrives (module docstring)."""
    horizon = np.arange(1, MAX_HORIZON_DAYS + 1)
    daily_mean = level[:, None] * ahead
    demand_mean = np.cumsum(daily_mean, axis=1)
    daily_var = (spread**2)[:, None] * np.ones(MAX_HORIZON_DAYS)
    cycle = np.where(np.isnan(supply.typical_gap), np.inf, np.maximum(supply.typical_gap, 1.0))
    waited = np.nan_to_num(supply.since, nan=0.0)
    rate = supply.ratio * level
    result = supply.arrival[:, -1][:, None] * _stretch_risk(
        current=current,
        demand_mean=demand_mean,
        daily_var=daily_var,
        arrivals=np.zeros((len(current), MAX_HORIZON_DAYS)),
        size_cv=supply.size_cv,
        settings=settings,
    )
    for first in horizon:
        covered = np.minimum(waited + first, np.where(np.isfinite(cycle), cycle + 1.0, 1.0))
        # A store reorders what it sold (a burst too), at the supply ratio.
        size = supply.ratio * np.fmax(level * covered, supply.demand_since)
        later = horizon - first
        on_cycle = np.isfinite(cycle)[:, None] & (later[None, :] > 0)
        step = np.where(np.isfinite(cycle), cycle, 1.0)[:, None]
        repeat = on_cycle & (np.mod(later[None, :], np.round(step)) == 0)
        arrivals = np.where(horizon[None, :] == first, size[:, None], 0.0)
        arrivals += np.where(repeat, (rate * np.where(np.isfinite(cycle), cycle, 0.0))[:, None], 0.0)
        result += supply.arrival[:, first - 1][:, None] * _stretch_risk(
            current=current,
            demand_mean=demand_mean,
            daily_var=daily_var,
            arrivals=arrivals,
            size_cv=supply.size_cv,
            settings=settings,
        )
    return np.maximum.accumulate(np.clip(result, 0.0, 1.0), axis=1)


def _stretch_risk(
    *,
    current: np.ndarray,
    demand_mean: np.ndarray,
    daily_var: np.ndarray,
    arrivals: np.ndarray,
    size_cv: np.ndarray,
    settings: ForecastSettings,
) -> np.ndarray:
    """(lines, H): chance of having run out by each day given the quantities arriving on
    each day: within a stretch between deliveries the stock only falls, so its risk is the
    risk at its last day so far; stretches combine as nearly independent chances."""
    lines, days = demand_mean.shape
    brought = np.cumsum(arrivals, axis=1)
    arrived = arrivals > 0
    # Variance since the stretch began (a delivery replaces what was sold) plus a share of
    # the variance before it, the size noise of what came, and the level's error.
    cumulative_var = np.cumsum(daily_var, axis=1)
    start_var = np.zeros((lines, days))
    size_var = np.zeros((lines, days))
    seen_var = np.zeros(lines)
    seen_size = np.zeros(lines)
    for day in range(days):
        before = cumulative_var[:, day - 1] if day else np.zeros(lines)
        seen_var = np.where(arrived[:, day], before, seen_var)
        seen_size = np.where(arrived[:, day], (size_cv * arrivals[:, day]) ** 2, seen_size)
        start_var[:, day] = seen_var
        size_var[:, day] = seen_size
    variance = (
        cumulative_var
        - (1.0 - settings.carry_variance) * start_var
        + size_var
        + (settings.level_uncertainty * demand_mean) ** 2
    )
    shortfall = demand_mean - current[:, None] - brought
    risk = ndtr(shortfall / np.sqrt(np.fmax(variance, 1e-12)))
    # Survival: the stretches that ended (the day before each arrival) survived, times the
    # current stretch so far.
    ended = np.zeros((lines, days), dtype=bool)
    ended[:, :-1] = arrived[:, 1:]
    log_survival = np.cumsum(np.where(ended, np.log1p(-np.fmin(risk, 1 - 1e-12)), 0.0), axis=1)
    closed = np.zeros((lines, days))
    closed[:, 1:] = log_survival[:, :-1]
    return 1.0 - np.exp(closed) * (1.0 - risk)


def low_supply_decision(
    *,
    forecast: Forecast,
    warning_days: np.ndarray,
    critical_days: np.ndarray,
    previously_firing: np.ndarray,
    settings: ForecastSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per line: whether the store ``low_supply`` warning fires, whether it is critical,
    and the projected stock-out day (NaN beyond the horizon), so the lifecycle can open,
    keep and resolve alerts without one-day flapping."""
    chance = np.nan_to_num(forecast.within(warning_days))
    trusted = (forecast.observations >= settings.min_observations) & (
        np.nan_to_num(forecast.stock) > 0
    )
    opens = chance >= settings.fire_probability
    stays = np.asarray(previously_firing, dtype=bool) & (chance >= settings.keep_probability)
    fire = trusted & (opens | stays)
    projected = forecast.first_day_over(settings.projected_probability)
    critical = fire & (np.nan_to_num(projected, nan=np.inf) <= np.asarray(critical_days))
    return fire, critical, projected
