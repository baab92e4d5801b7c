"""Independent references for the matcher's tests: random boards, and their optimum found
two other ways.

Nothing here imports ``supply_network``: distances, allowed pairs and costs are written
again from the rules in docs/matching.md, in plain Python.

- ``brute_force_optimum`` enumerates every integer allocation of a tiny board (integral
  data have an integral lexicographic optimum, with or without lots) and keeps the best:
  most served at the highest priority level, then the next, ..., then the least cost.
- ``dense_optimum`` solves a differently laid out model: every offer x need pair of a
  product is a variable (forbidden pairs bounded to 0, a binary on every pair when lots
  exist), and the priority levels are optimised one after another (preemptive), never
  through weights.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

EARTH_RADIUS_KM = 6371.0088
CENTRE = (33.73, 113.30)


@dataclass(frozen=True)
class BoardOffer:
    offer_id: int
    product: str
    quantity: float
    price: float
    latitude: float
    longitude: float
    available_from: date
    available_to: date
    minimum_lot: float
    committed_quantity: float

    @property
    def remaining(self) -> float:
        """What a run may still allocate."""
        return max(self.quantity - self.committed_quantity, 0.0)


@dataclass(frozen=True)
class BoardNeed:
    need_id: int
    product: str
    quantity: float
    max_price: float
    needed_by: date
    latitude: float
    longitude: float
    priority: int


@dataclass(frozen=True)
class Board:
    """A board as plain records, with the settings the tests match it under."""

    offers: list[BoardOffer]
    needs: list[BoardNeed]
    kg_per_unit: dict[str, float]
    maximum_distance_km: float
    road_factor: float
    price_weight: float
    cache: dict[tuple[int, int], float] = field(default_factory=dict, compare=False)

    def offers_frame(self) -> pd.DataFrame:
        """The offers as the frame the matcher takes."""
        return pd.DataFrame([vars(offer) for offer in self.offers])

    def needs_frame(self) -> pd.DataFrame:
        """The needs as the frame the matcher takes."""
        return pd.DataFrame([vars(need) for need in self.needs])

    def distance_km(self, offer: BoardOffer, need: BoardNeed) -> float:
        """Road km between an offer and a need: haversine x road factor, one pair at a time."""
        key = (offer.offer_id, need.need_id)
        if key not in self.cache:
            phi1, phi2 = math.radians(offer.latitude), math.radians(need.latitude)
            half = (
                math.sin((phi2 - phi1) / 2) ** 2
                + math.cos(phi1)
                * math.cos(phi2)
                * math.sin(math.radians(need.longitude - offer.longitude) / 2) ** 2
            )
            self.cache[key] = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(half)) * self.road_factor
        return self.cache[key]

    def in_range(self, offer: BoardOffer, need: BoardNeed) -> bool:
        """Same product and within the maximum road distance."""
        return (
            offer.product == need.product
            and self.distance_km(offer, need) <= self.maximum_distance_km
        )

    def allowed(self, offer: BoardOffer, need: BoardNeed) -> bool:
        """Whether the rules let this offer serve this need at all."""
        return (
            self.in_range(offer, need)
            and offer.price <= need.max_price
            and offer.available_from <= need.needed_by
        )

    def unit_cost(self, offer: BoardOffer, need: BoardNeed) -> float:
        """Cost of one unit over the pair: kg x road km plus the price term."""
        return (
            self.kg_per_unit[offer.product] * self.distance_km(offer, need)
            + self.price_weight * offer.price
        )

    def levels(self) -> list[int]:
        """Priority levels present, highest first."""
        return sorted({need.priority for need in self.needs}, reverse=True)


@dataclass(frozen=True)
class Optimum:
    """A board's lexicographic optimum: kg served per level (highest first) and its cost."""

    served_kg_by_level: dict[int, float]
    cost: float


