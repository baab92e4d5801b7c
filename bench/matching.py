"""Benchmark of the supply/demand board's matcher on a city-sized board.

The board: 2,000 producers' offers and 1,000 needs over 50 products of
``service/data/products.csv``, in the demo city of ``service/data/districts.csv``.
Producers are scattered around the centres of the counties and county-level cities (a
farm belt, sigma 12 km); needs sit near the urban districts' centres (sigma 3 km),
weighted by population. One urban district is under lockdown (its needs: priority 1) and
a tenth of all needs come from critical alerts (priority 2). Quantities follow each
product's typical daily sales per store: a need is a chain's or district's order of 5-60
store-days, and a product's offers add up to 0.6-1.6 times its needs, so some products
are short and priority matters. Prices scatter +-25 % around the typical price, needs
accept up to +40 %; pickup days and due days spread over a few days; a tenth of offers
have part of their quantity committed already.

The board is matched by ``supply_network.matching.match`` (default settings: 120 km
maximum, road factor 1.3, no price term, cost MILPs to HiGHS's 1e-4 gap) with its LP phase
solved per product and as one block, and by the nearest-first ``greedy_match``; then the
same board with minimum lots on 20 % of the offers (MILPs where lots bind). Printed as
``name=value`` lines per board (suffix ``_lots`` for the second):

    match_seconds=            median wall time of match (default solve mode)
    match_seconds_per_product= match_seconds_block=   both solve modes
    greedy_seconds=
    total_cost= greedy_cost=  kg x road km of the proposals
    block_cost_ratio=         block over per-product cost (1: the modes agree)
    cost_ratio_vs_greedy=     total_cost / greedy_cost
    served_kg= greedy_served_kg=   and the same for priority needs (levels 1-2)
    needs_fully_met_share= greedy_needs_fully_met_share=
    proposals=
    offers_overcommitted= needs_overserved=   counted from the proposals and the board

Then the whole board through the real domain function, ``supply_network.runs.run_matching``,
on a database built by the migrations (SQLite in a temporary folder, or PostgreSQL with
``--backend postgresql`` at ``SUPPLYWATCH_TEST_POSTGRES_URL``, created and dropped): one
producer per offer (its region the nearest county, where the bench scatters them), the
needs as the bureau's needs of their nearest urban district, the lockdown district
recorded as sealed (priority 1; the critical-alert level 2 of the frame boards has no
alerts here). Each timed run reads the open board, matches it and stores the proposals,
and is rolled back:

    domain_match_seconds=     median wall time of run_matching (read, match, write)
    domain_offers= domain_needs= domain_proposals= domain_total_cost=
    domain_offers_overcommitted= domain_needs_overserved=   from the stored proposals

Usage: ``.venv/bin/python bench/matching.py [--seed N] [--repeat R] [--backend sqlite|postgresql]
[--no-domain] [--no-frames]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path: put the repository root first.
_HERE = Path(__file__).resolve().parent
REPO = _HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date, timedelta  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.matching_domain import run_domain  # noqa: E402
from supply_network.board import MatchResult, MatchSettings, SolveMode  # noqa: E402
from supply_network.greedy import greedy_match  # noqa: E402
from supply_network.matching import match  # noqa: E402

DATA = REPO / "service" / "data"
FARM_SPREAD_KM = 12.0
NEED_SPREAD_KM = 3.0
KM_PER_DEGREE = 111.195
BOARD_DAY = date(2024, 5, 1)
EXACT = 1e-9


@dataclass(frozen=True)
class CityBoard:
    """A generated board and the kg per unit of its products."""

    offers: pd.DataFrame
    needs: pd.DataFrame
    kg_per_unit_by_product: dict[str, float]
    lockdown_district: str = ""


def _scatter(
    rng: np.random.Generator, centres: pd.DataFrame, weights: np.ndarray, count: int, km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points drawn around centres chosen by weight, with a normal spread of ``km``."""
    chosen = rng.choice(len(centres), size=count, p=weights / weights.sum())
    latitude = centres["lat"].to_numpy()[chosen] + rng.normal(0, km / KM_PER_DEGREE, count)
    longitude_degree = KM_PER_DEGREE * np.cos(np.radians(latitude))
    longitude = centres["lon"].to_numpy()[chosen] + rng.normal(0, 1, count) * km / longitude_degree
    return latitude, longitude


