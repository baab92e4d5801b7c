"""The optimal matcher of the supply/demand board: a transportation problem per product.

For each product, the open offers (supply: what is not yet committed) and the needs
(demand) form a transportation problem over the allowed pairs (price within the need's
limit, available by its date, road distance within the maximum). Variable ``x[p]`` is the
quantity moved over pair ``p``; each offer ships at most its remaining quantity and each
need receives at most its quantity. The objective is lexicographic:

1. serve as much as possible of the highest priority level, then of the next, and so on;
2. among those allocations, minimise the cost: kg x road km, plus price x a weight.

Without minimum lots this is a linear programme solved in one HiGHS call
(``scipy.optimize.linprog(method="highs")``), the levels folded into the objective as a
reward per unit served, ``(rank + 1) x M`` with ``M = 2 x min(offers, needs) x max unit
cost + 1``. That reward provably gives the lexicographic optimum: the difference between
two allocations splits into cycles of the flow network, each changing the quantity
served by one unit at one level (or moving it from one level to another) at a cost change
of at most ``min(offers, needs) x max unit cost`` per unit, which is less than ``M``; so
an allocation that serves less at a higher level always has a cycle that improves it
(docs/matching.md gives the argument in full). Integral data then give integral
allocations, the transportation matrix being totally unimodular.

With minimum lots a pair is either unused or carries at least the lot, which needs a
binary ``y[p]`` per lotted pair (``x >= lot y``, ``x <= min(supply, demand) y``) and
``scipy.optimize.milp``. The LP above, which ignores lots, is a relaxation: when its
optimum happens to respect every lot, it is the answer. Otherwise no allocation with lots
serves more at any level than the LP did, so one MILP asks for the least cost while
serving exactly the LP's quantities per level; only when lots make that impossible are the
levels maximised one MILP at a time (the weights' cycle argument does not hold across
binaries), and the cost last. A final LP with the chosen lotted pairs fixed polishes the
answer into a clean vertex.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sparse
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, linprog, milp

from supply_network.board import (
    NEED_COLUMNS,
    OFFER_COLUMNS,
    RELATIVE_TOLERANCE,
    FloatArray,
    IntArray,
    InvalidBoard,
    MatchResult,
    MatchSettings,
    Need,
    Offer,
    ProductPairs,
    SolveMode,
    UnmetReason,
    allocated_per_row,
    build_result,
    needs_frame,
    offers_frame,
    pairs_by_product,
    prepare_needs,
    prepare_offers,
    tolerance,
)

__all__ = [
    "NEED_COLUMNS",
    "OFFER_COLUMNS",
    "InvalidBoard",
    "MatchResult",
    "MatchSettings",
    "MatchingFailed",
    "Need",
    "Offer",
    "UnmetReason",
    "match",
    "needs_frame",
    "offers_frame",
]

STAGE_SLACK = 1e-9
"""A level's optimum is kept as a constraint minus this share (below HiGHS's tolerances)."""

MILP_INFEASIBLE = 2
"""``scipy.optimize.milp``'s status when the problem has no solution."""

PRIORITY_RELATIVE_GAP = 1e-9
"""A level's MILP stops this close to its bound: served quantity is never traded for time."""

NO_ROWS: IntArray = np.zeros(0, dtype=np.int64)

LOT_SNAP = 1e-6
"""A lotted allocation within this share below its lot is the lot (solver round-off)."""


class MatchingFailed(RuntimeError):
    """HiGHS did not return an optimal allocation (the problem is always feasible: x = 0)."""


@dataclass(frozen=True)
class Candidates:
    """The variables of a transportation problem: one per usable offer x need pair.

    Rows index the prepared offers and needs frames; ``reward`` is the per-unit reward of
    serving the pair's need at rank 0, the product's ``M``.
    """

    offer_rows: IntArray
    need_rows: IntArray
    unit_cost: FloatArray
    upper: FloatArray
    minimum_lot: FloatArray
    priority: IntArray
    reward: FloatArray

    def __len__(self) -> int:
        """Number of variables."""
        return len(self.offer_rows)

    @staticmethod
    def concatenate(parts: list[Candidates]) -> Candidates:
        """Candidates of several products as one problem (the block of the whole board)."""
        return Candidates(
            **{
                field: np.concatenate([getattr(part, field) for part in parts])
                for field in Candidates.__dataclass_fields__
            }
        )


