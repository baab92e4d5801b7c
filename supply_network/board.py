"""The supply/demand board as the matchers see it: offers, needs, settings and results.

Producers post **offers** and stores, chains or the bureau post **needs**; a matcher turns
them into **proposals** (offer, need, quantity). Both the optimiser (``matching``) and the
nearest-first baseline (``greedy``) read the same inputs, allow the same pairs and explain
what they could not serve in the same words, so this module holds what they share:

- the input records (``Offer``, ``Need``) and their data-frame form, whose columns are
  listed in ``OFFER_COLUMNS`` and ``NEED_COLUMNS``;
- which offer x need pairs are allowed (same product, price within the need's limit,
  available by the need's date, road distance within the maximum);
- the result (``MatchResult``): proposals, and per need what was met, what was not, and why.

Quantities are real numbers in the product's canonical unit (kg, L, piece); a product's
kg per unit turns them into the weight that is hauled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from core.text import N_
from supply_network.geography import DEFAULT_ROAD_FACTOR, road_distance_km

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

OFFER_COLUMNS: Mapping[str, str] = {
    "offer_id": "the offer's id (unique on the board)",
    "product": "product code, e.g. 'rice'",
    "quantity": "quantity offered, in the product's canonical unit",
    "price": "price asked, CNY per unit",
    "latitude": "pickup latitude, degrees",
    "longitude": "pickup longitude, degrees",
    "available_from": "first day the goods can be picked up (date)",
    "available_to": "last day the goods can be picked up (date)",
    "minimum_lot": "optional: smallest quantity sold to one need (0 or missing: none)",
    "committed_quantity": "optional: quantity already promised by accepted proposals",
}
"""Columns of an offers frame; the last two may be left out (then 0)."""

NEED_COLUMNS: Mapping[str, str] = {
    "need_id": "the need's id (unique on the board)",
    "product": "product code",
    "quantity": "quantity still needed, in the product's canonical unit",
    "max_price": "highest acceptable price, CNY per unit",
    "needed_by": "day by which the goods must be picked up to arrive in time (date)",
    "latitude": "delivery latitude, degrees",
    "longitude": "delivery longitude, degrees",
    "priority": "optional: integer level, higher is served first (0, the default: normal)",
}
"""Columns of a needs frame; ``priority`` may be left out (then every need is normal)."""

REQUIRED_OFFER_COLUMNS = tuple(OFFER_COLUMNS)[:8]
REQUIRED_NEED_COLUMNS = tuple(NEED_COLUMNS)[:7]

PROPOSAL_COLUMNS = (
    "offer_id",
    "need_id",
    "product",
    "quantity",
    "weight_kg",
    "distance_km",
    "cost",
)
NEED_OUTCOME_COLUMNS = (
    "need_id",
    "product",
    "priority",
    "quantity",
    "met_quantity",
    "unmet_quantity",
    "reason",
)

RELATIVE_TOLERANCE = 1e-9
"""Quantities closer than this (relative to the quantity, or absolute below 1) are equal."""

SolveMode = Literal["per_product", "block"]


class UnmetReason(StrEnum):
    """Why some of a need's quantity is left unmet: the first test, in this order, that fails."""

    NO_OFFER = "no_offer"
    """No open offer of the product on the board."""
    OUT_OF_RANGE = "out_of_range"
    """Every offer of the product is farther than the maximum road distance."""
    PRICE_ABOVE_LIMIT = "price_above_limit"
    """Every offer within range asks more than the need's highest price."""
    NOT_AVAILABLE_IN_TIME = "not_available_in_time"
    """Every offer within range and price becomes available only after the need's date."""
    LOT_DOES_NOT_FIT = "lot_does_not_fit"
    """An allowed offer still has quantity, but its minimum lot exceeds what could be taken."""
    ALL_TAKEN = "all_taken"
    """Every allowed offer is used up, by other needs or by earlier commitments."""


UNMET_REASON_WORDS: dict[UnmetReason, str] = {
    UnmetReason.NO_OFFER: N_("no open offer of the product"),
    UnmetReason.OUT_OF_RANGE: N_("every offer is farther than the maximum road distance"),
    UnmetReason.PRICE_ABOVE_LIMIT: N_("every offer in range asks more than the highest price"),
    UnmetReason.NOT_AVAILABLE_IN_TIME: N_("every offer in range and price comes too late"),
    UnmetReason.LOT_DOES_NOT_FIT: N_("an offer's minimum lot is more than could be taken"),
    UnmetReason.ALL_TAKEN: N_("every allowed offer is already taken"),
}
"""What a person reads for each reason (a message id for the catalogue)."""


