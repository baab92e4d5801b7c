"""The nearest-first baseline: it obeys the same rules as the optimiser, and it is never
better than the optimum (served per priority level first, then cost)."""

from __future__ import annotations

import pytest

from supply_network.greedy import greedy_match
from supply_network.matching import match
from tests.supply_network.checks import assert_feasible, assert_not_better, assert_reasons
from tests.supply_network.helpers import allocated, make_board, make_need, make_offer, run
from tests.supply_network.reference import random_board


@pytest.mark.parametrize("lot_share", [0.0, 0.3])
@pytest.mark.parametrize("seed", range(15))
def test_greedy_is_feasible_and_never_beats_the_optimum(seed: int, lot_share: float) -> None:
    board = random_board(
        3000 + seed, offers=16, needs=12, products=2, integral=seed % 2 == 0, lot_share=lot_share
    )
    greedy = run(greedy_match, board)
    optimum = run(match, board)
    assert_feasible(board, greedy)
    assert_reasons(board, greedy)
    assert_not_better(greedy, optimum, board.levels())


def test_each_need_takes_from_its_nearest_offer_first() -> None:
    board = make_board(
        [make_offer(1, quantity=30, km_north=10), make_offer(2, quantity=100, km_north=2)],
        [make_need(10, quantity=50)],
    )
    result = run(greedy_match, board)
    assert allocated(result, offer_id=2) == pytest.approx(50)
    assert allocated(result, offer_id=1) == 0


def test_greedy_serves_higher_priority_first() -> None:
    board = make_board(
        [make_offer(1, quantity=60)],
        [make_need(10, quantity=50), make_need(11, quantity=50, km_north=30, priority=2)],
    )
    result = run(greedy_match, board)
    assert allocated(result, need_id=11) == pytest.approx(50)
    assert allocated(result, need_id=10) == pytest.approx(10)


def test_greedy_can_cost_more_than_the_optimum() -> None:
    # Need 10 is first and grabs offer 1, the only one near need 11; the optimum swaps.
    board = make_board(
        [make_offer(1, quantity=50, km_north=10), make_offer(2, quantity=50, km_north=0)],
        [make_need(10, quantity=50, km_north=9), make_need(11, quantity=50, km_north=40)],
    )
    greedy = run(greedy_match, board)
    optimum = run(match, board)
    assert greedy.served_kg_by_priority() == pytest.approx(optimum.served_kg_by_priority())
    assert greedy.total_cost > optimum.total_cost * 1.01


def test_greedy_skips_an_offer_whose_lot_is_larger_than_what_is_left() -> None:
    board = make_board(
        [make_offer(1, quantity=100, minimum_lot=40), make_offer(2, quantity=20, km_north=5)],
        [make_need(10, quantity=30)],
    )
    result = run(greedy_match, board)
    assert allocated(result, offer_id=1) == 0
    assert allocated(result, offer_id=2) == pytest.approx(20)
    assert result.needs.loc[0, "reason"] == "lot_does_not_fit"
