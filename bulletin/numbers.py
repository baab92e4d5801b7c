"""The daily bulletin's figures for one business day D, from the outlets' report lines.

Inputs (plain frames, so the database layer only has to select them):

- ``reports``: one row per outlet × product × business day: ``outlet``, ``product``,
  ``business_date`` (the day; datetime64 is fastest, ``datetime.date`` works),
  ``price`` (retail ¥ per the product's canonical unit; NaN when not reported),
  ``stock`` (end-of-day stock in canonical units; NaN when not reported) and
  ``expected_daily_sales`` (canonical units a day, as the monitor estimates it; NaN when
  unknown). Categorical ``outlet`` and ``product`` columns make the grouping cheapest.
- ``outlets``: ``outlet``, ``district`` and ``expected_to_report`` (bool): every outlet
  that may appear in ``reports``, and whether it is expected to report on D.
- ``products``: ``product`` and ``category``: every product of the bulletin.
- ``baselines``: the pre-crisis price baselines from ``compute_price_baselines``.

Figures, all vectorised (integer codes and ``np.bincount`` over the lines; pandas only
for the small per-product and per-district tables):

- per product: the city-wide **average retail price** (mean over the outlets that
  reported a price that day), its min and max across outlets, and its **change** against
  D−1 and D−7 (absolute and %, NaN when the product had no price that day: a missing
  day is no number, never a zero change); the **price signal** against the baseline and
  its **band** (``compute_price_signal_bands``; baselines and bands live in
  ``bulletin/signals.py`` and are re-exported here);
- per category: a price index (geometric mean of the products' price relatives to their
  baselines, × 100, as elementary price indices are built), its day and week changes
  (geometric means of the products' relatives over the products priced on both days),
  the worst band and how many products are in each band;
- **days of supply** per product and per category, city-wide and per district, as ratios
  of sums (Σ stock ÷ Σ expected daily sales over the lines that have both), never a
  mean of the outlets' ratios, with its change against D−1, and the total stock;
- **coverage**: of the outlets expected to report, how many reported anything on D;
- **notable moves**, ranked: price moves (band changes first, then the largest
  day-over-day price changes), then days-of-supply drops (largest first), each row with
  the numbers that justify it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from bulletin.signals import (
    BAND_TYPE,
    BANDS,
    PriceBands,
    compute_price_baselines,
    compute_price_signal_bands,
    day_number,
    day_numbers,
    usable_prices,
)

__all__ = [
    "BANDS",
    "BulletinNumbers",
    "MoveRules",
    "PriceBands",
    "compute_bulletin_numbers",
    "compute_price_baselines",
    "compute_price_signal_bands",
]

REPORT_COLUMNS = ("outlet", "product", "business_date", "price", "stock", "expected_daily_sales")
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class MoveRules:
    """What makes a move notable, and how many moves the bulletin lists."""

    price_change_percent: float = 5.0
    supply_drop_percent: float = 20.0
    limit: int = 20


@dataclass(frozen=True)
class BulletinNumbers:
    """Every figure of one day's bulletin; each table is what a page or file shows.

    - ``prices`` (index product, every product of the master table): ``category``,
      ``outlets_priced``, ``average_price``, ``min_price``, ``max_price``,
      ``previous_day_price``, ``change_vs_previous_day`` (¥) and ``_percent``, the same
      for ``week_before``, ``baseline_median``, ``baseline_scale``, ``signal``, ``band``,
      ``previous_day_signal``, ``previous_day_band``;
    - ``category_prices`` (index category): ``products``, ``products_priced``,
      ``price_index``, ``change_vs_previous_day_percent``, ``change_vs_week_before_percent``,
      ``worst_band``, ``products_<band>`` for each band;
    - ``band_counts`` (index band): products in each band on D;
    - ``city_supply`` (index product), ``district_supply`` (district, product),
      ``city_category_supply`` (category), ``district_category_supply`` (district,
      category), rows with a report line on D: ``reporting_lines`` (lines with a stock
      figure; for a product, outlets), ``stock`` (their total), ``stock_with_sales_estimate``
      and ``expected_daily_sales`` (sums over the lines that have both),
      ``days_of_supply`` (their ratio; NaN without demand), ``previous_day_days_of_supply``,
      ``days_of_supply_change`` and ``_percent``;
    - ``city_coverage`` (one row as a Series) and ``district_coverage`` (index district):
      ``expected_outlets``, ``reported_outlets``, ``coverage_percent``;
    - ``notable_moves`` (index rank from 1): ``kind`` (``price`` or ``days_of_supply``),
      ``product``, ``district`` (None city-wide), ``value``, ``previous_value``, ``change``,
      ``change_percent`` and, for prices, ``band``, ``previous_band``, ``band_steps``.
    """

    business_date: date
    prices: pd.DataFrame
    category_prices: pd.DataFrame
    band_counts: pd.Series
    city_supply: pd.DataFrame
    district_supply: pd.DataFrame
    city_category_supply: pd.DataFrame
    district_category_supply: pd.DataFrame
    city_coverage: pd.Series
    district_coverage: pd.DataFrame
    notable_moves: pd.DataFrame


def compute_bulletin_numbers(
    *,
    reports: pd.DataFrame,
    outlets: pd.DataFrame,
    products: pd.DataFrame,
    business_date: date,
    baselines: pd.DataFrame,
    bands: PriceBands | None = None,
    move_rules: MoveRules | None = None,
) -> BulletinNumbers:
    """Return all of business day D's bulletin figures, computed from the report lines.

    Vectorised as integer codes and ``np.bincount`` sums: the lines of D, D−1 and D−7
    are picked by day number, products and outlets become positions in their master
    tables, and every sum, count, min and max is one pass over those arrays (grouping
    on object keys costs most of a province day's time otherwise).
    """
    bands = bands or PriceBands()
    move_rules = move_rules or MoveRules()
    missing = [column for column in REPORT_COLUMNS if column not in reports.columns]
    if missing:
        raise ValueError(f"report lines lack the columns {missing}")
    lines = _window_lines(
        reports=reports, outlets=outlets, products=products, business_date=business_date
    )
    prices = _product_prices(lines=lines, baselines=baselines, bands=bands)
    supply = _supply_sums(lines)
    city_supply = _supply_table(supply.sum(axis=2), index=lines.products)
    district_supply = _supply_table(
        supply, index=pd.MultiIndex.from_product([lines.districts, lines.products])
    )
    by_category = supply @ lines.category_matrix
    city_category_supply = _supply_table(by_category.sum(axis=2), index=lines.categories)
    district_category_supply = _supply_table(
        by_category, index=pd.MultiIndex.from_product([lines.districts, lines.categories])
    )
    city_coverage, district_coverage = _coverage(lines)
    band_counts = prices["band"].value_counts().reindex(list(BANDS), fill_value=0)
    band_counts.index = pd.Index(list(BANDS), name="band")
    return BulletinNumbers(
        business_date=lines.business_date,
        prices=prices,
        category_prices=_category_prices(prices),
        band_counts=band_counts.astype(np.int64).rename("products"),
        city_supply=city_supply,
        district_supply=district_supply,
        city_category_supply=city_category_supply,
        district_category_supply=district_category_supply,
        city_coverage=city_coverage,
        district_coverage=district_coverage,
        notable_moves=_notable_moves(
            prices=prices,
            city_supply=city_supply,
            district_supply=district_supply,
            rules=move_rules,
        ),
    )


@dataclass(frozen=True)
class _WindowLines:
    """The report lines of D (slot 0), D−1 (slot 1) and D−7 (slot 2) as coded arrays."""

    business_date: date
    slot: IntArray
    product: IntArray
    outlet: IntArray
    district: IntArray
    price: FloatArray
    stock: FloatArray
    expected_daily_sales: FloatArray
    products: pd.Index
    product_categories: pd.Series
    categories: pd.Index
    category_matrix: FloatArray
    districts: pd.Index
    outlet_districts: IntArray
    expected_outlets: BoolArray


def _window_lines(
    *, reports: pd.DataFrame, outlets: pd.DataFrame, products: pd.DataFrame, business_date: date
) -> _WindowLines:
    """Return the lines of D, D−1 and D−7 coded against the outlet and product tables."""
    product_index = _unique_index(products["product"], what="product")
    outlet_index = _unique_index(outlets["outlet"], what="outlet")
    category_codes, categories = pd.factorize(products["category"], sort=True)
    district_codes, districts = pd.factorize(outlets["district"], sort=True)
    day = day_number(business_date)
    line_days = day_numbers(reports["business_date"])
    slot_of_line = np.full(len(line_days), -1, dtype=np.int64)
    for slot, offset in enumerate((0, 1, 7)):
        slot_of_line[line_days == day - offset] = slot
    in_window = slot_of_line >= 0
    product = _positions(reports["product"], in_window, product_index, what="products")
    outlet = _positions(reports["outlet"], in_window, outlet_index, what="outlets")
    category_matrix = np.zeros((len(product_index), len(categories)))
    category_matrix[np.arange(len(product_index)), category_codes] = 1.0
    return _WindowLines(
        business_date=pd.Timestamp(business_date).date(),
        slot=slot_of_line[in_window],
        product=product,
        outlet=outlet,
        district=district_codes[outlet].astype(np.int64),
        price=reports["price"].to_numpy(dtype=float)[in_window],
        stock=reports["stock"].to_numpy(dtype=float)[in_window],
        expected_daily_sales=reports["expected_daily_sales"].to_numpy(dtype=float)[in_window],
        products=product_index,
        product_categories=pd.Series(
            np.asarray(categories, dtype=object)[category_codes], index=product_index
        ),
        categories=pd.Index(categories, name="category"),
        category_matrix=category_matrix,
        districts=pd.Index(districts, name="district"),
        outlet_districts=district_codes.astype(np.int64),
        expected_outlets=outlets["expected_to_report"].to_numpy(dtype=bool),
    )


def _unique_index(values: pd.Series, *, what: str) -> pd.Index:
    """Return a master table's keys as an index, refusing keys listed twice."""
    index = pd.Index(values.to_numpy(), name=what)
    if index.has_duplicates:
        raise ValueError(f"{what} listed more than once: {list(index[index.duplicated()][:5])}")
    return index


def _positions(column: pd.Series, mask: BoolArray, index: pd.Index, *, what: str) -> IntArray:
    """Return the masked lines' positions in a master table, refusing unknown keys."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        category_positions = index.get_indexer(pd.Index(column.cat.categories))
        codes = column.cat.codes.to_numpy()[mask]
        positions = np.where(codes >= 0, category_positions[codes], -1)
    else:
        positions = index.get_indexer(pd.Index(column.to_numpy()[mask]))
    if (positions < 0).any():
        unknown = pd.unique(column.to_numpy()[mask][positions < 0])[:5]
        raise ValueError(f"report lines name {what} that are not listed: {list(unknown)}")
    return positions.astype(np.int64)


def _product_prices(
    *, lines: _WindowLines, baselines: pd.DataFrame, bands: PriceBands
) -> pd.DataFrame:
    """Return per product the day's average, min and max price, its changes and its band."""
    priced = usable_prices(lines.price)
    product_count = len(lines.products)
    key = lines.slot[priced] * product_count + lines.product[priced]
    price = lines.price[priced]
    shape = (3, product_count)
    counts = np.bincount(key, minlength=3 * product_count).reshape(shape)
    totals = np.bincount(key, weights=price, minlength=3 * product_count).reshape(shape)
    lowest = np.full(3 * product_count, np.inf)
    highest = np.full(3 * product_count, -np.inf)
    np.minimum.at(lowest, key, price)
    np.maximum.at(highest, key, price)
    none = counts == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        averages = np.where(none, np.nan, totals / counts)
    prices = pd.DataFrame(index=lines.products)
    prices["category"] = lines.product_categories
    prices["outlets_priced"] = counts[0].astype(np.int64)
    prices["average_price"] = averages[0]
    prices["min_price"] = np.where(none[0], np.nan, lowest.reshape(shape)[0])
    prices["max_price"] = np.where(none[0], np.nan, highest.reshape(shape)[0])
    for label, slot in (("previous_day", 1), ("week_before", 2)):
        prices[f"{label}_price"] = averages[slot]
        prices[f"change_vs_{label}"] = averages[0] - averages[slot]
        prices[f"change_vs_{label}_percent"] = 100 * (averages[0] - averages[slot]) / averages[slot]
    aligned = baselines.reindex(lines.products)
    prices["baseline_median"] = aligned["baseline_median"]
    prices["baseline_scale"] = aligned["baseline_scale"]
    prices["signal"], prices["band"] = compute_price_signal_bands(
        prices=prices["average_price"], baselines=baselines, bands=bands
    )
    prices["previous_day_signal"], prices["previous_day_band"] = compute_price_signal_bands(
        prices=prices["previous_day_price"], baselines=baselines, bands=bands
    )
    return prices


def _category_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """Return per category its price index, day and week changes and band counts."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = pd.DataFrame(
            {
                "category": prices["category"],
                "to_baseline": np.log(prices["average_price"] / prices["baseline_median"]),
                "to_previous_day": np.log(prices["average_price"] / prices["previous_day_price"]),
                "to_week_before": np.log(prices["average_price"] / prices["week_before_price"]),
            }
        )
    grouped = logs.groupby("category", sort=True)
    means = grouped[["to_baseline", "to_previous_day", "to_week_before"]].mean()
    categories = pd.DataFrame(index=means.index)
    categories["products"] = grouped.size()
    categories["products_priced"] = prices.groupby("category")["average_price"].count()
    categories["price_index"] = 100 * np.exp(means["to_baseline"])
    categories["change_vs_previous_day_percent"] = 100 * np.expm1(means["to_previous_day"])
    categories["change_vs_week_before_percent"] = 100 * np.expm1(means["to_week_before"])
    band_codes = prices["band"].cat.codes.where(prices["band"].notna())
    worst = band_codes.groupby(prices["category"]).max()
    categories["worst_band"] = pd.Categorical.from_codes(
        worst.reindex(categories.index).fillna(-1).astype(int), dtype=BAND_TYPE
    )
    counts = pd.crosstab(prices["category"], prices["band"]).reindex(
        index=categories.index, columns=list(BANDS), fill_value=0
    )
    for band in BANDS:
        categories[f"products_{band}"] = counts[band].astype(np.int64)
    return categories


SUPPLY_SUMS = (
    "lines",
    "reporting_lines",
    "stock",
    "stock_with_sales_estimate",
    "expected_daily_sales",
)


def _supply_sums(lines: _WindowLines) -> FloatArray:
    """Return the supply sums per sum × day (D, D−1) × district × product, from the lines.

    ``lines`` counts every line, ``reporting_lines`` those with a stock figure and
    ``stock`` their stock; ``stock_with_sales_estimate`` and ``expected_daily_sales`` sum
    only lines that have both numbers, so their ratio is days of supply.
    """
    recent = lines.slot <= 1
    district_count, product_count = len(lines.districts), len(lines.products)
    key = (
        lines.slot[recent] * district_count + lines.district[recent]
    ) * product_count + lines.product[recent]
    stock = lines.stock[recent]
    expected = lines.expected_daily_sales[recent]
    has_stock = np.isfinite(stock)
    paired = has_stock & np.isfinite(expected)
    size = 2 * district_count * product_count
    weights = (
        None,
        has_stock.astype(float),
        np.where(has_stock, stock, 0.0),
        np.where(paired, stock, 0.0),
        np.where(paired, expected, 0.0),
    )
    sums = np.stack([np.bincount(key, weights=weight, minlength=size) for weight in weights])
    return sums.astype(np.float64).reshape(len(SUPPLY_SUMS), 2, district_count, product_count)


def _supply_table(sums: FloatArray, *, index: pd.Index) -> pd.DataFrame:
    """Return days of supply (ratio of sums) on D with its change against D−1, per row.

    ``sums`` is sum × day × the scope's own axes, flattened in the order of ``index``;
    rows without a line on D are left out.
    """
    flat = sums.reshape(len(SUPPLY_SUMS), 2, -1)
    today, yesterday = flat[:, 0], flat[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        days = np.where(today[4] > 0, today[3] / today[4], np.nan)
        previous = np.where(yesterday[4] > 0, yesterday[3] / yesterday[4], np.nan)
        change_percent = 100 * (days - previous) / previous
    table = pd.DataFrame(
        {
            "reporting_lines": today[1].astype(np.int64),
            "stock": today[2],
            "stock_with_sales_estimate": today[3],
            "expected_daily_sales": today[4],
            "days_of_supply": days,
            "previous_day_days_of_supply": previous,
            "days_of_supply_change": days - previous,
            "days_of_supply_change_percent": change_percent,
        },
        index=index,
    )
    return table[today[0] > 0]


def _coverage(lines: _WindowLines) -> tuple[pd.Series, pd.DataFrame]:
    """Return how many expected outlets reported on D, city-wide and per district."""
    reported = np.zeros(len(lines.expected_outlets), dtype=bool)
    reported[lines.outlet[lines.slot == 0]] = True
    expected = lines.expected_outlets
    district_count = len(lines.districts)
    expected_per_district = np.bincount(lines.outlet_districts[expected], minlength=district_count)
    reported_per_district = np.bincount(
        lines.outlet_districts[expected & reported], minlength=district_count
    )
    district = pd.DataFrame(
        {
            "expected_outlets": expected_per_district.astype(np.int64),
            "reported_outlets": reported_per_district.astype(np.int64),
        },
        index=lines.districts,
    )
    district = district[district["expected_outlets"] > 0].copy()
    district["coverage_percent"] = 100 * district["reported_outlets"] / district["expected_outlets"]
    expected_count = int(expected.sum())
    reported_count = int((expected & reported).sum())
    city = pd.Series(
        {
            "expected_outlets": expected_count,
            "reported_outlets": reported_count,
            "coverage_percent": 100 * reported_count / expected_count if expected_count else np.nan,
        },
        name="city",
        dtype=object,
    )
    return city, district


def _notable_moves(
    *,
    prices: pd.DataFrame,
    city_supply: pd.DataFrame,
    district_supply: pd.DataFrame,
    rules: MoveRules,
) -> pd.DataFrame:
    """Return the day's notable moves ranked: price and band moves, then supply drops."""
    band_steps = prices["band"].cat.codes.where(prices["band"].notna()) - prices[
        "previous_day_band"
    ].cat.codes.where(prices["previous_day_band"].notna())
    price_change = prices["change_vs_previous_day_percent"]
    band_changed = (band_steps != 0) & band_steps.notna()
    price_moves = prices[(price_change.abs() >= rules.price_change_percent) | band_changed]
    price_rows = pd.DataFrame(
        {
            "kind": "price",
            "product": price_moves.index.astype(object),
            "district": None,
            "value": price_moves["average_price"].to_numpy(),
            "previous_value": price_moves["previous_day_price"].to_numpy(),
            "change": price_moves["change_vs_previous_day"].to_numpy(),
            "change_percent": price_moves["change_vs_previous_day_percent"].to_numpy(),
            "band": price_moves["band"].to_numpy(),
            "previous_band": price_moves["previous_day_band"].to_numpy(),
            "band_steps": band_steps[price_moves.index].to_numpy(),
        }
    )
    price_rows = price_rows.assign(
        _first=price_rows["band_steps"].abs().fillna(0), _second=price_rows["change_percent"].abs()
    ).sort_values(["_first", "_second"], ascending=False, na_position="last", kind="stable")
    supply_frames = []
    for supply, has_district in ((city_supply, False), (district_supply, True)):
        drops = supply[supply["days_of_supply_change_percent"] <= -rules.supply_drop_percent]
        supply_frames.append(
            pd.DataFrame(
                {
                    "kind": "days_of_supply",
                    "product": drops.index.get_level_values("product").astype(object),
                    "district": drops.index.get_level_values("district").astype(object)
                    if has_district
                    else None,
                    "value": drops["days_of_supply"].to_numpy(),
                    "previous_value": drops["previous_day_days_of_supply"].to_numpy(),
                    "change": drops["days_of_supply_change"].to_numpy(),
                    "change_percent": drops["days_of_supply_change_percent"].to_numpy(),
                }
            )
        )
    supply_rows = pd.concat(supply_frames, ignore_index=True).sort_values(
        "change_percent", kind="stable"
    )
    moves = pd.concat(
        [price_rows.drop(columns=["_first", "_second"]), supply_rows], ignore_index=True
    ).head(rules.limit)
    moves.index = pd.RangeIndex(1, len(moves) + 1, name="rank")
    return moves
