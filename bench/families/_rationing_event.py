"""The import shock, the rumour waves, the purchase limits and the reserve releases, day by day.

Drawn from its own random stream so that the ordinary city (the neutral plan) and the
emergency city share every number before the event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.families._rationing_city import IMPORT_SHARE, City

DISRUPTED_SHARE = 0.6
"""A line is disrupted when its wholesale supply falls below this share of the ordinary…"""
DISRUPTED_DAYS = 3
"""…on at least this many reported event days."""

OILS = ("peanut_oil", "soybean_oil", "rapeseed_oil", "blended_oil")
RUMOURS: tuple[tuple[str, ...], ...] = (
    ("instant_noodles", "ham_sausage"),
    ("eggs", "duck_eggs"),
    ("milk", "milk_powder"),
    ("garlic", "ginger"),
    ("millet", "corn_flour"),
    ("rice", "flour", "noodles_dry"),
    OILS,
)
"""Products a later rumour sends people for: noodles 'made from imported palm oil and wheat',
eggs 'from hens fed imported soybean meal', milk powder, folk remedies, the grain substitutes,
'stricter limits next week' on rice and flour, 'oil runs out on Friday'."""
SUBSTITUTES = {"millet": 1.2, "corn_flour": 1.2, "potato": 1.1, "steamed_buns": 1.1}
"""Lasting lift on what households eat instead of rice and flour while they are scarce."""
WAVE_SHAPE = (1.0, 0.5, 0.2)
"""Share of a wave's peak surplus on its first, second and third day."""
RESERVE_DRAW = 1.3
"""Demand on reserve goods at designated stores from the first release: shoppers come there."""
AFTER_WAVE = 0.85
"""Demand on a wave's products for the three days after it: pantries are full."""


@dataclass(frozen=True)
class Wave:
    """One rumour-driven hoarding wave (internal days)."""

    first: int
    length: int
    products: tuple[str, ...]
    peak: float


@dataclass(frozen=True)
class EventPlan:
    """What the event does on each simulated day (index 0 = the first warm-up day)."""

    start: int | None
    closure: tuple[int, int]  # port closed from, import supply back in full from
    limits: tuple[int, int]  # purchase limits from, lifted from
    announced: int | None  # day the limits and the release timetable are announced
    release_days: tuple[int, ...]  # reserve deliveries, every seventh day
    waves: tuple[Wave, ...]
    supply_share: np.ndarray  # (days, lines) wholesale supply as a share of ordinary volume
    fill: np.ndarray  # (days, lines) multiplier on ordinary fills (mild disruption)
    extra_lead: np.ndarray  # (days, lines) days added to orders placed that evening
    demand: np.ndarray  # (days, lines) demand multiplier
    basket: np.ndarray  # (days, lines) multiplier on what one buyer wants
    limited: np.ndarray  # (days, lines) the purchase limit applies
    reserve: np.ndarray  # (days, lines) state-reserve quantity arriving that morning
    price: np.ndarray  # (days, lines) price multiplier
    report_skip: np.ndarray  # (days,) multiplier on the chance a store skips its report

    def disrupted(self, first_day: int, last_day: int) -> np.ndarray:
        """Lines whose wholesale supply fell below 60 % on 3+ days of ``first_day..last_day``."""
        window = self.supply_share[first_day : last_day + 1]
        return (window < DISRUPTED_SHARE).sum(axis=0) >= DISRUPTED_DAYS


def neutral_plan(city: City, days: int) -> EventPlan:
    """Ordinary weeks: full supply, no waves, no limits, no reserve."""
    n = city.line_count
    ones = np.ones((days, n))
    return EventPlan(
        start=None,
        closure=(days, days),
        limits=(days, days),
        announced=None,
        release_days=(),
        waves=(),
        supply_share=ones,
        fill=ones,
        extra_lead=np.zeros((days, n), dtype=int),
        demand=ones,
        basket=ones,
        limited=np.zeros((days, n), dtype=bool),
        reserve=np.zeros((days, n)),
        price=ones,
        report_skip=np.ones(days),
    )


def _ramp(days: int, first: int, length: int) -> np.ndarray:
    """0 before ``first``, rising linearly to 1 over ``length`` days."""
    return np.clip((np.arange(days) - first + 1) / max(length, 1), 0.0, 1.0)


def _supply(city: City, days: int, start: int, reopen: int, rng: np.random.Generator) -> np.ndarray:
    """(days, lines) wholesale supply of each line as a share of its ordinary volume."""
    drain = int(rng.integers(4, 8))
    trickle = rng.uniform(0.1, 0.25)
    recovery = int(rng.integers(7, 11))
    # The importer rations its warehouse stock over a few days, then only a trickle comes
    # (transhipment through other ports); after the port reopens the queue of ships clears.
    importer = 1.0 - (1.0 - trickle) * _ramp(days, start, drain)
    importer = np.maximum(importer, trickle + (1.0 - trickle) * _ramp(days, reopen, recovery))
    importer[:start] = 1.0
    # Other provinces' grain by rail and local mills on extra shifts fill part of the gap.
    products = sorted(IMPORT_SHARE)
    extra = {code: rng.uniform(0.2, 0.5) for code in products}
    noise = {code: rng.uniform(0.9, 1.1, days) for code in products}
    local_ramp = _ramp(days, start + 5, 14)
    share = np.ones((days, city.line_count))
    for code in products:
        lines = city.product == code
        imported = IMPORT_SHARE[code]
        local = (1.0 - imported) * (1.0 + extra[code] * local_ramp)
        product_share = np.minimum(1.0, (imported * importer + local) * noise[code])
        product_share[:start] = 1.0
        share[:, lines] = product_share[:, None]
    return share