class InvalidBoard(ValueError):
    """Offers or needs that cannot be matched as given: missing columns, bad values, ids twice."""


@dataclass(frozen=True, slots=True)
class Offer:
    """A producer's offer on the board (one row of an offers frame)."""

    offer_id: int
    product: str
    quantity: float
    price: float
    latitude: float
    longitude: float
    available_from: date
    available_to: date
    minimum_lot: float = 0.0
    committed_quantity: float = 0.0


@dataclass(frozen=True, slots=True)
class Need:
    """A store's, chain's or district's need on the board (one row of a needs frame)."""

    need_id: int
    product: str
    quantity: float
    max_price: float
    needed_by: date
    latitude: float
    longitude: float
    priority: int = 0


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """How a match run weighs and limits pairs, and how it calls the solver."""

    maximum_distance_km: float = 120.0
    """Pairs farther apart by road are never proposed."""
    road_factor: float = DEFAULT_ROAD_FACTOR
    """Road km per great-circle km."""
    price_weight_kg_km_per_cny: float = 0.0
    """Price term: one CNY of price is worth this many kg x km of hauling (0: distance only)."""
    solve_mode: SolveMode = "block"
    """One solve per product, or one block-diagonal solve of the whole board."""
    mip_relative_gap: float = 1e-4
    """With lots, the least-cost MILP stops within this relative gap of its bound (HiGHS's
    default): the cost may be this share above the optimum; priority levels are exact."""


@dataclass(frozen=True)
class MatchResult:
    """Proposals of a match run and the outcome of every need.

    ``proposals`` has the columns of ``PROPOSAL_COLUMNS`` (cost: kg x road km, plus the
    price term); ``needs`` one row per need with the columns of ``NEED_OUTCOME_COLUMNS``,
    ``reason`` being an ``UnmetReason`` value, or None when the need is fully met.
    """

    proposals: pd.DataFrame
    needs: pd.DataFrame

    @property
    def total_cost(self) -> float:
        """Sum of the proposals' costs: the figure the optimiser minimises after priority."""
        return float(self.proposals["cost"].sum())

    def served_kg_by_priority(self) -> dict[int, float]:
        """Kilograms met per priority level, highest level first: the lexicographic score."""
        met_kg_by_need = self.proposals.groupby("need_id")["weight_kg"].sum()
        met_kg = self.needs["need_id"].map(met_kg_by_need).fillna(0.0)
        by_level = met_kg.groupby(self.needs["priority"]).sum().sort_index(ascending=False)
        levels = by_level.index.to_numpy(dtype=np.int64)
        return dict(zip(levels.tolist(), by_level.to_numpy(dtype=np.float64).tolist(), strict=True))


def offers_frame(offers: Iterable[Offer]) -> pd.DataFrame:
    """An offers frame (columns of ``OFFER_COLUMNS``) from offer records, for typed callers."""
    return pd.DataFrame([asdict(offer) for offer in offers], columns=list(OFFER_COLUMNS))


def needs_frame(needs: Iterable[Need]) -> pd.DataFrame:
    """A needs frame (columns of ``NEED_COLUMNS``) from need records, for typed callers."""
    return pd.DataFrame([asdict(need) for need in needs], columns=list(NEED_COLUMNS))


def _problems_with_columns(frame: pd.DataFrame, *, kind: str, required: Iterable[str]) -> list[str]:
    """The missing required columns of a frame, as sentences."""
    missing = [column for column in required if column not in frame.columns]
    return [f"{kind} frame lacks column {column!r}" for column in missing]


def _days(values: pd.Series) -> npt.NDArray[np.datetime64]:
    """Calendar days of a column of dates (or timestamps), comparable with each other."""
    return pd.to_datetime(values).to_numpy().astype("datetime64[D]")


def _numbers(values: pd.Series, *, default: float) -> FloatArray:
    """A column as floats, missing values replaced by the default."""
    return pd.to_numeric(values).fillna(default).to_numpy(dtype=np.float64)