def city_board(
    *, seed: int, offer_count: int, need_count: int, product_count: int, lot_share: float
) -> CityBoard:
    """The demo city's board as described in the module docstring."""
    rng = np.random.default_rng(seed)
    products = pd.read_csv(DATA / "products.csv").sample(n=product_count, random_state=seed)
    districts = pd.read_csv(DATA / "districts.csv")
    urban = districts[districts["kind"] == "urban_district"].reset_index(drop=True)
    rural = districts[districts["kind"] != "urban_district"].reset_index(drop=True)
    lockdown_district = int(rng.integers(len(urban)))
    lockdown_code = str(urban["code"].iloc[lockdown_district])

    need_product = rng.integers(product_count, size=need_count)
    daily = products["typical_daily_sales_per_store"].to_numpy(dtype=float)
    typical_price = products["typical_price_cny"].to_numpy(dtype=float)
    need_quantity = np.round(daily[need_product] * rng.uniform(5, 60, need_count), 1)
    district_of_need = rng.choice(
        len(urban), size=need_count, p=urban["population_approx"] / urban["population_approx"].sum()
    )
    need_latitude, need_longitude = _scatter(
        rng,
        urban.iloc[district_of_need].reset_index(drop=True),
        np.ones(need_count),
        need_count,
        NEED_SPREAD_KM,
    )
    priority = np.where(district_of_need == lockdown_district, 1, 0)
    priority[rng.random(need_count) < 0.1] = 2
    needs = pd.DataFrame(
        {
            "need_id": np.arange(1, need_count + 1),
            "product": products["code"].to_numpy()[need_product],
            "quantity": need_quantity,
            "max_price": np.round(
                typical_price[need_product] * rng.uniform(1.0, 1.4, need_count), 2
            ),
            "needed_by": [
                BOARD_DAY + timedelta(days=int(d)) for d in rng.integers(0, 4, need_count)
            ],
            "latitude": need_latitude,
            "longitude": need_longitude,
            "priority": priority,
        }
    )

    offer_product = rng.integers(product_count, size=offer_count)
    demand_by_product = np.bincount(need_product, weights=need_quantity, minlength=product_count)
    supply_ratio = rng.uniform(0.6, 1.6, product_count)
    share = rng.lognormal(0, 0.6, offer_count)
    share_sum = np.bincount(offer_product, weights=share, minlength=product_count)
    offer_quantity = np.round(
        share
        / share_sum[offer_product]
        * supply_ratio[offer_product]
        * demand_by_product[offer_product],
        1,
    )
    offer_latitude, offer_longitude = _scatter(
        rng, rural, rural["population_approx"].to_numpy(dtype=float), offer_count, FARM_SPREAD_KM
    )
    available_from = rng.integers(0, 3, offer_count)
    has_lot = rng.random(offer_count) < lot_share
    committed = np.where(
        rng.random(offer_count) < 0.1, np.round(offer_quantity * rng.uniform(0.1, 0.6), 1), 0.0
    )
    offers = pd.DataFrame(
        {
            "offer_id": np.arange(1, offer_count + 1),
            "product": products["code"].to_numpy()[offer_product],
            "quantity": offer_quantity,
            "price": np.round(
                typical_price[offer_product] * rng.uniform(0.75, 1.25, offer_count), 2
            ),
            "latitude": offer_latitude,
            "longitude": offer_longitude,
            "available_from": [BOARD_DAY + timedelta(days=int(d)) for d in available_from],
            "available_to": [
                BOARD_DAY + timedelta(days=int(d + extra))
                for d, extra in zip(available_from, rng.integers(1, 6, offer_count), strict=True)
            ],
            "minimum_lot": np.where(
                has_lot, np.round(offer_quantity * rng.uniform(0.1, 0.4, offer_count), 1), 0.0
            ),
            "committed_quantity": committed,
        }
    )
    kg_per_unit = dict(zip(products["code"], products["kg_per_unit"].astype(float), strict=True))
    return CityBoard(
        offers=offers,
        needs=needs,
        kg_per_unit_by_product=kg_per_unit,
        lockdown_district=lockdown_code,
    )


def offers_overcommitted(board: CityBoard, result: MatchResult) -> int:
    """Offers whose proposals plus earlier commitments exceed their quantity."""
    proposed = result.proposals.groupby("offer_id")["quantity"].sum()
    offers = board.offers.set_index("offer_id")
    total = offers["committed_quantity"] + proposed.reindex(offers.index, fill_value=0.0)
    limit = np.maximum(offers["quantity"], offers["committed_quantity"])
    return int((total > limit * (1 + EXACT) + EXACT).sum())


