"""Benchmarks of the dispatch planner.

Section "cvrplib": every instance of a folder of CVRPLIB instances (``.vrp`` VRPLIB files,
``.txt`` Solomon files, and a ``BKS.csv`` with columns instance, type, n_customers, bks,
cost_convention, source) is solved twice per time limit with the same seed: through the
dispatch wrapper (``dispatch.cvrplib.solve_cvrplib_instance``, the code the service
runs) and with PyVRP called directly (``pyvrp.read`` + ``pyvrp.solve``). The table shows
both gaps to the best-known solution and the wrapper/direct cost ratio, which should be
close to 1: the wrapper must not cost quality. The run ends with the figures for the
longest limit:

    mean_gap_pct_small=   mean wrapper gap on instances of at most 200 customers
    mean_gap_pct_large=   mean wrapper gap on the larger ones
    max_cost_ratio_vs_direct=

Usage: ``.venv/bin/python bench/dispatch.py [--instances DIR] [--seconds S] [--only NAME]
[--seed N]``. Each section is a function returning its summary lines; ``main`` runs them
in turn, so another section is one more function and one more call.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and "import dispatch" would
# load this very file instead of the package: put the repository root first instead.
_HERE = Path(__file__).resolve().parent
REPO = _HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import csv  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from importlib import metadata  # noqa: E402
from typing import Any, TextIO  # noqa: E402

import numpy as np  # noqa: E402
import pyvrp  # noqa: E402
import vrplib  # noqa: E402
from pyvrp.stop import MaxRuntime  # noqa: E402

from dispatch.cvrplib import RoundingConvention, solve_cvrplib_instance  # noqa: E402

DEFAULT_INSTANCES = REPO.parent / "shared" / "data" / "cvrplib"
DEFAULT_LIMITS_S = (10.0, 60.0)
SMALL_MAX_CUSTOMERS = 200


@dataclass(frozen=True, slots=True)
class BestKnown:
    """One row of BKS.csv."""

    instance: str
    kind: str
    customers: int
    cost: float
    convention: RoundingConvention


@dataclass(frozen=True, slots=True)
class Outcome:
    """Wrapper and direct results for one instance at one time limit."""

    best: BestKnown
    limit_s: float
    wrapper_cost: float
    wrapper_s: float
    direct_cost: float
    direct_s: float

    @property
    def wrapper_gap_pct(self) -> float:
        return gap_pct(self.wrapper_cost, self.best.cost)

    @property
    def direct_gap_pct(self) -> float:
        return gap_pct(self.direct_cost, self.best.cost)

    @property
    def ratio(self) -> float:
        """Wrapper cost over direct cost: above 1 means the wrapper did worse."""
        if math.isinf(self.wrapper_cost) or math.isinf(self.direct_cost):
            return math.inf
        return self.wrapper_cost / self.direct_cost


def gap_pct(cost: float, best_known: float) -> float:
    """Percentage above the best-known cost (infinite for an infeasible result)."""
    return (cost - best_known) / best_known * 100.0


def load_best_known(folder: Path) -> list[BestKnown]:
    """The instances listed in ``folder/BKS.csv``; the convention column decides rounding."""
    with (folder / "BKS.csv").open(newline="") as handle:
        return [
            BestKnown(
                instance=row["instance"],
                kind=row["type"],
                customers=int(row["n_customers"]),
                cost=float(row["bks"]),
                convention="dimacs"
                if row["cost_convention"].upper().startswith("DIMACS")
                else "round",
            )
            for row in csv.DictReader(handle)
        ]


def instance_path(folder: Path, name: str) -> Path:
    """The instance file for a BKS row: ``NAME.vrp`` or, for Solomon files, ``NAME.txt``."""
    for suffix in (".vrp", ".txt"):
        if (path := folder / f"{name}{suffix}").exists():
            return path
    raise FileNotFoundError(f"no {name}.vrp or {name}.txt in {folder}")


def read_instance(path: Path) -> dict[str, Any]:
    """``vrplib.read_instance`` with the format the file extension implies."""
    fmt = "solomon" if path.suffix == ".txt" else "vrplib"
    return vrplib.read_instance(path, instance_format=fmt)


def direct_data(path: Path, convention: RoundingConvention) -> pyvrp.ProblemData:
    """PyVRP's own reading of an instance. ``pyvrp.read`` only reads VRPLIB files, so a
    Solomon file is first rewritten as the equivalent VRPLIB VRPTW file (the form
    PyVRP's own instance collection uses)."""
    if path.suffix != ".txt":
        return pyvrp.read(path, round_func=convention)
    instance = read_instance(path)
    with tempfile.TemporaryDirectory() as folder:
        converted = Path(folder) / f"{path.stem}.vrp"
        vrplib.write_instance(
            converted,
            {
                "NAME": path.stem,
                "TYPE": "VRPTW",
                "DIMENSION": len(instance["demand"]),
                "VEHICLES": int(instance["vehicles"]),
                "CAPACITY": int(instance["capacity"]),
                "EDGE_WEIGHT_TYPE": "EUC_2D",
                "NODE_COORD_SECTION": np.asarray(instance["node_coord"]),
                "DEMAND_SECTION": np.asarray(instance["demand"]),
                "TIME_WINDOW_SECTION": np.asarray(instance["time_window"]),
                "SERVICE_TIME_SECTION": np.asarray(instance["service_time"]),
                "DEPOT_SECTION": np.array([1, -1]),
            },
        )
        return pyvrp.read(converted, round_func=convention)


def solve_direct(
    data: pyvrp.ProblemData, convention: RoundingConvention, limit_s: float, seed: int
) -> tuple[float, float]:
    """(cost in benchmark units or inf, seconds) of plain ``pyvrp.solve``."""
    started = time.perf_counter()
    result = pyvrp.solve(data, stop=MaxRuntime(limit_s), seed=seed, display=False)
    seconds = time.perf_counter() - started
    if not result.is_feasible():
        return math.inf, seconds
    return result.cost() / (10 if convention == "dimacs" else 1), seconds


HEADER = (
    f"{'instance':<13} {'cust':>5} {'limit':>6} {'wrapper':>11} {'gap%':>7} "
    f"{'direct':>11} {'gap%':>7} {'ratio':>7} {'wrap_s':>7} {'dir_s':>7}"
)


def format_row(outcome: Outcome) -> str:
    """One table line."""
    return (
        f"{outcome.best.instance:<13} {outcome.best.customers:>5} {outcome.limit_s:>6g} "
        f"{outcome.wrapper_cost:>11.1f} {outcome.wrapper_gap_pct:>7.2f} "
        f"{outcome.direct_cost:>11.1f} {outcome.direct_gap_pct:>7.2f} "
        f"{outcome.ratio:>7.4f} {outcome.wrapper_s:>7.1f} {outcome.direct_s:>7.1f}"
    )


def _mean(values: Sequence[float]) -> str:
    return f"{statistics.fmean(values):.3f}" if values else "n/a"


def summarise(outcomes: Sequence[Outcome], limit_s: float) -> list[str]:
    """The closing figures for one time limit."""
    at_limit = [o for o in outcomes if o.limit_s == limit_s]
    small = [o.wrapper_gap_pct for o in at_limit if o.best.customers <= SMALL_MAX_CUSTOMERS]
    large = [o.wrapper_gap_pct for o in at_limit if o.best.customers > SMALL_MAX_CUSTOMERS]
    ratio = max((o.ratio for o in at_limit), default=math.nan)
    return [
        f"mean_gap_pct_small={_mean(small)}",
        f"mean_gap_pct_large={_mean(large)}",
        f"max_cost_ratio_vs_direct={ratio:.4f}",
    ]


def run_cvrplib(
    *,
    folder: Path,
    limits_s: Sequence[float],
    seed: int,
    only: Sequence[str],
    out: TextIO,
) -> list[str]:
    """Solve every listed instance through the wrapper and directly; return summary lines."""
    rows = load_best_known(folder)
    if only:
        unknown = sorted(set(only) - {row.instance for row in rows})
        if unknown:
            raise SystemExit(f"not in {folder / 'BKS.csv'}: {', '.join(unknown)}")
        rows = [row for row in rows if row.instance in only]
    print(f"# cvrplib: {folder}, limits {', '.join(f'{s:g}' for s in limits_s)} s", file=out)
    print(f"# seed {seed}, pyvrp {metadata.version('pyvrp')}", file=out)
    print(HEADER, file=out, flush=True)
    outcomes = []
    for row in rows:
        path = instance_path(folder, row.instance)
        instance = read_instance(path)
        data = direct_data(path, row.convention)
        for limit_s in limits_s:
            started = time.perf_counter()
            wrapper_cost, _ = solve_cvrplib_instance(
                instance=instance, time_limit_s=limit_s, seed=seed, convention=row.convention
            )
            wrapper_s = time.perf_counter() - started
            direct_cost, direct_s = solve_direct(data, row.convention, limit_s, seed)
            outcome = Outcome(row, limit_s, wrapper_cost, wrapper_s, direct_cost, direct_s)
            outcomes.append(outcome)
            print(format_row(outcome), file=out, flush=True)
    for limit_s in limits_s[:-1]:
        print(f"# at {limit_s:g} s: " + " ".join(summarise(outcomes, limit_s)), file=out)
    return summarise(outcomes, max(limits_s))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--instances",
        type=Path,
        default=DEFAULT_INSTANCES,
        help=f"folder of .vrp/.txt instances with a BKS.csv (default {DEFAULT_INSTANCES})",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        action="append",
        help="time limit per solve; repeat for several (default: 10 and 60)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="instance name to run (repeat or comma-separate for several)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for both solvers (default 0)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    limits = sorted(args.seconds) if args.seconds else list(DEFAULT_LIMITS_S)
    only = [name.strip() for item in args.only for name in item.split(",") if name.strip()]
    summary = run_cvrplib(
        folder=args.instances, limits_s=limits, seed=args.seed, only=only, out=sys.stdout
    )
    for line in summary:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
