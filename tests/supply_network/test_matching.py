"""The optimal matcher: its cost and priority service equal an independent optimum, its
proposals obey every rule, and it says why a need is short."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from supply_network.board import InvalidBoard, MatchSettings, SolveMode, UnmetReason
from supply_network.matching import match
from tests.supply_network.checks import (
    assert_feasible,
    assert_optimal,
    assert_reasons,
    close,
)
from tests.supply_network.helpers import (
    DAY,
    allocated,
    make_board,
    make_need,
    make_offer,
    reason_of,
    run,
)
from tests.supply_network.reference import (
    brute_force_optimum,
    dense_optimum,
    lot_heavy_board,
    random_board,
)

SOLVE_MODES: list[SolveMode] = ["per_product", "block"]


TINY_SHAPES = [  # offers, needs, largest quantity, spread in degrees, seeds
    (3, 3, 4, 0.2, range(40)),
    (4, 4, 2, 0.2, range(30)),
    (3, 3, 4, 0.5, range(20)),
]


@pytest.mark.parametrize(
    ("offers", "needs", "quantity_high", "spread", "seed"),
    [(*shape[:4], seed) for shape in TINY_SHAPES for seed in shape[4]],
)
def test_tiny_boards_match_the_brute_force_optimum(
    offers: int, needs: int, quantity_high: int, spread: float, seed: int
) -> None:
    board = random_board(
        seed,
        offers=offers,
        needs=needs,
        products=1 + seed % 2,
        integral=True,
        lot_share=0.4,
        quantity_high=quantity_high,
        spread_degrees=spread,
    )
    optimum = brute_force_optimum(board)
    for solve_mode in SOLVE_MODES:
        result = run(match, board, solve_mode=solve_mode)
        assert_feasible(board, result)
        assert_reasons(board, result)
        assert_optimal(result, optimum)


@pytest.mark.parametrize(
    ("offers", "needs", "need_high", "seed"),
    [(2, 3, 4, seed) for seed in range(80)] + [(2, 4, 3, seed) for seed in range(40)],
)
def test_boards_where_lots_bind_match_the_brute_force_optimum(
    offers: int, needs: int, need_high: int, seed: int
) -> None:
    # Here the optimum without lots often breaks a lot, and sometimes serves more than any
    # allocation with lots can: both MILP paths (one solve, or level by level) are taken.
    board = lot_heavy_board(seed, offers=offers, needs=needs, need_high=need_high)
    optimum = brute_force_optimum(board)
    for solve_mode in SOLVE_MODES:
        result = run(match, board, solve_mode=solve_mode)
        assert_feasible(board, result)
        assert_reasons(board, result)
        assert_optimal(result, optimum)


def test_when_a_lot_keeps_a_priority_need_short_the_levels_are_solved_in_turn() -> None:
    # Without lots, offer 1 would give the lockdown need its 50. Its lot of 60 is more than
    # that need, so the need gets offer 2's 30, and offer 1 serves the normal need whole.
    board = make_board(
        [make_offer(1, quantity=100, minimum_lot=60), make_offer(2, quantity=30, km_north=10)],
        [
            make_need(10, quantity=50, km_north=1, priority=1),
            make_need(11, quantity=70, km_north=2),
        ],
    )
    result = run(match, board)
    assert allocated(result, offer_id=2, need_id=10) == pytest.approx(30)
    assert allocated(result, offer_id=1, need_id=11) == pytest.approx(70)
    assert allocated(result, need_id=10) == pytest.approx(30)
    assert reason_of(result, 10) == "lot_does_not_fit"
    assert_optimal(result, dense_optimum(board))


@pytest.mark.parametrize("seed", range(5))
def test_the_default_gap_costs_at_most_its_share_and_never_priority(seed: int) -> None:
    board = random_board(
        4000 + seed, offers=30, needs=20, products=2, integral=False, lot_share=0.4
    )
    optimum = dense_optimum(board)
    result = run(match, board, mip_relative_gap=MatchSettings().mip_relative_gap)
    assert_feasible(board, result)
    served = result.served_kg_by_priority()
    for level, kg in optimum.served_kg_by_level.items():
        assert close(served.get(level, 0.0), kg), (level, served, optimum)
    assert result.total_cost <= optimum.cost * (1 + MatchSettings().mip_relative_gap) + 1e-6


@pytest.mark.parametrize("lot_share", [0.0, 0.3])
@pytest.mark.parametrize("seed", range(15))
def test_small_boards_match_the_dense_preemptive_optimum(seed: int, lot_share: float) -> None:
    board = random_board(
        1000 + seed, offers=14, needs=10, products=3, integral=False, lot_share=lot_share
    )
    optimum = dense_optimum(board)
    for solve_mode in SOLVE_MODES:
        result = run(match, board, solve_mode=solve_mode)
        assert_feasible(board, result)
        assert_reasons(board, result)
        assert_optimal(result, optimum)


@pytest.mark.parametrize("seed", range(10))
def test_without_lots_a_short_need_never_leaves_an_allowed_offer_unused(seed: int) -> None:
    # The LP serves as much as it can, so only a lot could keep an allowed offer's stock idle.
    board = random_board(2000 + seed, offers=20, needs=15, products=2, integral=False, lot_share=0)
    result = run(match, board)
    assert UnmetReason.LOT_DOES_NOT_FIT.value not in set(result.needs["reason"])
    assert_reasons(board, result)


def test_priority_needs_are_served_first_when_supply_is_short() -> None:
    # The only offer sits next to the normal need; the lockdown need is 40 km away.
    board = make_board(
        [make_offer(1, quantity=100)],
        [
            make_need(10, quantity=80, km_north=1),
            make_need(11, quantity=70, km_north=40, priority=1),
        ],
    )
    result = run(match, board)
    assert allocated(result, need_id=11) == pytest.approx(70)
    assert allocated(result, need_id=10) == pytest.approx(30)
    assert reason_of(result, 10) == "all_taken"
    assert reason_of(result, 11) is None


def test_higher_levels_come_before_lower_ones_and_cost_decides_within_a_level() -> None:
    board = make_board(
        [make_offer(1, quantity=50, km_north=0), make_offer(2, quantity=50, km_north=30)],
        [
            make_need(10, quantity=40, km_north=31, priority=0),
            make_need(11, quantity=40, km_north=20, priority=1),
            make_need(12, quantity=40, km_north=1, priority=2),
        ],
    )
    result = run(match, board)
    assert allocated(result, need_id=12) == pytest.approx(40)
    assert allocated(result, need_id=11) == pytest.approx(40)
    assert allocated(result, need_id=10) == pytest.approx(20)
    # Cheapest way to serve those amounts: 12 from offer 1, 10 from offer 2, 11 split.
    assert allocated(result, offer_id=1, need_id=12) == pytest.approx(40)
    assert allocated(result, offer_id=2, need_id=10) == pytest.approx(20)
    assert_optimal(result, dense_optimum(board))


def test_committed_quantity_is_held_back() -> None:
    board = make_board(
        [make_offer(1, quantity=100, committed_quantity=60), make_offer(2, km_north=50)],
        [make_need(10, quantity=100)],
    )
    result = run(match, board)
    assert allocated(result, offer_id=1) == pytest.approx(40)
    assert allocated(result, offer_id=2) == pytest.approx(60)
    assert_feasible(board, result)


def test_a_fully_committed_offer_is_all_taken() -> None:
    board = make_board([make_offer(1, quantity=50, committed_quantity=50)], [make_need(10)])
    result = run(match, board)
    assert result.proposals.empty
    assert reason_of(result, 10) == "all_taken"


def test_minimum_lot_is_all_or_at_least_the_lot() -> None:
    board = make_board(
        [make_offer(1, quantity=100, minimum_lot=30), make_offer(2, quantity=15, km_north=20)],
        [make_need(10, quantity=20), make_need(11, quantity=45, km_north=5)],
    )
    result = run(match, board)
    assert_feasible(board, result)
    # Need 10 (20) cannot take a lot of 30; it takes offer 2's 15 and is 5 short although
    # offer 1 still has stock: the lot is why.
    assert allocated(result, offer_id=1, need_id=10) == 0
    assert allocated(result, need_id=10) == pytest.approx(15)
    assert reason_of(result, 10) == "lot_does_not_fit"
    assert allocated(result, offer_id=1, need_id=11) == pytest.approx(45)
    assert_optimal(result, dense_optimum(board))


def test_pairs_beyond_distance_price_or_date_are_never_proposed() -> None:
    board = make_board(
        [
            make_offer(1, km_north=90),  # 117 road km: beyond 100
            make_offer(2, price=7.0),  # above the need's 6
            make_offer(3, available_from=DAY + timedelta(days=1)),  # a day late
            make_offer(4, quantity=30, km_north=60),  # 78 road km: allowed
        ],
        [make_need(10)],
    )
    result = run(match, board)
    assert set(result.proposals["offer_id"]) == {4}
    assert allocated(result, need_id=10) == pytest.approx(30)
    assert reason_of(result, 10) == "all_taken"


@pytest.mark.parametrize(
    ("offer_changes", "expected"),
    [
        ({"product": "pork"}, "no_offer"),
        ({"km_north": 80}, "out_of_range"),
        ({"price": 6.5}, "price_above_limit"),
        ({"available_from": DAY + timedelta(days=2)}, "not_available_in_time"),
        ({"minimum_lot": 150, "quantity": 200}, "lot_does_not_fit"),
        ({"quantity": 40}, "all_taken"),
    ],
)
def test_the_reason_names_the_first_rule_that_fails(
    offer_changes: dict[str, object], expected: str
) -> None:
    # The tests go in order: a far offer that is also too dear is out of range.
    board = make_board(
        [make_offer(1, **offer_changes)],  # type: ignore[arg-type]
        [make_need(10, quantity=100)],
        maximum_distance_km=80,
    )
    result = run(match, board)
    assert reason_of(result, 10) == expected


def test_a_far_and_dear_offer_is_out_of_range_not_too_dear() -> None:
    board = make_board([make_offer(1, km_north=80, price=9)], [make_need(10)])
    assert reason_of(run(match, board), 10) == "out_of_range"


def test_price_term_prefers_a_cheaper_offer_a_little_farther() -> None:
    offers = [make_offer(1, price=5.9, km_north=0), make_offer(2, price=5.0, km_north=10)]
    needs = [make_need(10, quantity=50)]
    by_distance = run(match, make_board(offers, needs))
    by_price = run(match, make_board(offers, needs, price_weight=100.0))
    assert set(by_distance.proposals["offer_id"]) == {1}
    assert set(by_price.proposals["offer_id"]) == {2}


def test_real_quantities_are_matched_exactly() -> None:
    board = make_board(
        [make_offer(1, quantity=12.345), make_offer(2, quantity=0.655, km_north=3)],
        [make_need(10, quantity=12.5), make_need(11, quantity=0.25, km_north=4)],
    )
    result = run(match, board)
    assert allocated(result) == pytest.approx(12.75)
    assert_feasible(board, result)
    assert_optimal(result, dense_optimum(board))


def test_products_do_not_mix() -> None:
    board = make_board(
        [make_offer(1, product="pork", quantity=10), make_offer(2, quantity=10, km_north=50)],
        [make_need(10, quantity=10), make_need(11, product="pork", quantity=5, km_north=50)],
    )
    result = run(match, board)
    pairs = set(zip(result.proposals["offer_id"], result.proposals["need_id"], strict=True))
    assert pairs == {(2, 10), (1, 11)}


def test_needs_without_any_offer_are_unmet_for_want_of_offers() -> None:
    offer_columns = ["offer_id", "product", "quantity", "price", "latitude", "longitude"]
    empty_offers = pd.DataFrame(columns=[*offer_columns, "available_from", "available_to"])
    board = make_board([], [make_need(10)])
    result = match(
        offers=empty_offers, needs=board.needs_frame(), kg_per_unit_by_product={"rice": 1.0}
    )
    assert result.proposals.empty
    assert reason_of(result, 10) == "no_offer"
    assert result.total_cost == 0


def test_offers_without_needs_give_no_proposals() -> None:
    board = make_board([make_offer(1)], [])
    needs = pd.DataFrame(columns=["need_id", "product", "quantity", "max_price", "needed_by"])
    result = match(
        offers=board.offers_frame(),
        needs=needs.assign(latitude=[], longitude=[]),
        kg_per_unit_by_product=board.kg_per_unit,
    )
    assert result.proposals.empty
    assert result.needs.empty


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda offers, needs: (offers.drop(columns="price"), needs), "lacks column 'price'"),
        (lambda offers, needs: (pd.concat([offers, offers]), needs), "more than once"),
        (
            lambda offers, needs: (offers.assign(quantity=-1.0), needs),
            "missing or negative quantity",
        ),
        (
            lambda offers, needs: (offers, needs.assign(product="caviar")),
            "no positive kg per unit",
        ),
        (lambda offers, needs: (offers, needs.assign(latitude=95.0)), "latitude"),
        (lambda offers, needs: (offers, needs.assign(priority=1.5)), "whole number"),
        (
            lambda offers, needs: (offers.assign(available_to=DAY - timedelta(days=1)), needs),
            "end before they start",
        ),
    ],
)
def test_invalid_boards_are_refused_with_the_problem(change: object, message: str) -> None:
    board = make_board([make_offer(1)], [make_need(10)])
    offers, needs = change(board.offers_frame(), board.needs_frame())  # type: ignore[operator]
    with pytest.raises(InvalidBoard, match=message):
        match(offers=offers, needs=needs, kg_per_unit_by_product=board.kg_per_unit)


def test_block_and_per_product_solves_agree_on_a_larger_board() -> None:
    board = random_board(7, offers=120, needs=60, products=6, integral=False, lot_share=0.2)
    results = [run(match, board, solve_mode=mode) for mode in SOLVE_MODES]
    for result in results:
        assert_feasible(board, result)
    assert close(results[0].total_cost, results[1].total_cost)
    assert results[0].served_kg_by_priority() == pytest.approx(results[1].served_kg_by_priority())
