"""What the world does to the continuous-review city: shoppers' demand and the flood.

Demand is gamma-Poisson with a weekday pattern, a slow seasonal drift per product, a slow
wander per line and occasional one-to-three-day local surges (a holiday, a rumour in one
district) that fade. The event cuts the roads into two or three outer districts (deliveries
fall to 0-40 %, some recover after 5-10 days), lengthens lead times and thins supply
elsewhere, brings a short surge of buying when the news spreads, and later rationing.
Days are simulation days: the unreported burn-in first, then the reported and follow-up days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CATEGORIES = ("grain", "edible_oil", "meat", "eggs", "vegetables", "fruit", "dairy")
WEEKDAY_FRESH = np.array([0.95, 0.93, 0.95, 0.98, 1.04, 1.10, 1.05])
"""Monday-to-Sunday demand for fresh food: the weekend market trip."""
WEEKDAY_DRY = np.array([0.90, 0.90, 0.95, 1.00, 1.05, 1.15, 1.05])
"""Monday-to-Sunday demand for dry goods: the weekly big shop on Saturday."""
SURGE_FADE = np.array([1.0, 0.55, 0.25])
"""Share of a surge's excess left on its first, second and third day."""


@dataclass(frozen=True)
class ShopperDemand:
    """What customers want each day (shape (days, lines)) and the mean it was drawn from."""

    demand: np.ndarray
    mean: np.ndarray
    expected_factor: np.ndarray
    """Weekday and seasonal factor on base demand: what a seller can foresee."""


@dataclass(frozen=True)
class EventPlan:
    """The emergency day by day; neutral (all ones, zeros, False) in ordinary weeks."""

    start_day: int | None
    """First day of the event, None in ordinary weeks."""
    cut: np.ndarray
    """Shape (districts,): roads into the district are cut."""
    recovery_day: np.ndarray
    """Shape (districts,): day deliveries are back in full, -1 if never."""
    access: np.ndarray
    """Shape (days, districts): share of deliveries that get through."""
    supplier_fill: np.ndarray
    """Shape (days, districts): factor on what DCs, wholesalers and farms can supply."""
    extra_lead_days: np.ndarray
    """Shape (days, lines): detour days added to a delivery dispatched that day."""
    demand_factor: np.ndarray
    """Shape (days, lines): surge of buying when the news spreads, then a small dip."""
    planning_lead_allowance: np.ndarray
    """Shape (days,): days chains add to planned lead times once they know of delays."""
    rationing: np.ndarray
    """Shape (days,): rationing stores cap sales of low lines on these days."""
    missed_report_chance: np.ndarray
    """Shape (days, districts): extra chance a store misses its report (power, staff)."""
    price_pressure: np.ndarray
    """Shape (days, districts): share fresh prices rise by."""

    def from_day(self, first_day: int) -> EventPlan:
        """The plan from ``first_day`` on, renumbered so it becomes day 0 (drops a burn-in)."""
        return EventPlan(
            start_day=None if self.start_day is None else self.start_day - first_day,
            cut=self.cut,
            recovery_day=np.where(self.recovery_day >= 0, self.recovery_day - first_day, -1),
            access=self.access[first_day:],
            supplier_fill=self.supplier_fill[first_day:],
            extra_lead_days=self.extra_lead_days[first_day:],
            demand_factor=self.demand_factor[first_day:],
            planning_lead_allowance=self.planning_lead_allowance[first_day:],
            rationing=self.rationing[first_day:],
            missed_report_chance=self.missed_report_chance[first_day:],
            price_pressure=self.price_pressure[first_day:],
        )


def draw_shopper_demand(
    *,
    rng: np.random.Generator,
    base_demand: np.ndarray,
    line_product: np.ndarray,
    line_district: np.ndarray,
    line_category: np.ndarray,
    line_dry: np.ndarray,
    demand_spread: np.ndarray,
    weekday: np.ndarray,
    product_count: int,
    district_count: int,
) -> ShopperDemand:
    """Each line's daily gamma-Poisson demand with weekdays, drift and local surges."""
    days, line_count = len(weekday), len(base_demand)
    profile = np.where(line_dry, WEEKDAY_DRY[weekday][:, None], WEEKDAY_FRESH[weekday][:, None])
    slope = rng.normal(0.0, 0.0012, size=product_count)[line_product]
    centred_days = np.arange(days, dtype=float) - days / 2
    expected_factor = profile * np.exp(np.outer(centred_days, slope))

    wander = np.zeros((days, line_count))
    steps = rng.normal(0.0, 0.03, size=(days, line_count))
    wander[0] = steps[0] / np.sqrt(1 - 0.9**2)
    for day in range(1, days):
        wander[day] = 0.9 * wander[day - 1] + steps[day]

    surge = np.ones((days, district_count, len(CATEGORIES)))
    for district in range(district_count):
        for _ in range(int(rng.poisson(days / 35))):
            first = int(rng.integers(days))
            duration = int(rng.integers(1, 4))
            peak = rng.uniform(1.25, 1.7)
            if rng.random() < 0.35:
                touched = np.arange(len(CATEGORIES))
            else:
                touched = rng.choice(len(CATEGORIES), size=int(rng.integers(1, 3)), replace=False)
            fade = 1.0 + (peak - 1.0) * SURGE_FADE[:duration]
            surge_days = np.arange(first, min(first + duration, days))
            surge[surge_days[:, None], district, touched[None, :]] *= fade[: len(surge_days), None]
    local_surge = surge[:, line_district, line_category]

    shape = 1.0 / demand_spread**2
    spread = rng.gamma(shape, 1.0 / shape, size=(days, line_count))
    mean = base_demand * expected_factor * np.exp(wander) * local_surge * spread
    demand = rng.poisson(mean).astype(float)
    return ShopperDemand(demand=demand, mean=mean, expected_factor=expected_factor)