def candidates_of_product(
    *, pairs: ProductPairs, offers: pd.DataFrame, needs: pd.DataFrame
) -> Candidates:
    """The variables of one product's problem: allowed pairs whose lot fits supply and demand.

    A pair whose offer has nothing left, or whose minimum lot exceeds the offer's remaining
    quantity or the need's quantity, can only carry 0 and gets no variable.
    """
    remaining = offers["remaining"].to_numpy()[pairs.offer_rows]
    lot = offers["minimum_lot"].to_numpy()[pairs.offer_rows]
    demand = needs["quantity"].to_numpy()[pairs.need_rows]
    upper = np.minimum(remaining[:, np.newaxis], demand[np.newaxis, :])
    usable = (
        pairs.allowed
        & (upper > tolerance(upper))
        & (lot[:, np.newaxis] <= upper * (1 + RELATIVE_TOLERANCE))
    )
    offer_position, need_position = np.nonzero(usable)
    unit_cost = pairs.unit_cost[offer_position, need_position]
    if len(unit_cost):
        used_offers = len(np.unique(offer_position))
        used_needs = len(np.unique(need_position))
        reward = 2.0 * min(used_offers, used_needs) * float(unit_cost.max()) + 1.0
    else:
        reward = 1.0
    return Candidates(
        offer_rows=pairs.offer_rows[offer_position],
        need_rows=pairs.need_rows[need_position],
        unit_cost=unit_cost,
        upper=upper[offer_position, need_position],
        minimum_lot=lot[offer_position],
        priority=needs["priority"].to_numpy()[pairs.need_rows][need_position],
        reward=np.full(len(unit_cost), reward),
    )


def _capacity_rows(
    *, candidates: Candidates, remaining: FloatArray, demand: FloatArray
) -> tuple[sparse.csr_array, FloatArray]:
    """Supply and demand rows (A x <= b) over the offers and needs the candidates touch."""
    offers, offer_index = np.unique(candidates.offer_rows, return_inverse=True)
    needs, need_index = np.unique(candidates.need_rows, return_inverse=True)
    columns = np.arange(len(candidates))
    matrix = sparse.coo_array(
        (
            np.ones(2 * len(candidates)),
            (np.concatenate([offer_index, len(offers) + need_index]), np.tile(columns, 2)),
        ),
        shape=(len(offers) + len(needs), len(candidates)),
    ).tocsr()
    return matrix, np.concatenate([remaining[offers], demand[needs]])


def _level_ranks(priority: IntArray) -> IntArray:
    """Rank of each variable's priority level among the levels present, 0 for the lowest."""
    _, ranks = np.unique(priority, return_inverse=True)
    return np.asarray(ranks, dtype=np.int64)


def _checked(result: OptimizeResult, *, what: str) -> FloatArray:
    """The solution vector of an optimal HiGHS result, or ``MatchingFailed`` saying why not."""
    if result.status != 0 or result.x is None:
        raise MatchingFailed(f"HiGHS found no optimal {what}: {result.message}")
    return np.asarray(result.x, dtype=np.float64)


def solve_transportation_lp(
    *,
    candidates: Candidates,
    remaining: FloatArray,
    demand: FloatArray,
    lower: FloatArray | None = None,
    upper: FloatArray | None = None,
) -> FloatArray:
    """Quantities per candidate from one LP whose level rewards give the lexicographic optimum.

    Used when no candidate has a minimum lot (one HiGHS call per problem), and to polish a
    MILP's answer with its choice of lotted pairs fixed through ``lower`` and ``upper``.
    """
    matrix, bounds = _capacity_rows(candidates=candidates, remaining=remaining, demand=demand)
    reward = candidates.reward * (_level_ranks(candidates.priority) + 1)
    result = linprog(
        candidates.unit_cost - reward,
        A_ub=matrix,
        b_ub=bounds,
        bounds=np.column_stack(
            [
                np.zeros(len(candidates)) if lower is None else lower,
                candidates.upper if upper is None else upper,
            ]
        ),
        method="highs",
    )
    return _checked(result, what="transportation LP")


