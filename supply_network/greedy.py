"""A nearest-first greedy matcher: the baseline the optimiser is measured against.

This is how a board is matched by hand: take the needs in priority order (then by date),
and let each take what it can from the nearest allowed offers until it is met. It obeys
the same rules as the optimiser (allowed pairs, remaining quantities, minimum lots) and
reports its result in the same shape, so the bench can compare the two directly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from supply_network.board import (
    MatchResult,
    MatchSettings,
    build_result,
    pairs_by_product,
    prepare_needs,
    prepare_offers,
    tolerance,
)


def greedy_match(
    *,
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    kg_per_unit_by_product: Mapping[str, float],
    settings: MatchSettings | None = None,
) -> MatchResult:
    """Proposals where each need, highest priority first, takes from its nearest offers.

    Same inputs and result as ``supply_network.matching.match``; no optimisation, so its
    cost (and sometimes what it serves) shows what the optimiser gains.
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
    left = prepared_offers["remaining"].to_numpy().copy()
    lot = prepared_offers["minimum_lot"].to_numpy()
    demand = prepared_needs["quantity"].to_numpy()
    order = np.lexsort(
        (
            np.arange(len(prepared_needs)),
            prepared_needs["needed_by"].to_numpy(),
            -prepared_needs["priority"].to_numpy(),
        )
    )
    pairs_of_need = {
        int(need_row): (product_pairs, position)
        for product_pairs in pairs
        for position, need_row in enumerate(product_pairs.need_rows)
    }
    offer_rows: list[int] = []
    need_rows: list[int] = []
    quantities: list[float] = []
    for need_row in order:
        product_pairs, position = pairs_of_need[int(need_row)]
        wanted = float(demand[need_row])
        allowed = np.flatnonzero(product_pairs.allowed[:, position])
        nearest_first = allowed[np.argsort(product_pairs.distance_km[allowed, position])]
        for offer_row in product_pairs.offer_rows[nearest_first]:
            if wanted <= tolerance(demand[need_row]):
                break
            taken = min(wanted, float(left[offer_row]))
            if taken <= tolerance(left[offer_row]) or taken < lot[offer_row]:
                continue
            offer_rows.append(int(offer_row))
            need_rows.append(int(need_row))
            quantities.append(taken)
            left[offer_row] -= taken
            wanted -= taken
    return build_result(
        offers=prepared_offers,
        needs=prepared_needs,
        pairs=pairs,
        offer_rows=np.asarray(offer_rows, dtype=np.int64),
        need_rows=np.asarray(need_rows, dtype=np.int64),
        quantities=np.asarray(quantities, dtype=np.float64),
    )