def prepare_offers(
    offers: pd.DataFrame, *, kg_per_unit_by_product: Mapping[str, float]
) -> pd.DataFrame:
    """Checked offers with numeric columns, day columns and the ``remaining`` quantity.

    Raises ``InvalidBoard`` listing every problem, so a caller can show them all at once.
    ``remaining`` is the quantity minus what earlier accepted proposals committed (never
    below 0): the only part a match run may allocate.
    """
    problems = _problems_with_columns(offers, kind="offers", required=REQUIRED_OFFER_COLUMNS)
    if problems:
        raise InvalidBoard("; ".join(problems))
    prepared = pd.DataFrame(
        {
            "offer_id": offers["offer_id"].to_numpy(),
            "product": offers["product"].astype(str).to_numpy(),
            "quantity": _numbers(offers["quantity"], default=np.nan),
            "price": _numbers(offers["price"], default=np.nan),
            "latitude": _numbers(offers["latitude"], default=np.nan),
            "longitude": _numbers(offers["longitude"], default=np.nan),
            "available_from": _days(offers["available_from"]),
            "available_to": _days(offers["available_to"]),
            "minimum_lot": (
                _numbers(offers["minimum_lot"], default=0.0)
                if "minimum_lot" in offers
                else np.zeros(len(offers))
            ),
            "committed_quantity": (
                _numbers(offers["committed_quantity"], default=0.0)
                if "committed_quantity" in offers
                else np.zeros(len(offers))
            ),
        }
    )
    problems += _problems_with_ids(prepared["offer_id"], kind="offer")
    problems += _problems_with_places(prepared, kind="offer")
    problems += _problems_with_products(prepared, kg_per_unit_by_product=kg_per_unit_by_product)
    for column in ("quantity", "price", "minimum_lot", "committed_quantity"):
        bad = ~(prepared[column].to_numpy() >= 0)
        if bad.any():
            ids = prepared["offer_id"][bad].tolist()[:5]
            problems.append(f"offers {ids} have a missing or negative {column}")
    backwards = prepared["available_to"] < prepared["available_from"]
    if backwards.any():
        problems.append(
            f"offers {prepared['offer_id'][backwards].tolist()[:5]} end before they start"
        )
    if problems:
        raise InvalidBoard("; ".join(problems))
    prepared["remaining"] = np.maximum(
        prepared["quantity"].to_numpy() - prepared["committed_quantity"].to_numpy(), 0.0
    )
    return prepared


def prepare_needs(
    needs: pd.DataFrame, *, kg_per_unit_by_product: Mapping[str, float]
) -> pd.DataFrame:
    """Checked needs with numeric columns, a day column and an integer ``priority``.

    Raises ``InvalidBoard`` listing every problem.
    """
    problems = _problems_with_columns(needs, kind="needs", required=REQUIRED_NEED_COLUMNS)
    if problems:
        raise InvalidBoard("; ".join(problems))
    priority = (
        pd.to_numeric(needs["priority"]).fillna(0)
        if "priority" in needs
        else pd.Series(np.zeros(len(needs)))
    )
    if not (priority == np.round(priority)).all():
        problems.append("needs have a priority that is not a whole number")
    prepared = pd.DataFrame(
        {
            "need_id": needs["need_id"].to_numpy(),
            "product": needs["product"].astype(str).to_numpy(),
            "quantity": _numbers(needs["quantity"], default=np.nan),
            "max_price": _numbers(needs["max_price"], default=np.nan),
            "needed_by": _days(needs["needed_by"]),
            "latitude": _numbers(needs["latitude"], default=np.nan),
            "longitude": _numbers(needs["longitude"], default=np.nan),
            "priority": priority.to_numpy().astype(np.int64),
        }
    )
    problems += _problems_with_ids(prepared["need_id"], kind="need")
    problems += _problems_with_places(prepared, kind="need")
    problems += _problems_with_products(prepared, kg_per_unit_by_product=kg_per_unit_by_product)
    for column in ("quantity", "max_price"):
        bad = ~(prepared[column].to_numpy() >= 0)
        if bad.any():
            ids = prepared["need_id"][bad].tolist()[:5]
            problems.append(f"needs {ids} have a missing or negative {column}")
    if problems:
        raise InvalidBoard("; ".join(problems))
    return prepared


def _problems_with_ids(ids: pd.Series, *, kind: str) -> list[str]:
    """Missing or repeated ids, as sentences: proposals must name one offer and one need."""
    problems = []
    if ids.isna().any():
        problems.append(f"some {kind}s have no id")
    repeated = ids[ids.duplicated()].unique().tolist()
    if repeated:
        problems.append(f"{kind} ids {repeated[:5]} appear more than once")
    return problems


def _problems_with_places(frame: pd.DataFrame, *, kind: str) -> list[str]:
    """Coordinates that are missing or off the globe, as sentences."""
    id_column = f"{kind}_id"
    latitude = frame["latitude"].to_numpy()
    longitude = frame["longitude"].to_numpy()
    bad = ~((np.abs(latitude) <= 90) & (np.abs(longitude) <= 180))
    if bad.any():
        return [f"{kind}s {frame[id_column][bad].tolist()[:5]} have no valid latitude/longitude"]
    return []