def solve_transportation_milp(
    *,
    candidates: Candidates,
    remaining: FloatArray,
    demand: FloatArray,
    relaxed_quantities: FloatArray,
    mip_relative_gap: float,
) -> FloatArray:
    """Quantities per candidate of the lexicographic optimum with minimum lots, by MILP.

    A binary per lotted pair makes its quantity 0 or at least the lot. ``relaxed_quantities``
    is the optimum without lots (``solve_transportation_lp``): no allocation with lots
    serves more at any level, so the first MILP asks for the least cost at exactly those
    levels; when lots make that impossible, the levels are maximised one MILP at a time and
    the cost last. A final LP with the chosen lotted pairs fixed gives back any quantity the
    solver's tolerances shaved off a level and returns a clean vertex.
    """
    count = len(candidates)
    lotted = np.flatnonzero(candidates.minimum_lot > 0)
    binaries = len(lotted)
    capacity, capacity_bounds = _capacity_rows(
        candidates=candidates, remaining=remaining, demand=demand
    )
    binary_columns = count + np.arange(binaries)
    rows = np.arange(binaries)
    at_least_lot = sparse.coo_array(
        (
            np.concatenate([np.ones(binaries), -candidates.minimum_lot[lotted]]),
            (np.tile(rows, 2), np.concatenate([lotted, binary_columns])),
        ),
        shape=(binaries, count + binaries),
    )
    at_most_if_used = sparse.coo_array(
        (
            np.concatenate([np.ones(binaries), -candidates.upper[lotted]]),
            (np.tile(rows, 2), np.concatenate([lotted, binary_columns])),
        ),
        shape=(binaries, count + binaries),
    )
    constraints = [
        LinearConstraint(
            sparse.hstack([capacity, sparse.coo_array((capacity.shape[0], binaries))]),
            -np.inf,
            capacity_bounds,
        ),
        LinearConstraint(at_least_lot, 0.0, np.inf),
        LinearConstraint(at_most_if_used, -np.inf, 0.0),
    ]
    integrality = np.concatenate([np.zeros(count), np.ones(binaries)])
    bounds = Bounds(
        np.zeros(count + binaries), np.concatenate([candidates.upper, np.ones(binaries)])
    )
    cost = np.concatenate([candidates.unit_cost, np.zeros(binaries)])
    levels = np.unique(candidates.priority)[::-1]
    level_rows = [
        np.concatenate([candidates.priority == level, np.zeros(binaries)]).astype(np.float64)
        for level in levels
    ]

    def served_at_least(row: FloatArray, served: float) -> LinearConstraint:
        return LinearConstraint(row[np.newaxis, :], served - STAGE_SLACK * max(1.0, served), np.inf)

    relaxed = [float(row[:count] @ relaxed_quantities) for row in level_rows]
    result = milp(
        cost,
        integrality=integrality,
        bounds=bounds,
        constraints=[*constraints, *map(served_at_least, level_rows, relaxed)],
        options={"mip_rel_gap": mip_relative_gap},
    )
    if result.status == MILP_INFEASIBLE:
        for level, row in zip(levels, level_rows, strict=True):
            served = _checked(
                milp(
                    -row,
                    integrality=integrality,
                    bounds=bounds,
                    constraints=constraints,
                    options={"mip_rel_gap": PRIORITY_RELATIVE_GAP},
                ),
                what=f"MILP for priority level {level}",
            )
            constraints.append(served_at_least(row, float(row @ served)))
        result = milp(
            cost,
            integrality=integrality,
            bounds=bounds,
            constraints=constraints,
            options={"mip_rel_gap": mip_relative_gap},
        )
    solution = _checked(result, what="least-cost MILP")
    used = np.ones(count, dtype=bool)
    used[lotted] = solution[binary_columns] > 0.5
    return solve_transportation_lp(
        candidates=candidates,
        remaining=remaining,
        demand=demand,
        lower=np.where(used, candidates.minimum_lot, 0.0),
        upper=np.where(used, candidates.upper, 0.0),
    )


def repaired(
    *, candidates: Candidates, quantities: FloatArray, remaining: FloatArray, demand: FloatArray
) -> FloatArray:
    """Solver quantities cleaned of round-off, so no offer or need is exceeded by a hair.

    HiGHS satisfies constraints to about 1e-7; a proposal must never promise more than an
    offer has, so values are clipped to their bounds, dust is dropped, lotted quantities a
    hair below their lot are the lot, and any excess left on an offer or need comes off
    its largest allocation.
    """
    quantities = np.clip(quantities, 0.0, candidates.upper)
    quantities[quantities <= tolerance(candidates.upper)] = 0.0
    lotted = candidates.minimum_lot > 0
    below_lot = lotted & (quantities > 0) & (quantities < candidates.minimum_lot)
    snap = below_lot & (quantities >= candidates.minimum_lot * (1 - LOT_SNAP))
    quantities[snap] = candidates.minimum_lot[snap]
    quantities[below_lot & ~snap] = 0.0
    for rows, capacity in ((candidates.offer_rows, remaining), (candidates.need_rows, demand)):
        allocated = allocated_per_row(rows=rows, quantities=quantities, rows_count=len(capacity))
        for row in np.flatnonzero(allocated > capacity):
            members = np.flatnonzero(rows == row)
            largest = members[np.argmax(quantities[members])]
            quantities[largest] = max(0.0, quantities[largest] - (allocated[row] - capacity[row]))
    return quantities


