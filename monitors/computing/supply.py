"""Days of supply: per store × product, and district/city ratios of sums.

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

Aggregates divide Σ stock by Σ expected daily sales over the stores of the scope that
have both numbers (never a mean of ratios, which lets a tiny shop weigh as much as a
hypermarket), and say how many of the scope's stores stand behind the number.

Everything is vectorised: one sort of the report lines, then ``bincount`` and grouped
reductions over the sorted arrays, so 8.4 M lines take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from monitors.alerting.thresholds import fallback_thresholds
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

SUPPLY_STATUSES: tuple[str, ...] = (
    "stocked_out",
    "critical",
    "low",
    "adequate",
    "overstocked",
    "no_demand",
    "unknown",
)
"""Status bands of a supply number, from worst to no information."""

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

AGGREGATE_COLUMNS: tuple[str, ...] = (
    "scope_level",
    "scope_id",
    "product_id",
    "category",
    "stock",
    "expected_daily_sales",
    "days_of_supply",
    "stocked_out",
    "stores_total",
    "stores_carrying",
    "stores_reporting",
    "stores_counted",
    "stores_stale",
    "stores_stocked_out",
    "coverage",
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
    return result


def aggregate_supply(
    *,
    store_rows: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    level: Literal["district", "city"],
    by: Literal["product", "category"],
) -> pd.DataFrame:
    """District or city days of supply per product or category, as ratios of sums.

    ``store_rows`` is :func:`store_supply`'s output; ``stores`` as for it (the active
    stores of a scope are its ``stores_total``); ``products``: ``product_id, category``
    and optionally ``kg_per_unit``. By category, stock and sales are converted to kg
    with ``kg_per_unit`` when present (a category mixes kg, litres and packs; summing
    raw units would let a pack of noodles weigh as much as a kilo of rice).

    Columns (:data:`AGGREGATE_COLUMNS`): ``scope_level``, ``scope_id`` (district_id or
    city_id), ``product_id`` (<NA> by category), ``category``; ``stock`` and
    ``expected_daily_sales`` summed over the ``stores_counted`` stores that have both
    numbers; ``days_of_supply`` = their ratio; ``stocked_out`` (no stock left while there
    is demand); ``stores_total`` (active stores in scope), ``stores_carrying`` (stores with
    a row), ``stores_reporting`` (fresh report on D), ``stores_stale`` (stock carried
    forward), ``stores_stocked_out`` (by category: a store with no stock at all of the
    category while some of it has demand), ``coverage`` = reporting ÷ total.
    """
    if level not in ("district", "city"):
        raise ValueError(f"level must be 'district' or 'city', not {level!r}")
    if by not in ("product", "category"):
        raise ValueError(f"by must be 'product' or 'category', not {by!r}")
    require_columns(store_rows, STORE_SUPPLY_COLUMNS, name="store_rows")
    require_columns(products, ("product_id", "category"), name="products")
    scope_column = f"{level}_id"
    scopes = store_scopes(stores)
    active_scopes = scopes.loc[scopes["active"], ["store_id", scope_column]]
    catalogue = products.drop_duplicates("product_id").set_index("product_id")

    product_id = store_rows["product_id"]
    category = catalogue["category"].reindex(product_id.to_numpy()).to_numpy()
    weight = np.ones(len(store_rows))
    if by == "category" and "kg_per_unit" in catalogue.columns:
        weight = catalogue["kg_per_unit"].reindex(product_id.to_numpy()).fillna(1.0).to_numpy()
    stock = store_rows["stock"].to_numpy(dtype=np.float64) * weight
    expected = store_rows["expected_daily_sales"].to_numpy(dtype=np.float64) * weight
    counted = ~np.isnan(stock) & ~np.isnan(expected)
    key = "product_id" if by == "product" else "category"

    lines = pd.DataFrame(
        {
            "scope_id": store_rows[scope_column].to_numpy(),
            "store_id": store_rows["store_id"].to_numpy(),
            key: product_id.to_numpy() if by == "product" else category,
            "stock": np.where(counted, stock, 0.0),
            "expected": np.where(counted, expected, 0.0),
            "counted": counted,
            "known_stock": stock,
            "fresh": ~store_rows["stale"].to_numpy(dtype=bool),
            "stale": store_rows["stale"].to_numpy(dtype=bool) & ~np.isnan(stock),
            "stocked_out": store_rows["stocked_out"].to_numpy(dtype=bool),
        }
    )
    per_store = lines.groupby(["scope_id", key, "store_id"], sort=False, dropna=False).agg(
        stock=("stock", "sum"),
        expected=("expected", "sum"),
        counted=("counted", "any"),
        known_stock=("known_stock", "max"),
        fresh=("fresh", "any"),
        stale=("stale", "any"),
        stocked_out=("stocked_out", "any"),
    )
    per_store["stocked_out"] &= per_store["known_stock"].fillna(0.0) == 0.0
    summed = per_store.groupby(level=["scope_id", key], sort=True, dropna=False).agg(
        stock=("stock", "sum"),
        expected=("expected", "sum"),
        stores_carrying=("counted", "size"),
        stores_counted=("counted", "sum"),
        stores_reporting=("fresh", "sum"),
        stores_stale=("stale", "sum"),
        stores_stocked_out=("stocked_out", "sum"),
    )
    summed = summed.reset_index()

    none_counted = summed["stores_counted"].to_numpy() == 0
    any_out = summed["stores_stocked_out"].to_numpy() > 0
    total_stock = np.where(none_counted, np.where(any_out, 0.0, np.nan), summed["stock"])
    total_expected = np.where(none_counted, np.nan, summed["expected"])
    days_of_supply = np.full(len(summed), np.nan)
    np.divide(total_stock, total_expected, out=days_of_supply, where=total_expected > 0)

    stores_total = active_scopes.groupby(scope_column).size()
    totals = stores_total.reindex(summed["scope_id"].to_numpy()).fillna(0).to_numpy(np.int64)
    reporting = summed["stores_reporting"].to_numpy(np.int64)
    coverage = np.full(len(summed), np.nan)
    np.divide(reporting, totals, out=coverage, where=totals > 0)

    if by == "product":
        products_out = pd.array(summed["product_id"].to_numpy(), dtype="Int64")
        categories = catalogue["category"].reindex(summed["product_id"].to_numpy()).to_numpy()
    else:
        products_out = pd.array([pd.NA] * len(summed), dtype="Int64")
        categories = summed["category"].to_numpy()
    return pd.DataFrame(
        {
            "scope_level": level,
            "scope_id": summed["scope_id"].to_numpy(),
            "product_id": products_out,
            "category": categories,
            "stock": total_stock,
            "expected_daily_sales": total_expected,
            "days_of_supply": days_of_supply,
            "stocked_out": (total_stock == 0) & ((total_expected > 0) | (none_counted & any_out)),
            "stores_total": totals,
            "stores_carrying": summed["stores_carrying"].to_numpy(np.int64),
            "stores_reporting": reporting,
            "stores_counted": summed["stores_counted"].to_numpy(np.int64),
            "stores_stale": summed["stores_stale"].to_numpy(np.int64),
            "stores_stocked_out": summed["stores_stocked_out"].to_numpy(np.int64),
            "coverage": coverage,
        }
    )


def supply_status(*, supply: pd.DataFrame, thresholds: pd.DataFrame) -> pd.Series:
    """Status band of every row of ``supply`` (store rows or aggregates), as a categorical.

    ``thresholds`` is :func:`monitors.alerting.thresholds.resolve_thresholds` output (index
    ``product_id``) or :func:`~monitors.alerting.thresholds.resolve_category_thresholds` output
    (index ``category``); rows are matched on that index's name. Bands, first match wins:
    ``unknown`` (no usable stock), ``stocked_out``, ``no_demand`` (expected sales 0 or
    unknown), ``critical``/``low`` (below the low-supply levels), ``overstocked`` (above
    ``overstock_factor × warning`` days), else ``adequate``. A row whose product or
    category has no thresholds gets the fallback
    (:data:`~monitors.alerting.thresholds.ANY_CATEGORY`) levels.
    """
    key = thresholds.index.name
    if key not in ("product_id", "category"):
        raise ValueError("thresholds must be indexed by product_id or category")
    require_columns(
        supply,
        (key, "stock", "expected_daily_sales", "days_of_supply", "stocked_out"),
        name="supply",
    )
    fallback = fallback_thresholds()
    matched = thresholds.reindex(supply[key].to_numpy())
    warning = matched["low_supply_warning_days"].fillna(fallback.low_supply_warning_days)
    critical = matched["low_supply_critical_days"].fillna(fallback.low_supply_critical_days)
    factor = matched["overstock_factor"].fillna(fallback.overstock_factor)

    stock = supply["stock"].to_numpy(dtype=np.float64)
    expected = supply["expected_daily_sales"].to_numpy(dtype=np.float64)
    days = supply["days_of_supply"].to_numpy(dtype=np.float64)
    conditions = [
        np.isnan(stock),
        supply["stocked_out"].to_numpy(dtype=bool),
        ~(expected > 0),
        days < critical.to_numpy(),
        days < warning.to_numpy(),
        days > (factor * warning).to_numpy(),
    ]
    choices = ["unknown", "stocked_out", "no_demand", "critical", "low", "overstocked"]
    status = np.select(conditions, choices, default="adequate")
    return pd.Series(
        pd.Categorical(status, categories=list(SUPPLY_STATUSES)),
        index=supply.index,
        name="status",
    )