def _problems_with_products(
    frame: pd.DataFrame, *, kg_per_unit_by_product: Mapping[str, float]
) -> list[str]:
    """Products without a positive kg per unit, as sentences: their weight is unknown."""
    unknown = sorted(
        product
        for product in frame["product"].unique()
        if not kg_per_unit_by_product.get(product, 0.0) > 0
    )
    if unknown:
        return [f"products {unknown[:5]} have no positive kg per unit"]
    return []


@dataclass(frozen=True)
class ProductPairs:
    """Every offer x need pair of one product, with the tests that decide whether it is allowed.

    Arrays are (offers, needs) matrices; ``offer_rows`` and ``need_rows`` are the positions
    of this product's offers and needs in the prepared frames.
    """

    product: str
    kg_per_unit: float
    offer_rows: IntArray
    need_rows: IntArray
    distance_km: FloatArray
    in_range: BoolArray
    price_ok: BoolArray
    in_time: BoolArray
    unit_cost: FloatArray
    """Cost of moving one unit over the pair: kg per unit x road km, plus the price term."""

    @property
    def allowed(self) -> BoolArray:
        """Pairs that may be proposed: within range, within price and in time."""
        allowed: BoolArray = self.in_range & self.price_ok & self.in_time
        return allowed


def pairs_by_product(
    *,
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    kg_per_unit_by_product: Mapping[str, float],
    settings: MatchSettings,
) -> list[ProductPairs]:
    """The pair tests of every product that has needs, from prepared offers and needs.

    Products are independent (an offer serves only its own product), so each one's
    matrices are computed, and later solved, on their own.
    """
    offer_rows_by_product = offers.groupby("product", sort=True).indices
    result = []
    for product, need_positions in needs.groupby("product", sort=True).indices.items():
        need_rows = np.asarray(need_positions, dtype=np.int64)
        offer_rows = np.asarray(offer_rows_by_product.get(product, []), dtype=np.int64)
        product_offers = offers.iloc[offer_rows]
        product_needs = needs.iloc[need_rows]
        distance = road_distance_km(
            from_latitude=product_offers["latitude"].to_numpy(),
            from_longitude=product_offers["longitude"].to_numpy(),
            to_latitude=product_needs["latitude"].to_numpy(),
            to_longitude=product_needs["longitude"].to_numpy(),
            road_factor=settings.road_factor,
        )
        offer_price = product_offers["price"].to_numpy()[:, np.newaxis]
        kg_per_unit = float(kg_per_unit_by_product[str(product)])
        result.append(
            ProductPairs(
                product=str(product),
                kg_per_unit=kg_per_unit,
                offer_rows=offer_rows,
                need_rows=need_rows,
                distance_km=distance,
                in_range=distance <= settings.maximum_distance_km,
                price_ok=offer_price <= product_needs["max_price"].to_numpy()[np.newaxis, :],
                in_time=(
                    product_offers["available_from"].to_numpy()[:, np.newaxis]
                    <= product_needs["needed_by"].to_numpy()[np.newaxis, :]
                ),
                unit_cost=kg_per_unit * distance
                + settings.price_weight_kg_km_per_cny * offer_price,
            )
        )
    return result


def tolerance(quantity: npt.ArrayLike) -> FloatArray:
    """The amount below which a quantity of this size counts as zero (float round-off)."""
    return np.asarray(RELATIVE_TOLERANCE * np.maximum(1.0, np.abs(quantity)), dtype=np.float64)


def allocated_per_row(*, rows: IntArray, quantities: FloatArray, rows_count: int) -> FloatArray:
    """Total quantity allocated to each offer (or need) row: what capacity checks compare."""
    return np.asarray(np.bincount(rows, weights=quantities, minlength=rows_count), dtype=np.float64)


