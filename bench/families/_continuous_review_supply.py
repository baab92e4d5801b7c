"""Day-by-day physical supply of the continuous-review city: deliveries, sales, spoilage.

Every line follows the replenishment policy of its store kind and product (see
``bench/families/README.md``): chain supermarkets reorder by continuous review (s, S) from
their distribution centre, independent grocers get weekly dry-goods deliveries and buy fresh
goods at the wholesale market, farmers' markets sell what nearby farms bring each morning.
Stock is kept in cohorts by arrival day, sold oldest first and thrown away at shelf life, so
the stock identity stock_t = stock_{t-1} + received_t - sales_t - spoiled_t holds exactly.
All quantities are whole canonical units held in float64, so the sums are exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POLICY_CONTINUOUS_REVIEW = 0
"""Chain supermarket: continuous review (s, S) from the chain's distribution centre."""
POLICY_WEEKLY_DELIVERY = 1
"""Independent grocer, dry goods: a fixed weekly delivery set from last month's sales."""
POLICY_WHOLESALE_RUN = 2
"""Independent grocer, fresh goods: bought at the wholesale market every R days."""
POLICY_FARM_SUPPLY = 3
"""Farmers' market: restocked each morning with what nearby farms bring."""

PLANNING_PERIOD_DAYS = 28
"""Chains and grocers reset their order parameters from the last four weeks of sales."""
DAYS_IN_WEEK = 7


@dataclass(frozen=True)
class LinePolicies:
    """Per-line parameters of the supply simulation (arrays of shape (lines,))."""

    policy: np.ndarray
    district: np.ndarray
    shelf_life: np.ndarray
    base_demand: np.ndarray
    """Mean daily demand on an average weekday, before drift and surges."""
    shrink_rate: np.ndarray
    """Daily share of fresh stock lost to bruising and damage (0 for dry goods)."""
    lead_time_probabilities: np.ndarray
    """Shape (lines, 4): probability of a 1, 2, 3 or 4-day lead time from the DC."""
    safety_factor: np.ndarray
    """The chain's z: reorder point = lead-time demand + z standard deviations."""
    order_cover_days: np.ndarray
    """Days of demand a supermarket order adds on top of the reorder point (S - s)."""
    case_size: np.ndarray
    planning_offset: np.ndarray
    """Day (mod 28) on which the store's chain or owner resets its parameters."""
    delivery_weekday: np.ndarray
    """Weekday (0 = Monday) of a grocer's weekly dry-goods delivery."""
    weekly_margin: np.ndarray
    """Share a grocer's weekly quantity adds to last month's average weekly sales."""
    review_period: np.ndarray
    """Days between a grocer's trips to the wholesale market for this product."""
    buffer_days: np.ndarray
    """Days of extra cover a grocer buys at the wholesale market."""
    farm_margin: np.ndarray
    """What farms bring relative to the expected demand of the day."""
    local_farm_share: np.ndarray
    """Share of a farmers' market's supply grown inside its own district."""
    ration_cap: np.ndarray
    """Most a rationing store sells of the line per day (inf where the store never rations)."""


@dataclass(frozen=True)
class SupplyConditions:
    """What the outside world does to supply and demand each day (first axis: days)."""

    demand: np.ndarray
    """Shape (days, lines): whole units customers want to buy."""
    expected_demand_factor: np.ndarray
    """Shape (days, lines): weekday and seasonal factor on base demand that sellers foresee."""
    weekday: np.ndarray
    """Shape (days,): 0 = Monday."""
    access: np.ndarray
    """Shape (days, districts): share of deliveries that get through to the district."""
    extra_lead_days: np.ndarray
    """Shape (days, lines): days added to a delivery dispatched that day (detours)."""
    supplier_fill: np.ndarray
    """Shape (days, districts): factor on what DCs, wholesalers and farms can supply."""
    planning_lead_allowance: np.ndarray
    """Shape (days,): days chains add to planned lead times once they know of delays."""
    rationing: np.ndarray
    """Shape (days,): True on days on which rationing stores cap sales when low."""
    ration_trigger_days: float
    """A rationing store caps a line's sales when it opens with less than this many days."""


@dataclass(frozen=True)
class SupplyDraws:
    """Random numbers drawn before the simulation, so both event settings share them."""

    lead_uniform: np.ndarray
    late_days: np.ndarray
    fill: np.ndarray
    farm_noise: np.ndarray
    shrink_uniform: np.ndarray
    access_uniform: np.ndarray


@dataclass(frozen=True)
class SupplyTruth:
    """The physical history of every line (shape (days, lines)) and its opening stock."""

    opening_stock: np.ndarray
    stock: np.ndarray
    received: np.ndarray
    sales: np.ndarray
    spoiled: np.ndarray