def _waves(
    city: City, days: int, start: int, last: int, rng: np.random.Generator
) -> tuple[Wave, ...]:
    """The announcement's own wave on grain and oil, then two to four rumour waves."""
    imported = tuple(sorted(IMPORT_SHARE))
    waves = [Wave(start, int(rng.integers(2, 4)), imported, float(rng.uniform(2.2, 3.5)))]
    groups = list(rng.permutation(len(RUMOURS)))
    day = start + waves[0].length + int(rng.integers(1, 4))
    for group in groups[: int(rng.integers(2, 5))]:
        if day > last - 2:
            break
        wave = Wave(day, int(rng.integers(1, 4)), RUMOURS[group], float(rng.uniform(1.8, 3.2)))
        waves.append(wave)
        day += wave.length + int(rng.integers(2, 6))
    return tuple(waves)


def draw_event(
    city: City, days: int, start: int, last_reported: int, rng: np.random.Generator
) -> EventPlan:
    """Draw the shock from ``start`` (an internal day) to the end of the history."""
    n = city.line_count
    reopen = start + int(rng.integers(16, 31))
    supply = _supply(city, days, start, reopen, rng)
    waves = _waves(city, days, start, last_reported, rng)
    announced = start + int(rng.integers(2, 4))
    limits = (announced + 1, min(reopen + 7, days))
    first_release = announced + int(rng.integers(2, 5))
    release_days = tuple(range(first_release, min(reopen + 7, days), 7))
    # Demand: each wave is city-wide (the rumour spreads on social media), a little stronger
    # or weaker by district, then pantries are full for three days.
    demand = np.ones((days, n))
    basket = np.ones((days, n))
    district = sorted(set(city.stores["district"]))
    district_lift = dict(zip(district, rng.uniform(0.8, 1.2, len(district)), strict=True))
    store_lift = city.stores["district"].map(district_lift).to_numpy(float)[city.line_store]
    line_lift = store_lift * rng.lognormal(0.0, 0.1, n)
    for wave in waves:
        lines = np.isin(city.product, wave.products)
        for offset in range(wave.length):
            surplus = (wave.peak - 1.0) * WAVE_SHAPE[offset] * line_lift
            multiplier = np.maximum(1.0 + surplus, 1.0)
            demand[wave.first + offset, lines] *= multiplier[lines]
            # Half of the surplus is more buyers, half bigger baskets per buyer.
            basket[wave.first + offset, lines] *= np.sqrt(multiplier[lines])
        after = slice(wave.first + wave.length, wave.first + wave.length + 3)
        demand[after, lines] *= AFTER_WAVE
    # The notice names the emergency supply points: their reserve goods draw shoppers.
    if release_days:
        demand[release_days[0] : limits[1], city.reserve_line] *= RESERVE_DRAW
    substitute_from = announced + 1
    for code, lift in SUBSTITUTES.items():
        lines = city.product == code
        demand[substitute_from : reopen + 7, lines] *= lift
    limited = np.zeros((days, n), dtype=bool)
    capped = city.enforces_limit[city.line_store] & np.isfinite(city.limit)
    limited[limits[0] : limits[1]] = capped
    # Reserve: the bureau's weekly allotment, filled 60-100 % per store and release.
    reserve = np.zeros((days, n))
    stores = len(city.stores)
    for day in release_days:
        store_fill = rng.uniform(0.6, 1.0, stores)[city.line_store]
        reserve[day] = np.where(city.reserve_line, np.round(city.reserve_quota * store_fill), 0.0)
    # Other goods: mild disruption; the hoarded goods' distributors run short after a wave.
    fill = np.ones((days, n))
    event_days = np.arange(days) >= start
    ordinary = city.import_share == 0
    fill[event_days] = np.where(ordinary, rng.uniform(0.92, 1.0, (int(event_days.sum()), n)), 1.0)
    for wave in waves[1:]:
        lines = np.isin(city.product, wave.products) & ordinary
        drained = slice(wave.first, wave.first + wave.length + 3)
        fill[drained, lines] *= rng.uniform(0.7, 0.95)
    extra_lead = np.where(
        event_days[:, None] & ordinary[None, :], rng.random((days, n)) < 0.1, 0
    ).astype(int)
    price = _prices(city, days, start, waves, rng)
    return EventPlan(
        start=start,
        closure=(start, reopen),
        limits=limits,
        announced=announced,
        release_days=release_days,
        waves=waves,
        supply_share=supply,
        fill=fill,
        extra_lead=extra_lead,
        demand=demand,
        basket=basket,
        limited=limited,
        reserve=reserve,
        price=price,
        report_skip=np.where(event_days, 1.3, 1.0),
    )


def _prices(
    city: City, days: int, start: int, waves: tuple[Wave, ...], rng: np.random.Generator
) -> np.ndarray:
    """Grain and oil dearer over a week (designated stores sell reserve goods at a fixed
    price), wave goods dearer while the wave lasts, fresh goods a little."""
    n = city.line_count
    imported = city.import_share > 0
    designated = city.designated[city.line_store]
    rise = np.where(imported, rng.uniform(0.15, 0.40, n), 0.0)
    rise = np.where(imported & designated, rng.uniform(0.0, 0.05, n), rise)
    rise = np.where(~imported & (city.shelf_life <= 30), 0.02, rise)
    price = 1.0 + _ramp(days, start, 7)[:, None] * rise[None, :]
    for wave in waves[1:]:
        lines = np.isin(city.product, wave.products) & ~imported
        price[wave.first : wave.first + wave.length + 2, lines] *= 1.0 + rng.uniform(0.05, 0.12)
    return price
