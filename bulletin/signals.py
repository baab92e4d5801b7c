"""Price signals of the bulletin: robust pre-crisis baselines and ALPS-style bands.

Also the small array helpers the bulletin's figures share with them: business days as
day numbers, which prices are usable, and codes of a column's values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

BANDS = ("normal", "stress", "alert", "crisis")
BAND_TYPE = pd.CategoricalDtype(list(BANDS), ordered=True)
MAD_TO_STANDARD_DEVIATION = 1.4826
DAY_NANOSECONDS = 86_400 * 1_000_000_000

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PriceBands:
    """Cut points of the price signal, in units of the baseline's usual variation.

    A signal below ``stress`` is normal; ``stress`` ≤ signal < ``alert`` is stress;
    ``alert`` ≤ signal < ``crisis`` is alert; from ``crisis`` on it is crisis. The
    defaults are ALPS's own cut points (0.25, 1 and 2).
    """

    stress: float = 0.25
    alert: float = 1.0
    crisis: float = 2.0

    def __post_init__(self) -> None:
        """Refuse cut points that are not strictly increasing."""
        if not self.stress < self.alert < self.crisis:
            raise ValueError("price band cut points must increase: stress < alert < crisis")


def compute_price_baselines(
    *,
    reports: pd.DataFrame,
    baseline_start: date,
    baseline_end: date,
    scale_floor_share: float = 0.05,
) -> pd.DataFrame:
    """Return each product's robust pre-crisis price baseline, the yardstick of its signal.

    Over the business days from ``baseline_start`` to ``baseline_end`` (inclusive, before
    the crisis) the product's daily city-average price is taken (mean over outlets);
    ``baseline_median`` is their median, ``baseline_mad`` their median absolute deviation
    and ``baseline_scale`` = max(1.4826 × MAD, ``scale_floor_share`` × median): 1.4826 ×
    MAD equals the standard deviation for normally spread prices while ignoring a few
    odd days, and the floor keeps a flat baseline (MAD 0) from calling every cent a
    crisis. ``baseline_days`` says how many days stand behind it. Index: product.
    """
    if baseline_end < baseline_start:
        raise ValueError("the baseline period ends before it starts")
    first, last = day_number(baseline_start), day_number(baseline_end)
    line_days = day_numbers(reports["business_date"])
    price = reports["price"].to_numpy(dtype=float)
    in_period = (line_days >= first) & (line_days <= last) & usable_prices(price)
    codes, products = factorized(reports["product"], in_period)
    key = (line_days[in_period] - first) * len(products) + codes
    size = (last - first + 1) * len(products)
    counts = np.bincount(key, minlength=size)
    totals = np.bincount(key, weights=price[in_period], minlength=size)
    present = counts > 0
    cells = np.flatnonzero(present)
    daily = pd.DataFrame(
        {
            "product": np.asarray(products, dtype=object)[cells % max(len(products), 1)],
            "business_date": pd.to_datetime(first + cells // max(len(products), 1), unit="D"),
            "price_total": totals[present],
            "priced_lines": counts[present],
        }
    )
    return baselines_from_daily_prices(
        daily=daily,
        baseline_start=baseline_start,
        baseline_end=baseline_end,
        scale_floor_share=scale_floor_share,
    )


def baselines_from_daily_prices(
    *,
    daily: pd.DataFrame,
    baseline_start: date,
    baseline_end: date,
    scale_floor_share: float = 0.05,
) -> pd.DataFrame:
    """Return the baselines of :func:`compute_price_baselines` from each product's daily
    price totals, so a database can sum a long window instead of sending every line.

    ``daily`` has one row per product and business day with a usable price:
    ``product``, ``business_date``, ``price_total`` (the sum of the outlets' usable
    prices) and ``priced_lines`` (how many there were); days outside the period are
    ignored.
    """
    if baseline_end < baseline_start:
        raise ValueError("the baseline period ends before it starts")
    first, last = day_number(baseline_start), day_number(baseline_end)
    line_days = day_numbers(daily["business_date"]) if len(daily) else np.zeros(0, np.int64)
    counts_in = daily["priced_lines"].to_numpy(dtype=float)
    in_period = (line_days >= first) & (line_days <= last) & (counts_in > 0)
    codes, products = factorized(daily["product"], in_period)
    shape = (last - first + 1, len(products))
    key = (line_days[in_period] - first) * len(products) + codes
    counts = np.bincount(key, weights=counts_in[in_period], minlength=shape[0] * shape[1])
    counts = counts.reshape(shape)
    totals = np.bincount(
        key,
        weights=daily["price_total"].to_numpy(dtype=float)[in_period],
        minlength=counts.size,
    ).reshape(shape)
    priced_days = (counts > 0).sum(axis=0)
    has_days = priced_days > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (totals / counts)[:, has_days]
    median = np.nanmedian(means, axis=0)
    mad = np.nanmedian(np.abs(means - median), axis=0)
    return pd.DataFrame(
        {
            "baseline_median": median,
            "baseline_mad": mad,
            "baseline_scale": np.maximum(
                MAD_TO_STANDARD_DEVIATION * mad, scale_floor_share * median
            ),
            "baseline_days": priced_days[has_days].astype(np.int64),
        },
        index=pd.Index(np.asarray(products, dtype=object)[has_days], name="product"),
    )


def compute_price_signal_bands(
    *, prices: pd.Series, baselines: pd.DataFrame, bands: PriceBands
) -> tuple[pd.Series, pd.Series]:
    """Return each product's price signal and its band, the bulletin's warning colour.

    The signal is (price − baseline median) ÷ baseline scale: how many of its usual
    variations the day's city-average price stands above its pre-crisis level. This is
    the ALPS indicator (WFP's Alert for Price Spikes: observed minus expected price over
    the standard deviation of past deviations) with two changes for a daily emergency
    bulletin: the expected price is a flat pre-crisis median instead of a seasonal trend
    fitted to years of monthly prices, and the standard deviation is estimated robustly
    as 1.4826 × MAD (the same number for normally spread prices) with a floor. So the
    default cut points keep ALPS's meaning: < 0.25 normal, 0.25–1 stress, 1–2 alert,
    ≥ 2 crisis. Prices below the baseline are normal, as in ALPS. NaN price or no
    baseline gives no signal and no band.
    """
    aligned = baselines.reindex(prices.index)
    signal = (prices - aligned["baseline_median"]) / aligned["baseline_scale"]
    cut_points = np.array([bands.stress, bands.alert, bands.crisis])
    codes = np.searchsorted(cut_points, signal.to_numpy(dtype=float), side="right")
    codes = np.where(signal.isna().to_numpy(), -1, codes)
    band = pd.Series(
        pd.Categorical.from_codes(codes, dtype=BAND_TYPE), index=prices.index, name="band"
    )
    return signal.rename("signal"), band


def day_number(day: date) -> int:
    """Return a business day as days since 1970-01-01."""
    return int(pd.Timestamp(day).as_unit("ns").value // DAY_NANOSECONDS)


def day_numbers(values: pd.Series) -> IntArray:
    """Return the lines' business days as days since 1970-01-01 (fast for datetime64)."""
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        values = pd.Series(pd.to_datetime(values))
    stamps = pd.DatetimeIndex(values)
    if stamps.tz is not None:
        stamps = stamps.tz_localize(None)
    return stamps.as_unit("ns").asi8 // DAY_NANOSECONDS


def usable_prices(values: FloatArray) -> BoolArray:
    """Return which report lines carry a usable price (present and above zero)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values > 0)


def factorized(column: pd.Series, mask: BoolArray) -> tuple[IntArray, pd.Index]:
    """Return codes of the masked values and the values they stand for."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()[mask].astype(np.int64)
        return codes, pd.Index(column.cat.categories)
    codes, uniques = pd.factorize(column.to_numpy()[mask])
    return codes.astype(np.int64), pd.Index(uniques)