def draw_supply_randomness(
    *, rng: np.random.Generator, days: int, line_count: int, partial_chance: float
) -> SupplyDraws:
    """The supply's random numbers drawn up front, so the flood changes only what it touches."""
    shape = (days, line_count)
    lead_uniform = rng.random(shape)
    late_days = rng.choice(np.array([0, 1, 2]), size=shape, p=[0.96, 0.03, 0.01])
    partial = rng.random(shape) < partial_chance
    fill = np.where(partial, rng.uniform(0.5, 0.95, size=shape), 1.0)
    farm_noise = rng.lognormal(mean=0.0, sigma=0.12, size=shape)
    return SupplyDraws(
        lead_uniform=lead_uniform,
        late_days=late_days,
        fill=fill,
        farm_noise=farm_noise,
        shrink_uniform=rng.random(shape),
        access_uniform=rng.random(shape),
    )


def take_oldest_first(*, cohorts: np.ndarray, amount: np.ndarray) -> None:
    """Remove ``amount`` per line from the oldest cohorts first, in place: a FIFO shelf."""
    remaining = np.clip(np.cumsum(cohorts, axis=0) - amount, 0.0, None)
    np.minimum(cohorts, remaining, out=cohorts)


def reorder_levels(
    *, policies: LinePolicies, demand_estimate: np.ndarray, lead_allowance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each line's (s, S): lead-time demand plus z deviations, then one order more."""
    lead_days = np.arange(1, 5, dtype=float)
    probabilities = policies.lead_time_probabilities
    lead_mean = probabilities @ lead_days + lead_allowance
    lead_variance = probabilities @ lead_days**2 - (probabilities @ lead_days) ** 2
    daily_variance = demand_estimate + (0.3 * demand_estimate) ** 2
    spread = np.sqrt(lead_mean * daily_variance + demand_estimate**2 * lead_variance)
    reorder_point = np.ceil(demand_estimate * lead_mean + policies.safety_factor * spread)
    order = np.maximum(demand_estimate * policies.order_cover_days, policies.case_size)
    order = np.ceil(order / policies.case_size) * policies.case_size
    return reorder_point, reorder_point + order


def simulate_supply(
    *, policies: LinePolicies, conditions: SupplyConditions, draws: SupplyDraws
) -> SupplyTruth:
    """Every line's physical stock, deliveries, sales and spoilage: the truth judged against."""
    days, line_count = conditions.demand.shape
    columns = np.arange(line_count)
    horizon = days + 12
    arrivals = np.zeros((horizon, line_count))
    ordered_due = np.zeros((horizon, line_count))
    cohorts = np.zeros((days, line_count))
    received = np.zeros((days, line_count))
    sales = np.zeros((days, line_count))
    spoiled = np.zeros((days, line_count))
    stock = np.zeros((days, line_count))

    continuous = policies.policy == POLICY_CONTINUOUS_REVIEW
    weekly = policies.policy == POLICY_WEEKLY_DELIVERY
    wholesale_run = policies.policy == POLICY_WHOLESALE_RUN
    farm = policies.policy == POLICY_FARM_SUPPLY
    base = policies.base_demand
    lead_cumulative = np.cumsum(policies.lead_time_probabilities, axis=1)[:, :3]

    demand_estimate = base.copy()
    weekly_quantity = np.ceil(base * DAYS_IN_WEEK * (1.0 + policies.weekly_margin))
    reorder_point, order_up_to = reorder_levels(
        policies=policies, demand_estimate=demand_estimate, lead_allowance=0.0
    )
    opening = np.where(
        continuous,
        order_up_to,
        np.where(weekly, 2 * weekly_quantity, np.ceil(base * (policies.review_period + 1))),
    )
    cohorts[0] = opening
    on_order = np.zeros(line_count)
    previous_stock = opening.copy()

    for day in range(days):
        line_access = conditions.access[day, policies.district]
        line_access = np.where(
            farm, np.maximum(line_access, policies.local_farm_share), line_access
        )
        arrived = np.floor(arrivals[day] * line_access + draws.access_uniform[day])
        arrived = np.minimum(arrived, arrivals[day])
        on_order -= ordered_due[day]
        cohorts[day] += arrived
        received[day] = arrived
        available = previous_stock + arrived

        wanted = conditions.demand[day]
        if conditions.rationing[day]:
            short = available < conditions.ration_trigger_days * base
            wanted = np.where(short, np.minimum(wanted, policies.ration_cap), wanted)
        sold = np.minimum(wanted, available)
        sales[day] = sold
        shelf = cohorts[: day + 1]
        take_oldest_first(cohorts=shelf, amount=sold)

        expiring_row = day - policies.shelf_life + 1
        expiring = expiring_row >= 0
        expired = np.zeros(line_count)
        expired[expiring] = cohorts[expiring_row[expiring], columns[expiring]]
        cohorts[expiring_row[expiring], columns[expiring]] = 0.0
        left = shelf.sum(axis=0)
        shrink = np.minimum(np.floor(left * policies.shrink_rate + draws.shrink_uniform[day]), left)
        take_oldest_first(cohorts=shelf, amount=shrink)
        spoiled[day] = expired + shrink
        today_stock = left - shrink
        stock[day] = today_stock
        previous_stock = today_stock

        if day + 1 >= days:
            break
        district_fill = conditions.supplier_fill[day, policies.district]
        replanning = (day >= PLANNING_PERIOD_DAYS) & (
            (day - policies.planning_offset) % PLANNING_PERIOD_DAYS == 0
        )
        if replanning.any():
            month = slice(day - PLANNING_PERIOD_DAYS + 1, day + 1)
            recent = sales[month].mean(axis=0)
            # Chains' forecasting leaves out days that ended out of stock (their sales
            # understate demand) and keeps the old estimate without a week of clean days.
            in_stock = stock[month] > 0
            clean_days = in_stock.sum(axis=0)
            clean = (sales[month] * in_stock).sum(axis=0) / np.maximum(clean_days, 1)
            chain_estimate = np.where(clean_days >= DAYS_IN_WEEK, clean, demand_estimate)
            demand_estimate = np.where(replanning, np.maximum(chain_estimate, 0.3), demand_estimate)
            monthly = np.ceil(recent * DAYS_IN_WEEK * (1.0 + policies.weekly_margin))
            weekly_quantity = np.where(replanning, monthly, weekly_quantity)
        reorder_point, order_up_to = reorder_levels(
            policies=policies,
            demand_estimate=demand_estimate,
            lead_allowance=float(conditions.planning_lead_allowance[day]),
        )

        # Chain supermarkets: continuous review of the inventory position.
        position = today_stock + on_order
        ordering = continuous & (position <= reorder_point)
        quantity = np.ceil((order_up_to - position) / policies.case_size) * policies.case_size
        lead = 1 + (draws.lead_uniform[day][:, None] > lead_cumulative).sum(axis=1)
        lead = lead + draws.late_days[day] + conditions.extra_lead_days[day]
        shipped = np.floor(quantity * draws.fill[day] * district_fill)
        rows = day + lead[ordering]
        arrivals[rows, columns[ordering]] += shipped[ordering]
        ordered_due[rows, columns[ordering]] += quantity[ordering]
        on_order[ordering] += quantity[ordering]

        # Independent grocers, dry goods: the weekly delivery dispatched for tomorrow.
        next_weekday = conditions.weekday[day + 1]
        dispatching = weekly & (policies.delivery_weekday == next_weekday)
        room = np.maximum(3 * weekly_quantity - today_stock, 0.0)
        weekly_shipped = np.floor(
            np.minimum(weekly_quantity, room) * draws.fill[day] * district_fill
        )
        weekly_rows = day + 1 + draws.late_days[day] + conditions.extra_lead_days[day]
        arrivals[weekly_rows[dispatching], columns[dispatching]] += weekly_shipped[dispatching]

        # Independent grocers, fresh goods: tomorrow's trip to the wholesale market.
        buying = wholesale_run & (
            (day + 1 - policies.planning_offset) % policies.review_period == 0
        )
        # The owner buys for the larger of last week's and last month's sales (he remembers
        # a normal month after a bad week), 10 % more per day the shelf was empty this week.
        week = slice(max(day - DAYS_IN_WEEK + 1, 0), day + 1)
        month = slice(max(day - PLANNING_PERIOD_DAYS + 1, 0), day + 1)
        usual = np.maximum(sales[week].mean(axis=0), sales[month].mean(axis=0))
        usual = usual if day >= DAYS_IN_WEEK else base
        estimate = usual * (1.0 + 0.1 * (stock[week] <= 0).sum(axis=0))
        target = np.ceil(estimate * (policies.review_period + policies.buffer_days))
        bought = np.floor(np.maximum(target - today_stock, 0.0) * draws.fill[day] * district_fill)
        arrivals[day + 1, buying] += bought[buying]

        # Farmers' markets: what the farms bring tomorrow morning.
        expected = base * conditions.expected_demand_factor[day + 1]
        brought = expected * policies.farm_margin * draws.farm_noise[day + 1] * district_fill
        brought = np.floor(np.maximum(brought - 0.3 * today_stock, 0.0) + 0.5)
        arrivals[day + 1, farm] += brought[farm]

    return SupplyTruth(
        opening_stock=opening, stock=stock, received=received, sales=sales, spoiled=spoiled
    )