def needs_overserved(board: CityBoard, result: MatchResult) -> int:
    """Needs whose proposals exceed their quantity."""
    proposed = result.proposals.groupby("need_id")["quantity"].sum()
    quantity = board.needs.set_index("need_id")["quantity"]
    return int((proposed > quantity.reindex(proposed.index) * (1 + EXACT) + EXACT).sum())


def timed(run: Callable[[], MatchResult], *, repeat: int) -> tuple[MatchResult, float]:
    """The result of the last run and the median wall time over ``repeat`` runs."""
    seconds = []
    result: MatchResult | None = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - started)
    assert result is not None
    return result, statistics.median(seconds)


def matched(board: CityBoard, solve_mode: SolveMode) -> Callable[[], MatchResult]:
    """A call of the optimiser on the board in one solve mode."""
    return lambda: match(
        offers=board.offers,
        needs=board.needs,
        kg_per_unit_by_product=board.kg_per_unit_by_product,
        settings=MatchSettings(solve_mode=solve_mode),
    )


def run_board(board: CityBoard, *, suffix: str, repeat: int) -> list[str]:
    """The ``name=value`` lines of one board."""
    per_product, per_product_seconds = timed(matched(board, "per_product"), repeat=repeat)
    block, block_seconds = timed(matched(board, "block"), repeat=repeat)
    greedy, greedy_seconds = timed(
        lambda: greedy_match(
            offers=board.offers,
            needs=board.needs,
            kg_per_unit_by_product=board.kg_per_unit_by_product,
        ),
        repeat=repeat,
    )
    default_mode = MatchSettings().solve_mode
    optimum = per_product if default_mode == "per_product" else block

    def served(result: MatchResult, *, priority_only: bool = False) -> float:
        by_level = result.served_kg_by_priority()
        return sum(kg for level, kg in by_level.items() if level > 0 or not priority_only)

    def fully_met(result: MatchResult) -> float:
        return float((result.needs["unmet_quantity"] == 0).mean())

    figures: dict[str, object] = {
        "match_seconds": per_product_seconds if default_mode == "per_product" else block_seconds,
        "match_seconds_per_product": per_product_seconds,
        "match_seconds_block": block_seconds,
        "greedy_seconds": greedy_seconds,
        "total_cost": optimum.total_cost,
        "block_cost_ratio": block.total_cost / per_product.total_cost,
        "greedy_cost": greedy.total_cost,
        "cost_ratio_vs_greedy": optimum.total_cost / greedy.total_cost,
        "served_kg": served(optimum),
        "greedy_served_kg": served(greedy),
        "priority_served_kg": served(optimum, priority_only=True),
        "greedy_priority_served_kg": served(greedy, priority_only=True),
        "needs_fully_met_share": fully_met(optimum),
        "greedy_needs_fully_met_share": fully_met(greedy),
        "proposals": len(optimum.proposals),
        "offers_overcommitted": max(
            offers_overcommitted(board, result) for result in (per_product, block)
        ),
        "needs_overserved": max(needs_overserved(board, result) for result in (per_product, block)),
    }
    return [
        f"{name}{suffix}={value:.4f}" if isinstance(value, float) else f"{name}{suffix}={value}"
        for name, value in figures.items()
    ]


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7, help="board seed (default 7)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per matcher (default 3)")
    parser.add_argument("--offers", type=int, default=2000)
    parser.add_argument("--needs", type=int, default=1000)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--no-domain", action="store_true", help="skip the database section")
    parser.add_argument("--no-frames", action="store_true", help="only the database section")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Build both boards, match them, print the figures."""
    args = build_parser().parse_args(argv)
    for suffix, lot_share in () if args.no_frames else (("", 0.0), ("_lots", 0.2)):
        board = city_board(
            seed=args.seed,
            offer_count=args.offers,
            need_count=args.needs,
            product_count=args.products,
            lot_share=lot_share,
        )
        print(
            f"# board{suffix}: {len(board.offers)} offers, {len(board.needs)} needs, "
            f"{board.needs['product'].nunique()} products, "
            f"{int((board.offers['minimum_lot'] > 0).sum())} offers with a minimum lot",
            flush=True,
        )
        for line in run_board(board, suffix=suffix, repeat=args.repeat):
            print(line, flush=True)
    if not args.no_domain:
        board = city_board(
            seed=args.seed,
            offer_count=args.offers,
            need_count=args.needs,
            product_count=args.products,
            lot_share=0.0,
        )
        for line in run_domain(
            board, backend=args.backend, repeat=args.repeat, day=BOARD_DAY, exact=EXACT
        ):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