def ordinary_plan(*, days: int, district_count: int, line_count: int) -> EventPlan:
    """A plan in which nothing happens: the same city in ordinary weeks."""
    return EventPlan(
        start_day=None,
        cut=np.zeros(district_count, dtype=bool),
        recovery_day=np.full(district_count, -1),
        access=np.ones((days, district_count)),
        supplier_fill=np.ones((days, district_count)),
        extra_lead_days=np.zeros((days, line_count), dtype=int),
        demand_factor=np.ones((days, line_count)),
        planning_lead_allowance=np.zeros(days),
        rationing=np.zeros(days, dtype=bool),
        missed_report_chance=np.zeros((days, district_count)),
        price_pressure=np.zeros((days, district_count)),
    )


def plan_flood(
    *,
    rng: np.random.Generator,
    days: int,
    start_day: int,
    outer_districts: np.ndarray,
    district_count: int,
    line_district: np.ndarray,
    line_staple: np.ndarray,
) -> EventPlan:
    """The flood day by day: cut districts, detours, thinner supply, news surge, rationing."""
    plan = ordinary_plan(days=days, district_count=district_count, line_count=len(line_district))
    cut_count = int(rng.integers(2, 4))
    cut_districts = rng.choice(outer_districts, size=cut_count, replace=False)
    severity = rng.uniform(0.0, 0.4, size=cut_count)
    recovers = rng.random(cut_count) < 0.6
    recovers[:2] = (True, False)
    recovery_after = rng.integers(5, 11, size=cut_count)
    jitter = rng.normal(0.0, 0.08, size=(days, cut_count))

    cut = np.zeros(district_count, dtype=bool)
    cut[cut_districts] = True
    recovery_day = np.full(district_count, -1)
    access = plan.access.copy()
    pressure = plan.price_pressure.copy()
    pressure[start_day:] = 0.05
    missed = plan.missed_report_chance.copy()
    for position, district in enumerate(cut_districts):
        reopened = start_day + int(recovery_after[position]) if recovers[position] else days
        cut_days = slice(start_day, min(reopened, days))
        access[cut_days, district] = np.clip(
            severity[position] + jitter[cut_days, position], 0, 0.4
        )
        ramp = np.array([0.6, 0.8, 0.95])[: max(days - reopened, 0)]
        access[reopened : reopened + len(ramp), district] = ramp
        if recovers[position]:
            recovery_day[district] = min(reopened + len(ramp), days)
        cut_length = cut_days.stop - start_day
        pressure[cut_days, district] = np.minimum(0.05 + 0.025 * np.arange(cut_length), 0.3)
        missed[cut_days, district] = 0.10

    supplier_fill = plan.supplier_fill.copy()
    supplier_fill[start_day:] = rng.uniform(0.85, 0.95, size=district_count)
    extra_lead = plan.extra_lead_days.copy()
    extra_lead[start_day:] = rng.choice(
        np.array([0, 1, 2]), size=(days - start_day, len(line_district)), p=[0.35, 0.45, 0.2]
    )

    news_day = start_day + int(rng.integers(1, 3))
    duration = int(rng.integers(1, 4))
    peak = rng.uniform(1.3, 2.0)
    district_peak = np.where(cut, 1.0, 1.0 + (peak - 1.0) * rng.uniform(0.8, 1.2, district_count))
    weight = np.where(line_staple, 1.0, 0.6)
    demand_factor = plan.demand_factor.copy()
    excess = (district_peak[line_district] - 1.0) * weight
    for offset in range(duration):
        demand_factor[news_day + offset] = 1.0 + excess * SURGE_FADE[offset]
    dip = slice(news_day + duration, news_day + duration + 2)
    demand_factor[dip] = np.where(line_staple & ~cut[line_district], 0.9, 1.0)

    rationing = plan.rationing.copy()
    rationing[start_day + 4 :] = True
    allowance = plan.planning_lead_allowance.copy()
    allowance[start_day + 3 :] = 1.0
    return EventPlan(
        start_day=start_day,
        cut=cut,
        recovery_day=recovery_day,
        access=access,
        supplier_fill=supplier_fill,
        extra_lead_days=extra_lead,
        demand_factor=demand_factor,
        planning_lead_allowance=allowance,
        rationing=rationing,
        missed_report_chance=missed,
        price_pressure=pressure,
    )
