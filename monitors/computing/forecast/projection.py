"""Chances that a shelf runs out before and between the deliveries to come."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.special import ndtr

from monitors.computing.forecast.replenishment import SupplyPattern
from monitors.computing.forecast.settings import (
    LEVEL_NODES,
    MAX_HORIZON_DAYS,
    NEGLIGIBLE_ARRIVAL,
    ForecastSettings,
)


def project_stretches(
    *,
    current: np.ndarray,
    level: np.ndarray,
    spread: np.ndarray,
    ahead: np.ndarray,
    supply: SupplyPattern,
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
        projected += np.float32(weight) * project_at_level(
            current=part(current),
            daily_mean=(scaled[:, None] * ahead[chosen]).astype(np.float32),
            spread=part(spread),
            supply=subset,
            settings=settings,
        )
    result[chosen] = projected
    return result


def project_at_level(
    *,
    current: np.ndarray,
    daily_mean: np.ndarray,
    spread: np.ndarray,
    supply: SupplyPattern,
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
        result[chosen, first - 1 :] += chance[:, None] * after_first_delivery(
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


def after_first_delivery(
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
    held = np.ones(count, dtype=current.dtype)  # its exponential, updated where it changes
    available = current.copy()
    extra = np.zeros(count, dtype=current.dtype)
    start_mean = np.zeros(count, dtype=current.dtype)
    begin = np.ones(count, dtype=np.int64)
    arriving_next = np.full(count, first)
    previous = survived_before
    for day in range(first, days + 1):
        # Only the lines whose delivery comes today change: computed on those alone.
        now = np.flatnonzero(arriving_next == day)
        if now.size:
            # What is left when the delivery comes, then the fill of the way to the target.
            was_available, was_extra, now_begin = available[now], extra[now], begin[now]
            now_fill, now_target = fill[now], target[now]
            left = np.fmax(was_available - (cumulative[day - 1][now] - start_mean[now]), 0.0)
            left_var = np.where(left > 0, was_extra + daily_var[now] * (day - now_begin), 0.0)
            room = np.fmax(now_target - left, 0.0)
            refilled = left + np.fmin(now_fill * room, cap[now])
            refilled_var = (
                (1.0 - now_fill) ** 2 * left_var
                + (settings.size_cv_floor * now_fill * room) ** 2
                + (now_fill * target_sd[now]) ** 2
            )
            # The stretch ending the day before held out with the chance it had then.
            survived = _replaced(
                survived, now, survived[now] + np.log1p(-np.fmin(previous[now], 1 - 1e-6))
            )
            held = _replaced(held, now, np.exp(survived[now]))
            available = _replaced(available, now, refilled)
            extra = _replaced(extra, now, refilled_var)
            start_mean = _replaced(start_mean, now, cumulative[day - 1][now])
            begin = _replaced(begin, now, np.full(now.size, day))
            arriving_next = _replaced(arriving_next, now, day + gap[now])
        mean = cumulative[day] - start_mean
        variance = daily_var * (day - begin + 1) + extra
        previous = ndtr((mean - available) / np.sqrt(np.fmax(variance, 1e-12)))
        out[:, day - first] = 1.0 - held * (1.0 - previous)
    return out


def _replaced(values: np.ndarray, positions: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``values`` with ``new`` at ``positions``, in the dtype ``np.where`` would give (a
    float32 state turns float64 once a float64 value enters it), so the numbers stay those
    of a ``np.where`` over every line."""
    dtype = np.result_type(new, values)
    merged = values if values.dtype == dtype else values.astype(dtype)
    merged[positions] = new
    return merged
