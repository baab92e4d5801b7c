"""The forecast's settings and constants, checked once at construction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    keep_through_stockout: bool = True
    """An open warning stays, critical, on the days its shelf is empty: the shortage it
    warned of has come. Resolving it then told the bureau "all clear" at the worst moment,
    and the next crumb of a delivery opened a new alert for the same shortage."""
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