def unmet_reasons(
    *,
    pairs: ProductPairs,
    need_unmet: BoolArray,
    offer_leftover: FloatArray,
) -> list[str | None]:
    """Why each of a product's needs is short (None when it is not), in ``UnmetReason`` order.

    ``need_unmet`` marks the product's needs that got less than asked; ``offer_leftover``
    is what each of its offers still has after the run. An allowed offer with quantity
    left means a minimum lot stood in the way; otherwise the allowed offers are used up.
    """
    if len(pairs.offer_rows) == 0:
        return [UnmetReason.NO_OFFER.value if unmet else None for unmet in need_unmet]
    has_leftover = offer_leftover > tolerance(offer_leftover)
    reachable = pairs.in_range
    affordable = reachable & pairs.price_ok
    allowed = affordable & pairs.in_time
    any_reachable = np.asarray(reachable.any(axis=0), dtype=bool)
    any_affordable = np.asarray(affordable.any(axis=0), dtype=bool)
    any_allowed = np.asarray(allowed.any(axis=0), dtype=bool)
    blocked_by_lot = np.asarray((allowed & has_leftover[:, np.newaxis]).any(axis=0), dtype=bool)
    reasons: list[str | None] = []
    for position, unmet in enumerate(need_unmet):
        if not unmet:
            reasons.append(None)
        elif not any_reachable[position]:
            reasons.append(UnmetReason.OUT_OF_RANGE.value)
        elif not any_affordable[position]:
            reasons.append(UnmetReason.PRICE_ABOVE_LIMIT.value)
        elif not any_allowed[position]:
            reasons.append(UnmetReason.NOT_AVAILABLE_IN_TIME.value)
        elif blocked_by_lot[position]:
            reasons.append(UnmetReason.LOT_DOES_NOT_FIT.value)
        else:
            reasons.append(UnmetReason.ALL_TAKEN.value)
    return reasons


def build_result(
    *,
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    pairs: list[ProductPairs],
    offer_rows: IntArray,
    need_rows: IntArray,
    quantities: FloatArray,
) -> MatchResult:
    """The match result from allocations (offer row, need row, quantity) over prepared frames.

    Shared by every matcher, so their proposals, costs and reasons are computed alike.
    """
    keep = quantities > 0
    offer_rows, need_rows, quantities = offer_rows[keep], need_rows[keep], quantities[keep]
    allocated_to_offer = allocated_per_row(
        rows=offer_rows, quantities=quantities, rows_count=len(offers)
    )
    allocated_to_need = allocated_per_row(
        rows=need_rows, quantities=quantities, rows_count=len(needs)
    )
    need_quantity = needs["quantity"].to_numpy()
    unmet_quantity = np.maximum(need_quantity - allocated_to_need, 0.0)
    need_unmet = unmet_quantity > tolerance(need_quantity)
    offer_leftover = offers["remaining"].to_numpy(dtype=np.float64) - allocated_to_offer

    reasons: list[str | None] = [
        UnmetReason.NO_OFFER.value if unmet else None for unmet in need_unmet
    ]
    distance = np.zeros(len(quantities))
    unit_cost = np.zeros(len(quantities))
    kg_per_unit = np.zeros(len(quantities))
    for product_pairs in pairs:
        product_reasons = unmet_reasons(
            pairs=product_pairs,
            need_unmet=need_unmet[product_pairs.need_rows],
            offer_leftover=offer_leftover[product_pairs.offer_rows],
        )
        for need_row, reason in zip(product_pairs.need_rows, product_reasons, strict=True):
            reasons[need_row] = reason
        in_product = np.isin(need_rows, product_pairs.need_rows)
        if not in_product.any():
            continue
        offer_position = np.searchsorted(product_pairs.offer_rows, offer_rows[in_product])
        need_position = np.searchsorted(product_pairs.need_rows, need_rows[in_product])
        distance[in_product] = product_pairs.distance_km[offer_position, need_position]
        unit_cost[in_product] = product_pairs.unit_cost[offer_position, need_position]
        kg_per_unit[in_product] = product_pairs.kg_per_unit

    proposals = pd.DataFrame(
        {
            "offer_id": offers["offer_id"].to_numpy()[offer_rows],
            "need_id": needs["need_id"].to_numpy()[need_rows],
            "product": needs["product"].to_numpy()[need_rows],
            "quantity": quantities,
            "weight_kg": quantities * kg_per_unit,
            "distance_km": distance,
            "cost": quantities * unit_cost,
        },
        columns=list(PROPOSAL_COLUMNS),
    )
    proposals = proposals.sort_values(["product", "need_id", "distance_km"], kind="stable")
    outcomes = pd.DataFrame(
        {
            "need_id": needs["need_id"].to_numpy(),
            "product": needs["product"].to_numpy(),
            "priority": needs["priority"].to_numpy(),
            "quantity": need_quantity,
            "met_quantity": allocated_to_need,
            "unmet_quantity": np.where(need_unmet, unmet_quantity, 0.0),
            "reason": pd.Series(reasons, dtype=object),
        },
        columns=list(NEED_OUTCOME_COLUMNS),
    )
    return MatchResult(proposals=proposals.reset_index(drop=True), needs=outcomes)
