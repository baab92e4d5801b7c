"""Days of supply per store × product.

Follows DESIGN.md "Days of supply". For a store × product on business day D:

- ``stock`` comes from the latest report on or before D. A report from D − k
  (1 ≤ k ≤ ``stale_after_days``) is carried forward and flagged ``stale``; an older one
  gives no stock (NaN), because a week-old stock figure in an emergency is a guess.
- ``expected_daily_sales`` is the median (``expected_sales="median"``, the default) or
  the mean (``"mean"``, DESIGN.md's first rule) of ``sales`` over the last
  ``window_days`` *reported in-stock days* on or before D: the store's most recent
  report days for that product whose end-of-day stock was above zero, looking back at
  most ``lookback_days`` calendar days (default 21 = 3 × window). Out-of-stock days are
  left out because a store that had nothing to sell understates demand (OpenLMIS
  "adjusted consumption"). The median is the default because one to three days of panic
  buying would otherwise inflate a whole week of expected sales and make every shelf
  in the city look short (docs/monitor.md has the measurements).
  Counting reported days rather than calendar days keeps a store that skips a day or
  sells out twice a week on a full window of evidence; the lookback bound keeps the
  number from resting on month-old sales. ``observations`` is how many days were used,
  ``trusted`` is ``observations ≥ min_observations``.
- ``days_of_supply = stock / expected_daily_sales``; NaN when expected is 0 or unknown.
- ``peak_days_of_supply``: the highest end-of-day stock since the line last went a day
  without being refilled, ÷ today's expected daily sales. A day counts as *refilled*
  when the deliveries of that day and the ``resupply_days − 1`` days before it cover
  ``resupply_share`` of that many days of expected sales; deliveries come from the
  stock identity ``received = stock − previous day's stock + sales``, so stores need
  not report them (a gap in the reports makes a day count as not refilled). The look
  back stops at the latest day that ended out of stock (the ``stockout`` rule's
  story) and at ``window_days``; NaN when every day in it was refilled. The
  ``low_supply`` rule wants both numbers below its level: a store that sells down to
  a day of stock and is refilled every morning is working just in time, not running
  out; once a day passes without a delivery that covers the sales, the shortage stands
  until days of supply climb back above the level, whatever smaller deliveries come
  meanwhile.

District and city numbers are :mod:`monitors.computing.aggregates`; status bands
:mod:`monitors.computing.status_bands`.

Everything is vectorised: one sort of the report lines, then ``bincount`` and grouped
reductions over the sorted arrays, so 8.4 M lines take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from monitors.computing.frames import (
    day_number,
    day_numbers,
    group_starts,
    rank_within_groups,
    require_columns,
    store_scopes,
)

ExpectedSalesMethod = Literal["median", "mean"]
"""How expected daily sales summarise the in-stock days of the window."""
EXPECTED_SALES_METHODS: tuple[str, ...] = ("median", "mean")
WarningMethod = Literal["forecast", "cover"]
"""How the store ``low_supply`` warning decides: the stock-out forecast of each line
(``monitors.computing.forecast``, docs/forecast.md) or days of supply against the level
(``cover``: DESIGN.md's rule, with the refill check when ``resupply_days`` > 0)."""
WARNING_METHODS: tuple[str, ...] = ("forecast", "cover")
FORECAST_HISTORY_DAYS = 21
"""Days of reports (age 0 .. 20) the forecast reads for each line."""

STORE_SUPPLY_COLUMNS: tuple[str, ...] = (
    "store_id",
    "product_id",
    "district_id",
    "city_id",
    "last_report_date",
    "report_age_days",
    "stale",
    "stock",
    "sales_today",
    "price",
    "expected_daily_sales",
    "observations",
    "trusted",
    "days_of_supply",
    "peak_days_of_supply",
    "stocked_out",
    "out_of_stock_days",
    "prior_daily_sales",
    "prior_observations",
    "prior_trusted",
    "price_previous",
    "price_baseline",
    "price_baseline_observations",
)


@dataclass(frozen=True)
class SupplySettings:
    """Knobs of the days-of-supply computation (DESIGN.md defaults)."""

    window_days: int = 7
    """How many reported in-stock days the expected daily sales summarise."""
    expected_sales: ExpectedSalesMethod = "median"
    """``median`` (robust to a few panic-buying days) or ``mean`` (DESIGN.md's rule)."""
    stale_after_days: int = 2
    """How many days a stock figure is carried forward before it counts as unknown."""
    min_observations: int = 3
    """Days of evidence needed before expected daily sales are trusted by the rules."""
    lookback_days: int = 21
    """How far back (calendar days) the window may reach to find its reported days."""
    price_baseline_days: int = 14
    """The price baseline is the median over this many calendar days before D."""
    resupply_days: int = 1
    """Days of deliveries (a day and the days before it) that decide whether that day
    was *refilled*: 1, the day's own deliveries, so yesterday's delivery cannot hide a
    shelf emptied today. 0 turns the check off (``peak_days_of_supply`` =
    ``days_of_supply``, the plain rule)."""
    resupply_share: float = 0.6
    """Deliveries covering this share of the same days' expected sales refill a day."""
    warning_method: WarningMethod = "forecast"
    """How the store ``low_supply`` warning decides (:data:`WarningMethod`)."""

    def __post_init__(self) -> None:
        problems = []
        if self.window_days < 1:
            problems.append("window_days must be at least 1")
        if self.stale_after_days < 0:
            problems.append("stale_after_days must not be negative")
        if not 1 <= self.min_observations <= self.window_days:
            problems.append("min_observations must be between 1 and window_days")
        if self.lookback_days < self.window_days:
            problems.append("lookback_days must be at least window_days")
        if self.price_baseline_days < 1:
            problems.append("price_baseline_days must be at least 1")
        if self.expected_sales not in EXPECTED_SALES_METHODS:
            problems.append(f"expected_sales must be one of {', '.join(EXPECTED_SALES_METHODS)}")
        if self.resupply_days < 0:
            problems.append("resupply_days must not be negative")
        if not self.resupply_share > 0:
            problems.append("resupply_share must be positive")
        if self.warning_method not in WARNING_METHODS:
            problems.append(f"warning_method must be one of {', '.join(WARNING_METHODS)}")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def carried_days(self) -> int:
        """A store × product gets a row when its latest report is younger than this."""
        return max(self.window_days, self.stale_after_days + 1)

    @property
    def horizon_days(self) -> int:
        """Oldest report age (exclusive) any output column looks at."""
        return max(
            self.lookback_days + 1,
            self.price_baseline_days + 1,
            self.carried_days,
            self.window_days + self.resupply_days,
            FORECAST_HISTORY_DAYS if self.warning_method == "forecast" else 0,
        )


@dataclass(frozen=True)
class LineMatrices:
    """The recent reports of each output row of :func:`store_supply` as (rows, ages)
    matrices, age 0 = the business day, NaN where the store did not report: what the
    stock-out forecast reads."""

    stock: np.ndarray
    sales: np.ndarray

    @classmethod
    def empty(cls, days: int = FORECAST_HISTORY_DAYS) -> LineMatrices:
        """No lines."""
        return cls(stock=np.empty((0, days)), sales=np.empty((0, days)))

    @classmethod
    def concatenate(cls, parts: list[LineMatrices]) -> LineMatrices:
        """The rows of several parts, in order."""
        if not parts:
            return cls.empty()
        return cls(
            stock=np.concatenate([part.stock for part in parts]),
            sales=np.concatenate([part.sales for part in parts]),
        )


def _expected_sales(
    *,
    group: np.ndarray,
    age: np.ndarray,
    stock: np.ndarray,
    sales: np.ndarray,
    n_groups: int,
    first_age: int,
    settings: SupplySettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Median or mean sales (``settings.expected_sales``) and day count over each group's
    last ``window_days`` in-stock report days.

    Rows must be sorted by (group, age); ``first_age`` = 0 includes D, 1 starts the day
    before (the yardstick for "today vs usual", which today must not inflate).
    """
    usable = (
        (stock > 0)
        & (age >= first_age)
        & (age < first_age + settings.lookback_days)
        & ~np.isnan(sales)
    )
    ids = group[usable]
    rank = rank_within_groups(ids)
    within = rank < settings.window_days
    if settings.expected_sales == "median":
        return _grouped_median(
            group=ids[within],
            slot=rank[within],
            values=sales[usable][within],
            n_groups=n_groups,
            n_slots=settings.window_days,
        )
    count = np.bincount(ids[within], minlength=n_groups)
    total = np.bincount(ids[within], weights=sales[usable][within], minlength=n_groups)
    mean = np.full(n_groups, np.nan)
    np.divide(total, count, out=mean, where=count > 0)
    return mean, count


def _peak_days_of_supply(
    *,
    group: np.ndarray,
    age: np.ndarray,
    stock: np.ndarray,
    sales: np.ndarray,
    n_groups: int,
    latest_stock: np.ndarray,
    expected: np.ndarray,
    settings: SupplySettings,
) -> np.ndarray:
    """Highest stock since each group's latest day that was not refilled (within the last
    ``window_days`` and after the latest day that ended out of stock), ÷ expected daily
    sales; NaN when every one of those days was refilled or there is no demand (module
    docstring).

    Rows must be sorted by (group, age). The recent days are laid out as a groups × ages
    matrix, as for the price baseline, so the check costs a few column operations.
    """
    peak = np.full(n_groups, np.nan)
    days, span = settings.resupply_days, settings.window_days
    if days == 0:
        np.divide(latest_stock, expected, out=peak, where=expected > 0)
        return peak
    width = span + days  # stock of ages 0 .. span + days − 1 gives receipts of 0 .. span + days − 2
    near = age < width
    stock_by_age = np.full((n_groups, width), np.nan)
    sales_by_age = np.full((n_groups, width), np.nan)
    stock_by_age[group[near], age[near]] = stock[near]
    sales_by_age[group[near], age[near]] = sales[near]
    received = stock_by_age[:, :-1] - stock_by_age[:, 1:] + sales_by_age[:, :-1]
    # Deliveries of day a and the days − 1 days before it, for a = 0 .. span − 1.
    delivered = np.lib.stride_tricks.sliding_window_view(received, days, axis=1)[:, :span]
    delivered = delivered.sum(axis=2)  # NaN (a day not reported) stays NaN: not refilled
    with np.errstate(invalid="ignore"):
        refilled = delivered >= settings.resupply_share * days * expected[:, None]
    # A day that ended out of stock closes the story: the stockout rule had the line,
    # and from the next day on only days not refilled since then count.
    dry = stock_by_age[:, :span] == 0
    last_dry = np.where(dry.any(axis=1), np.argmax(dry, axis=1), span)
    unrefilled = ~refilled & (np.arange(span) < last_dry[:, None])
    latest_gap = np.argmax(unrefilled, axis=1)  # the youngest day that was not refilled
    highest = np.fmax.accumulate(stock_by_age[:, :span], axis=1)[np.arange(n_groups), latest_gap]
    highest = np.fmax(highest, latest_stock)
    np.divide(highest, expected, out=peak, where=(expected > 0) & unrefilled.any(axis=1))
    return peak


def _grouped_median(
    *, group: np.ndarray, slot: np.ndarray, values: np.ndarray, n_groups: int, n_slots: int
) -> tuple[np.ndarray, np.ndarray]:
    """Median of ``values`` per group id (NaN for empty groups) and the group sizes.

    Each group has at most ``n_slots`` values, one per ``slot`` (a day), so the values
    are laid out as a groups × slots matrix and sorted along the short axis: far faster
    than a global sort of millions of values, and the matrix is only as large as the
    store × product lines times the baseline days.
    """
    matrix = np.full((n_groups, n_slots), np.nan)
    matrix[group, slot] = values
    matrix.sort(axis=1)  # NaN sorts last
    count = np.bincount(group, minlength=n_groups)
    rows = np.arange(n_groups)
    low = matrix[rows, np.maximum(count - 1, 0) // 2]
    high = matrix[rows, np.minimum(count // 2, n_slots - 1)]
    median = np.where(count > 0, (low + high) / 2.0, np.nan)
    return median, count


def store_supply(
    *,
    reports: pd.DataFrame,
    stores: pd.DataFrame,
    business_day: date,
    settings: SupplySettings,
) -> pd.DataFrame:
    """Days of supply of every active store × product that reported within the window
    (:func:`store_supply_with_history`, without the matrices)."""
    rows, _ = store_supply_with_history(
        reports=reports, stores=stores, business_day=business_day, settings=settings, days=0
    )
    return rows


def store_supply_with_history(
    *,
    reports: pd.DataFrame,
    stores: pd.DataFrame,
    business_day: date,
    settings: SupplySettings,
    days: int = FORECAST_HISTORY_DAYS,
) -> tuple[pd.DataFrame, LineMatrices]:
    """Days of supply of every active store × product that reported within the window.

    ``reports``: ``store_id, product_id, report_date, stock, sales, price`` (``received``
    is accepted and not needed), one line per (store, product, date); lines after D or
    older than the horizon are ignored. ``stores``: ``store_id, district_id`` and
    optionally ``city_id``, ``active``; lines of inactive or unknown stores are ignored.

    One row per store × product whose latest report on or before D is less than
    ``max(window_days, stale_after_days + 1)`` days old, ordered by store (as in
    ``stores``) then product, with the columns of :data:`STORE_SUPPLY_COLUMNS`:
    ``last_report_date``/``report_age_days`` of the latest report; ``stale`` (no report on
    D); ``stock`` (NaN when older than ``stale_after_days``); ``sales_today`` (NaN unless
    reported on D); ``price`` (latest, NaN when the stock is); ``expected_daily_sales``,
    ``observations``, ``trusted``, ``days_of_supply``, ``peak_days_of_supply`` as in the
    module docstring; ``stocked_out`` (stock 0 while demand is positive or could not be
    observed because every report day in the lookback was out of stock);
    ``out_of_stock_days`` (reported
    zero-stock days in the last ``window_days`` calendar days); ``prior_daily_sales``,
    ``prior_observations``, ``prior_trusted`` (the same average over days before D, the
    yardstick for a sales surge); ``price_previous`` (latest price before D, at most
    ``stale_after_days`` old); ``price_baseline`` and ``price_baseline_observations``
    (median price over the ``price_baseline_days`` calendar days before D).

    With it, the last ``days`` days of each row's stock and sales as matrices
    (:class:`LineMatrices`, in the rows' order; no columns when ``days`` is 0), read from
    the same sorted lines so the forecast costs no second pass over the window.
    """
    require_columns(
        reports,
        ("store_id", "product_id", "report_date", "stock", "sales", "price"),
        name="reports",
    )
    scopes = store_scopes(stores)
    today = day_number(business_day)
    horizon = settings.horizon_days

    age = today - day_numbers(reports["report_date"], name="report_date")
    position = pd.Index(scopes["store_id"]).get_indexer(reports["store_id"])
    active = scopes["active"].to_numpy()
    keep = (position >= 0) & (age >= 0) & (age < horizon)
    keep[keep] = active[position[keep]]
    product_codes, product_ids = pd.factorize(reports["product_id"].to_numpy()[keep], sort=True)
    n_products = max(len(product_ids), 1)

    pair = position[keep].astype(np.int64) * n_products + product_codes
    age = age[keep]
    key = pair * horizon + age
    order = np.argsort(key, kind="stable")
    key = key[order]
    if key.size > 1 and (duplicates := int(np.count_nonzero(key[1:] == key[:-1]))):
        raise ValueError(f"reports hold {duplicates} duplicate (store, product, date) lines")
    pair, age = pair[order], age[order]
    source = np.flatnonzero(keep)[order]
    stock = reports["stock"].to_numpy(dtype=np.float64)[source]
    sales = reports["sales"].to_numpy(dtype=np.float64)[source]
    price = reports["price"].to_numpy(dtype=np.float64)[source]
    del key, order, source

    starts = group_starts(pair)
    group = np.cumsum(starts) - 1
    n_groups = int(starts.sum())
    first = np.flatnonzero(starts)

    latest_age = age[first]
    fresh = latest_age == 0
    carried = latest_age <= settings.stale_after_days
    latest_stock = np.where(carried, stock[first], np.nan)
    latest_price = np.where(carried, price[first], np.nan)
    sales_today = np.where(fresh, sales[first], np.nan)

    expected, observations = _expected_sales(
        group=group,
        age=age,
        stock=stock,
        sales=sales,
        n_groups=n_groups,
        first_age=0,
        settings=settings,
    )
    prior, prior_observations = _expected_sales(
        group=group,
        age=age,
        stock=stock,
        sales=sales,
        n_groups=n_groups,
        first_age=1,
        settings=settings,
    )
    out_of_stock_days = np.bincount(
        group[(stock == 0) & (age < settings.window_days)], minlength=n_groups
    )

    before = (age >= 1) & (age <= settings.stale_after_days) & ~np.isnan(price)
    previous_rows = np.flatnonzero(before)[group_starts(group[before])]
    price_previous = np.full(n_groups, np.nan)
    price_previous[group[previous_rows]] = price[previous_rows]

    in_baseline = (age >= 1) & (age <= settings.price_baseline_days) & ~np.isnan(price)
    baseline, baseline_count = _grouped_median(
        group=group[in_baseline],
        slot=age[in_baseline] - 1,
        values=price[in_baseline],
        n_groups=n_groups,
        n_slots=settings.price_baseline_days,
    )

    demand = expected > 0
    days_of_supply = np.full(n_groups, np.nan)
    np.divide(latest_stock, expected, out=days_of_supply, where=demand & ~np.isnan(latest_stock))
    stocked_out = (latest_stock == 0) & (demand | (observations == 0))
    peak_days_of_supply = _peak_days_of_supply(
        group=group,
        age=age,
        stock=stock,
        sales=sales,
        n_groups=n_groups,
        latest_stock=latest_stock,
        expected=expected,
        settings=settings,
    )

    rows = latest_age < settings.carried_days
    store_position = pair[first][rows] // n_products
    product_position = pair[first][rows] % n_products
    last_day = np.datetime64(business_day, "D") - latest_age[rows].astype("timedelta64[D]")
    result = pd.DataFrame(
        {
            "store_id": scopes["store_id"].to_numpy()[store_position],
            "product_id": np.asarray(product_ids)[product_position],
            "district_id": scopes["district_id"].to_numpy()[store_position],
            "city_id": scopes["city_id"].to_numpy()[store_position],
            "last_report_date": last_day.astype("datetime64[ns]"),
            "report_age_days": latest_age[rows].astype(np.int32),
            "stale": ~fresh[rows],
            "stock": latest_stock[rows],
            "sales_today": sales_today[rows],
            "price": latest_price[rows],
            "expected_daily_sales": expected[rows],
            "observations": observations[rows].astype(np.int32),
            "trusted": observations[rows] >= settings.min_observations,
            "days_of_supply": days_of_supply[rows],
            "peak_days_of_supply": peak_days_of_supply[rows],
            "stocked_out": stocked_out[rows],
            "out_of_stock_days": out_of_stock_days[rows].astype(np.int32),
            "prior_daily_sales": prior[rows],
            "prior_observations": prior_observations[rows].astype(np.int32),
            "prior_trusted": prior_observations[rows] >= settings.min_observations,
            "price_previous": price_previous[rows],
            "price_baseline": baseline[rows],
            "price_baseline_observations": baseline_count[rows].astype(np.int32),
        }
    )
    return result, _line_matrices(
        group=group, age=age, stock=stock, sales=sales, rows=rows, days=min(days, horizon)
    )


def _line_matrices(
    *,
    group: np.ndarray,
    age: np.ndarray,
    stock: np.ndarray,
    sales: np.ndarray,
    rows: np.ndarray,
    days: int,
) -> LineMatrices:
    """Stock and sales of the kept groups (``rows``) by age, NaN where not reported."""
    kept = np.flatnonzero(rows)
    position = np.full(rows.size, -1)
    position[kept] = np.arange(kept.size)
    near = (age < days) & rows[group]
    line, slot = position[group[near]], age[near]
    stock_by_age = np.full((kept.size, days), np.nan)
    sales_by_age = np.full((kept.size, days), np.nan)
    stock_by_age[line, slot] = stock[near]
    sales_by_age[line, slot] = sales[near]
    return LineMatrices(stock=stock_by_age, sales=sales_by_age)
