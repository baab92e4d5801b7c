"""Checks every matcher's result must pass, written against the plain-record board of
``reference`` (not against the matcher's own pair tests)."""

from __future__ import annotations

from collections import defaultdict

from supply_network.board import MatchResult
from tests.supply_network.reference import Board, Optimum

ABSOLUTE = 1e-9


def close(actual: float, expected: float, *, relative: float = 1e-6) -> bool:
    """Equal within a relative tolerance (absolute below 1)."""
    return abs(actual - expected) <= relative * max(1.0, abs(expected))


def assert_feasible(board: Board, result: MatchResult) -> None:
    """Proposals use allowed pairs only, respect remaining supply, demand and minimum lots,
    and carry the right distance, weight and cost."""
    offers = {offer.offer_id: offer for offer in board.offers}
    needs = {need.need_id: need for need in board.needs}
    to_offer: dict[int, float] = defaultdict(float)
    to_need: dict[int, float] = defaultdict(float)
    for row in result.proposals.to_dict("records"):
        offer, need = offers[int(row["offer_id"])], needs[int(row["need_id"])]
        quantity = float(row["quantity"])
        assert board.allowed(offer, need), (offer, need)
        assert quantity > 0
        if offer.minimum_lot > 0:
            assert quantity >= offer.minimum_lot - ABSOLUTE, (row, offer.minimum_lot)
        assert close(float(row["distance_km"]), board.distance_km(offer, need), relative=1e-9)
        assert close(float(row["weight_kg"]), quantity * board.kg_per_unit[offer.product])
        assert close(float(row["cost"]), quantity * board.unit_cost(offer, need))
        to_offer[offer.offer_id] += quantity
        to_need[need.need_id] += quantity
    for offer_id, allocated in to_offer.items():
        assert allocated <= offers[offer_id].remaining + ABSOLUTE, (offer_id, allocated)
    for need_id, allocated in to_need.items():
        assert allocated <= needs[need_id].quantity + ABSOLUTE, (need_id, allocated)
    outcomes = {int(row["need_id"]): row for row in result.needs.to_dict("records")}
    assert set(outcomes) == {need.need_id for need in board.needs}
    for need in board.needs:
        met = to_need.get(need.need_id, 0.0)
        assert close(float(outcomes[need.need_id]["met_quantity"]), met)
        unmet = need.quantity - met
        expected_unmet = unmet if unmet > 1e-9 * max(1.0, need.quantity) else 0.0
        assert close(float(outcomes[need.need_id]["unmet_quantity"]), expected_unmet)


def expected_reason(board: Board, result: MatchResult, need_id: int) -> str | None:
    """The documented reason for a need's shortfall, worked out from the records."""
    need = next(need for need in board.needs if need.need_id == need_id)
    met = float(result.proposals.loc[result.proposals["need_id"] == need_id, "quantity"].sum())
    if need.quantity - met <= 1e-9 * max(1.0, need.quantity):
        return None
    same_product = [offer for offer in board.offers if offer.product == need.product]
    if not same_product:
        return "no_offer"
    in_range = [offer for offer in same_product if board.in_range(offer, need)]
    if not in_range:
        return "out_of_range"
    affordable = [offer for offer in in_range if offer.price <= need.max_price]
    if not affordable:
        return "price_above_limit"
    allowed = [offer for offer in affordable if offer.available_from <= need.needed_by]
    if not allowed:
        return "not_available_in_time"
    for offer in allowed:
        used = float(
            result.proposals.loc[result.proposals["offer_id"] == offer.offer_id, "quantity"].sum()
        )
        if offer.remaining - used > 1e-9 * max(1.0, offer.remaining):
            return "lot_does_not_fit"
    return "all_taken"


def assert_reasons(board: Board, result: MatchResult) -> None:
    """Every need's reason is the documented one."""
    for row in result.needs.to_dict("records"):
        assert row["reason"] == expected_reason(board, result, int(row["need_id"])), row


def assert_optimal(result: MatchResult, optimum: Optimum) -> None:
    """Served kg per level and cost equal the independent optimum's."""
    served = result.served_kg_by_priority()
    for level, kg in optimum.served_kg_by_level.items():
        assert close(served.get(level, 0.0), kg), (level, served, optimum)
    assert close(result.total_cost, optimum.cost), (result.total_cost, optimum.cost)


def lexicographic_key(result: MatchResult, levels: list[int]) -> tuple[float, ...]:
    """Served kg per level (highest first), then minus the cost: larger is better."""
    served = result.served_kg_by_priority()
    return (*(served.get(level, 0.0) for level in levels), -result.total_cost)


def assert_not_better(candidate: MatchResult, optimum: MatchResult, levels: list[int]) -> None:
    """The candidate is not lexicographically better than the optimum (within round-off):
    at the first score where the two differ, the optimum is ahead."""
    for candidate_score, optimum_score in zip(
        lexicographic_key(candidate, levels), lexicographic_key(optimum, levels), strict=True
    ):
        if close(candidate_score, optimum_score):
            continue
        assert candidate_score < optimum_score, (candidate_score, optimum_score)
        return
