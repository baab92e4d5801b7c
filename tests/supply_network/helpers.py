"""Small hand-made boards for the matcher's tests, and running a matcher on a board."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from supply_network.board import MatchResult, MatchSettings, SolveMode
from tests.supply_network.reference import CENTRE, Board, BoardNeed, BoardOffer

DAY = date(2024, 5, 1)
KM_PER_DEGREE_LATITUDE = 111.195

Matcher = Callable[..., MatchResult]


def north_of_centre(km: float) -> tuple[float, float]:
    """A place this many great-circle km north of the test centre."""
    return CENTRE[0] + km / KM_PER_DEGREE_LATITUDE, CENTRE[1]


def make_offer(
    offer_id: int,
    *,
    quantity: float = 100.0,
    km_north: float = 0.0,
    product: str = "rice",
    price: float = 5.0,
    available_from: date = DAY,
    minimum_lot: float = 0.0,
    committed_quantity: float = 0.0,
) -> BoardOffer:
    """An offer of rice at the centre (or km north of it), available today, no lot."""
    latitude, longitude = north_of_centre(km_north)
    return BoardOffer(
        offer_id=offer_id,
        product=product,
        quantity=quantity,
        price=price,
        latitude=latitude,
        longitude=longitude,
        available_from=available_from,
        available_to=available_from,
        minimum_lot=minimum_lot,
        committed_quantity=committed_quantity,
    )


def make_need(
    need_id: int,
    *,
    quantity: float = 100.0,
    km_north: float = 0.0,
    product: str = "rice",
    max_price: float = 6.0,
    needed_by: date = DAY,
    priority: int = 0,
) -> BoardNeed:
    """A normal need for rice at the centre (or km north of it), due today, up to 6 CNY."""
    latitude, longitude = north_of_centre(km_north)
    return BoardNeed(
        need_id=need_id,
        product=product,
        quantity=quantity,
        max_price=max_price,
        needed_by=needed_by,
        latitude=latitude,
        longitude=longitude,
        priority=priority,
    )


def make_board(
    offers: list[BoardOffer],
    needs: list[BoardNeed],
    *,
    maximum_distance_km: float = 100.0,
    price_weight: float = 0.0,
) -> Board:
    """A board of rice (1 kg per unit) and pork (1 kg per unit) at road factor 1.3."""
    return Board(
        offers=offers,
        needs=needs,
        kg_per_unit={"rice": 1.0, "pork": 1.0},
        maximum_distance_km=maximum_distance_km,
        road_factor=1.3,
        price_weight=price_weight,
    )


EXACT_GAP = 1e-9


def run(
    matcher: Matcher,
    board: Board,
    *,
    solve_mode: SolveMode = "per_product",
    mip_relative_gap: float = EXACT_GAP,
) -> MatchResult:
    """The matcher's result on the board, under the board's settings; MILPs solved to
    optimality unless a gap is given, so costs compare exactly with the references."""
    return matcher(
        offers=board.offers_frame(),
        needs=board.needs_frame(),
        kg_per_unit_by_product=board.kg_per_unit,
        settings=MatchSettings(
            maximum_distance_km=board.maximum_distance_km,
            road_factor=board.road_factor,
            price_weight_kg_km_per_cny=board.price_weight,
            solve_mode=solve_mode,
            mip_relative_gap=mip_relative_gap,
        ),
    )


def allocated(
    result: MatchResult, *, offer_id: int | None = None, need_id: int | None = None
) -> float:
    """Quantity proposed from an offer, to a need, or over one pair."""
    proposals = result.proposals
    if offer_id is not None:
        proposals = proposals[proposals["offer_id"] == offer_id]
    if need_id is not None:
        proposals = proposals[proposals["need_id"] == need_id]
    return float(proposals["quantity"].sum())


def reason_of(result: MatchResult, need_id: int) -> str | None:
    """The need's unmet reason (None when fully met)."""
    reason = result.needs.set_index("need_id").loc[need_id, "reason"]
    return None if reason is None else str(reason)