def respects_lots(*, candidates: Candidates, quantities: FloatArray) -> bool:
    """Whether every lotted candidate carries nothing or at least its lot (within round-off)."""
    lot = candidates.minimum_lot
    dust = quantities <= tolerance(candidates.upper)
    return bool(np.all((lot == 0) | dust | (quantities >= lot * (1 - LOT_SNAP))))


def relaxed_quantities(
    *,
    problems: list[Candidates],
    remaining: FloatArray,
    demand: FloatArray,
    solve_mode: SolveMode,
) -> list[FloatArray]:
    """Each product's lexicographic optimum without lots: one LP per product, or one block.

    Products share no offer or need and the objective adds up over them, so the block LP's
    optimum restricted to a product is that product's optimum: the modes differ in speed only.
    """
    if solve_mode == "per_product":
        return [
            solve_transportation_lp(candidates=problem, remaining=remaining, demand=demand)
            if len(problem)
            else np.zeros(0)
            for problem in problems
        ]
    block = Candidates.concatenate(problems) if problems else None
    if block is None or len(block) == 0:
        return [np.zeros(0) for _ in problems]
    quantities = solve_transportation_lp(candidates=block, remaining=remaining, demand=demand)
    return np.split(quantities, np.cumsum([len(problem) for problem in problems])[:-1])


def match(
    *,
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    kg_per_unit_by_product: Mapping[str, float],
    settings: MatchSettings | None = None,
) -> MatchResult:
    """Proposals that serve priority needs first and then move the fewest kg x km.

    ``offers`` and ``needs`` are frames with the columns of ``OFFER_COLUMNS`` and
    ``NEED_COLUMNS`` (``offers_frame``/``needs_frame`` build them from records); an offer's
    ``committed_quantity`` is held back. Raises ``InvalidBoard`` for bad input.

    The LP without lots is a relaxation of the problem with lots, so a product whose LP
    optimum respects every lot is done; only products where a lot binds get a MILP, each
    on its own (one MILP over the whole board was measured a hundred times slower).
    """
    settings = settings or MatchSettings()
    prepared_offers = prepare_offers(offers, kg_per_unit_by_product=kg_per_unit_by_product)
    prepared_needs = prepare_needs(needs, kg_per_unit_by_product=kg_per_unit_by_product)
    pairs = pairs_by_product(
        offers=prepared_offers,
        needs=prepared_needs,
        kg_per_unit_by_product=kg_per_unit_by_product,
        settings=settings,
    )
    problems = [
        candidates_of_product(pairs=product_pairs, offers=prepared_offers, needs=prepared_needs)
        for product_pairs in pairs
    ]
    remaining = prepared_offers["remaining"].to_numpy(dtype=np.float64)
    demand = prepared_needs["quantity"].to_numpy(dtype=np.float64)
    quantities = relaxed_quantities(
        problems=problems, remaining=remaining, demand=demand, solve_mode=settings.solve_mode
    )
    for index, problem in enumerate(problems):
        if not respects_lots(candidates=problem, quantities=quantities[index]):
            quantities[index] = solve_transportation_milp(
                candidates=problem,
                remaining=remaining,
                demand=demand,
                relaxed_quantities=quantities[index],
                mip_relative_gap=settings.mip_relative_gap,
            )
        quantities[index] = repaired(
            candidates=problem, quantities=quantities[index], remaining=remaining, demand=demand
        )
    return build_result(
        offers=prepared_offers,
        needs=prepared_needs,
        pairs=pairs,
        offer_rows=np.concatenate([problem.offer_rows for problem in problems] or [NO_ROWS]),
        need_rows=np.concatenate([problem.need_rows for problem in problems] or [NO_ROWS]),
        quantities=np.concatenate(quantities or [np.zeros(0)]),
    )