def random_board(
    seed: int,
    *,
    offers: int,
    needs: int,
    products: int,
    integral: bool,
    lot_share: float,
    quantity_high: int = 60,
    lot_high: int | None = None,
    spread_degrees: float = 0.5,
) -> Board:
    """A random board: places within ``spread_degrees`` of a centre, quantities up to
    ``quantity_high``, mixed prices, dates, priorities (0-2), some committed quantity, and
    minimum lots (2 to ``lot_high``, default half the largest quantity) on ``lot_share``
    of the offers."""
    rng = np.random.default_rng(seed)
    names = [f"product_{index}" for index in range(products)]
    kg_per_unit = {name: float(rng.choice([1.0, 0.5, 0.92, 2.0])) for name in names}
    start = date(2024, 5, 1)

    def amount(low: int, high: int) -> float:
        if integral:
            return float(rng.integers(low, high + 1))
        return round(float(rng.uniform(low, high)), 3)

    def place() -> tuple[float, float]:
        return (
            CENTRE[0] + float(rng.uniform(-spread_degrees, spread_degrees)),
            CENTRE[1] + float(rng.uniform(-spread_degrees, spread_degrees)),
        )

    board_offers = []
    for offer_id in range(offers):
        latitude, longitude = place()
        quantity = amount(1, quantity_high)
        available_from = start + timedelta(days=int(rng.integers(0, 4)))
        has_lot = rng.random() < lot_share
        board_offers.append(
            BoardOffer(
                offer_id=100 + offer_id,
                product=str(rng.choice(names)),
                quantity=quantity,
                price=float(rng.integers(3, 9)),
                latitude=latitude,
                longitude=longitude,
                available_from=available_from,
                available_to=available_from + timedelta(days=int(rng.integers(0, 5))),
                minimum_lot=amount(2, max(2, lot_high or quantity_high // 2)) if has_lot else 0.0,
                committed_quantity=(
                    min(quantity, amount(1, max(1, quantity_high // 3)))
                    if rng.random() < 0.2
                    else 0.0
                ),
            )
        )
    board_needs = []
    for need_id in range(needs):
        latitude, longitude = place()
        board_needs.append(
            BoardNeed(
                need_id=500 + need_id,
                product=str(rng.choice(names)),
                quantity=amount(1, quantity_high),
                max_price=float(rng.integers(4, 10)),
                needed_by=start + timedelta(days=int(rng.integers(0, 5))),
                latitude=latitude,
                longitude=longitude,
                priority=int(rng.choice([0, 0, 1, 2])),
            )
        )
    return Board(
        offers=board_offers,
        needs=board_needs,
        kg_per_unit=kg_per_unit,
        maximum_distance_km=60.0,
        road_factor=1.3,
        price_weight=float(rng.choice([0.0, 2.0])),
    )


def lot_heavy_board(seed: int, *, offers: int, needs: int, need_high: int) -> Board:
    """A tiny board of one product where lots bind: every pair allowed, most offers lotted
    (2-5) and needs of 1 to ``need_high``, at mixed priorities, so lots decide who is served."""
    rng = np.random.default_rng(seed)
    day = date(2024, 5, 1)

    def place() -> tuple[float, float]:
        return (
            CENTRE[0] + float(rng.uniform(-0.05, 0.05)),
            CENTRE[1] + float(rng.uniform(-0.05, 0.05)),
        )

    board_offers = []
    for offer_id in range(offers):
        latitude, longitude = place()
        board_offers.append(
            BoardOffer(
                offer_id=100 + offer_id,
                product="rice",
                quantity=float(rng.integers(2, 7)),
                price=5.0,
                latitude=latitude,
                longitude=longitude,
                available_from=day,
                available_to=day,
                minimum_lot=float(rng.integers(2, 6)) if rng.random() < 0.8 else 0.0,
                committed_quantity=0.0,
            )
        )
    board_needs = []
    for need_id in range(needs):
        latitude, longitude = place()
        board_needs.append(
            BoardNeed(
                need_id=500 + need_id,
                product="rice",
                quantity=float(rng.integers(1, need_high + 1)),
                max_price=6.0,
                needed_by=day,
                latitude=latitude,
                longitude=longitude,
                priority=int(rng.integers(0, 3)),
            )
        )
    return Board(
        offers=board_offers,
        needs=board_needs,
        kg_per_unit={"rice": 1.0},
        maximum_distance_km=60.0,
        road_factor=1.3,
        price_weight=0.0,
    )


def _allocations(
    pairs: list[tuple[BoardOffer, BoardNeed]],
    left_offer: dict[int, float],
    left_need: dict[int, float],
) -> Iterator[list[float]]:
    """Every integer allocation over the pairs that fits supply, demand and minimum lots."""
    if not pairs:
        yield []
        return
    (offer, need), rest = pairs[0], pairs[1:]
    cap = int(min(left_offer[offer.offer_id], left_need[need.need_id]))
    values = [0] + [value for value in range(1, cap + 1) if value >= offer.minimum_lot]
    for value in values:
        left_offer[offer.offer_id] -= value
        left_need[need.need_id] -= value
        for tail in _allocations(rest, left_offer, left_need):
            yield [float(value), *tail]
        left_offer[offer.offer_id] += value
        left_need[need.need_id] += value


def brute_force_optimum(board: Board) -> Optimum:
    """The lexicographic optimum of a tiny integral board, by trying every allocation."""
    pairs = [
        (offer, need)
        for offer in board.offers
        for need in board.needs
        if board.allowed(offer, need)
    ]
    levels = board.levels()
    best_key: tuple[float, ...] | None = None
    best = Optimum(served_kg_by_level=dict.fromkeys(levels, 0.0), cost=0.0)
    for allocation in _allocations(
        pairs,
        {offer.offer_id: offer.remaining for offer in board.offers},
        {need.need_id: need.quantity for need in board.needs},
    ):
        served = dict.fromkeys(levels, 0.0)
        cost = 0.0
        for (offer, need), value in zip(pairs, allocation, strict=True):
            served[need.priority] += value * board.kg_per_unit[need.product]
            cost += value * board.unit_cost(offer, need)
        key = (*(round(served[level], 9) for level in levels), -round(cost, 9))
        if best_key is None or key > best_key:
            best_key = key
            best = Optimum(served_kg_by_level=served, cost=cost)
    return best


def dense_optimum(board: Board) -> Optimum:
    """The lexicographic optimum by preemptive stages over a dense pair layout, per product."""
    levels = board.levels()
    served_total = dict.fromkeys(levels, 0.0)
    cost_total = 0.0
    for product in sorted({need.product for need in board.needs}):
        offers = [offer for offer in board.offers if offer.product == product]
        needs = [need for need in board.needs if need.product == product]
        if not offers:
            continue
        served, cost = _dense_product(board, offers, needs, levels)
        for level in levels:
            served_total[level] += served[level]
        cost_total += cost
    return Optimum(served_kg_by_level=served_total, cost=cost_total)


def _dense_product(
    board: Board, offers: list[BoardOffer], needs: list[BoardNeed], levels: list[int]
) -> tuple[dict[int, float], float]:
    """One product's optimum: served kg per level and cost."""
    m, n = len(offers), len(needs)
    size = m * n
    upper = np.zeros(size)
    lot = np.zeros(size)
    cost = np.zeros(size)
    level_of = np.zeros(size, dtype=int)
    for i, offer in enumerate(offers):
        for j, need in enumerate(needs):
            k = i * n + j
            level_of[k] = need.priority
            cost[k] = board.unit_cost(offer, need)
            lot[k] = offer.minimum_lot
            if board.allowed(offer, need):
                upper[k] = min(offer.remaining, need.quantity)
    supply_rows = np.kron(np.eye(m), np.ones((1, n)))
    demand_rows = np.kron(np.ones((1, m)), np.eye(n))
    with_binaries = bool((lot > 0).any())
    width = 2 * size if with_binaries else size
    blank = np.zeros((m + n, width - size))
    constraints = [
        LinearConstraint(
            np.hstack([np.vstack([supply_rows, demand_rows]), blank]),
            -np.inf,
            np.concatenate(
                [[offer.remaining for offer in offers], [need.quantity for need in needs]]
            ),
        )
    ]
    integrality = np.zeros(width)
    bounds = Bounds(np.zeros(width), np.concatenate([upper, np.ones(width - size)]))
    if with_binaries:
        integrality[size:] = 1
        identity = np.eye(size)
        constraints.append(LinearConstraint(np.hstack([identity, -np.diag(upper)]), -np.inf, 0))
        constraints.append(LinearConstraint(np.hstack([identity, -np.diag(lot)]), 0, np.inf))
    options = {"mip_rel_gap": 1e-9}
    served: dict[int, float] = {}
    for level in levels:
        pick = np.concatenate([(level_of == level).astype(float), np.zeros(width - size)])
        result = milp(
            -pick, integrality=integrality, bounds=bounds, constraints=constraints, options=options
        )
        assert result.status == 0, result.message
        best = float(pick @ result.x)
        constraints.append(LinearConstraint(pick, best - 1e-9 * max(1.0, best), np.inf))
        served[level] = best * board.kg_per_unit[offers[0].product]
    result = milp(
        np.concatenate([cost, np.zeros(width - size)]),
        integrality=integrality,
        bounds=bounds,
        constraints=constraints,
        options=options,
    )
    assert result.status == 0, result.message
    return served, float(result.fun)
