"""Benchmarks of the dispatch planner.

Section "cvrplib": every instance of a folder of CVRPLIB instances (``.vrp`` VRPLIB files,
``.txt`` Solomon files, and a ``BKS.csv`` with columns instance, type, n_customers, bks,
cost_convention, source) is solved twice per time limit with the same seed: through the
dispatch wrapper (``dispatch.cvrplib.solve_cvrplib_instance``, the code the service
runs) and with PyVRP called directly (``pyvrp.read`` + ``pyvrp.solve``; ``pyvrp.read``
ignores a ``DISTANCE`` route limit, so it is set on the vehicle types as the wrapper
does). A cost_convention naming DIMACS or truncation selects DIMACS truncation, one
naming real distances (EXACT, UNROUNDED...: CMT, Golden, Li, Taillard, EXACT_2D files)
exact costs, one naming rounding rounds (unless the best-known cost has decimals, which
only real distances give); a column that says none of these, or is missing, gives DIMACS
for time-window instances, exact for a best-known cost with decimals, else rounding. The
table shows both gaps to the best-known solution and
the wrapper/direct cost ratio, which should be close to 1: the wrapper must not cost
quality. The run ends with the figures for the longest limit (and ``refused=`` with the
instances the reader or the wrapper refused, each also named in the table with the
reason, if any):

    mean_gap_pct_small=   mean wrapper gap on instances of at most 200 customers
    mean_gap_pct_large=   mean wrapper gap on the larger ones
    max_cost_ratio_vs_direct=

Section "city": a city day from the demo generator (500 locked-down compounds with one
request each, 10 % urgent, morning / afternoon / all-day windows; 100 trucks at 4
depots) loaded into a fresh database, then planned and committed through the HTTP API
of a uvicorn server (``POST /api/v1/dispatch/plans`` then ``.../commit``). Timed: those
two requests. The committed plan is then audited by the independent schedule checker.
Target: at most 30 s with nothing unassigned that fits. It ends with

    city_seconds=  city_trucks_used=  city_distance_km=  city_unassigned=

Usage: ``.venv/bin/python bench/dispatch.py [--section cvrplib|city] [--instances DIR]
[--seconds S] [--only NAME] [--seed N] [--city-solver-seconds S] [--city-database URL]
[--port P]``. Each section is a function returning its summary lines; ``main`` runs them
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
import importlib.util  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from importlib import metadata  # noqa: E402
from typing import Any, TextIO  # noqa: E402

import numpy as np  # noqa: E402
import pyvrp  # noqa: E402
import vrplib  # noqa: E402
from pyvrp.stop import MaxRuntime  # noqa: E402

from accounts.authentication import create_api_key  # noqa: E402
from core.database import (  # noqa: E402
    create_database_engine,
    create_session_factory,
    session_scope,
)
from dispatch.cvrplib import (  # noqa: E402
    SCALE,
    RoundingConvention,
    instance_problem,
    solve_cvrplib_instance,
)
from dispatch.planning import load_plan, stored_plan  # noqa: E402
from dispatch.schedule import check_plan  # noqa: E402
from models import Role  # noqa: E402
from service.configuration import business_today  # noqa: E402
from service.demo import generate_city, load_master_data  # noqa: E402
from service.demo.dispatch import generate_dispatch, load_dispatch  # noqa: E402
from service.migrate import upgrade_to_head  # noqa: E402
from service.settings import Settings  # noqa: E402

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


EXACT_WORDS = ("EXACT", "UNROUNDED", "NOT ROUNDED", "NO ROUNDING", "REAL DIST", "REAL-VALUED")
"""A cost_convention naming real (unrounded) distances contains one of these."""


def convention_of(text: str, *, kind: str = "", best_known: float = 0.0) -> RoundingConvention:
    """The rounding a BKS.csv cost_convention describes: DIMACS (or truncation), real
    distances (see ``EXACT_WORDS``), rounding to the nearest integer. A column that names
    none of them falls back on what the set's best-known costs are published in: DIMACS
    for time-window instances (Solomon, Gehring-Homberger), real distances for a cost with
    decimals (CMT, Golden, Li, Taillard), else rounded."""
    upper = text.strip().upper()
    if "DIMACS" in upper or "TRUNCAT" in upper:
        return "dimacs"
    if any(word in upper for word in EXACT_WORDS):
        return "exact"
    if "ROUND" in upper and not float(best_known).is_integer():
        return "exact"  # "rounded" yet a cost with decimals: the cost is the real one
    if "ROUND" in upper:
        return "round"
    if "TW" in kind.upper():
        return "dimacs"
    return "round" if float(best_known).is_integer() else "exact"


def load_best_known(folder: Path) -> list[BestKnown]:
    """The instances listed in ``folder/BKS.csv``; the convention column decides rounding."""
    with (folder / "BKS.csv").open(newline="") as handle:
        return [
            BestKnown(
                instance=row["instance"],
                kind=row["type"],
                customers=int(row["n_customers"]),
                cost=float(row["bks"]),
                convention=convention_of(
                    row.get("cost_convention") or "",
                    kind=row.get("type") or "",
                    best_known=float(row["bks"]),
                ),
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
    instance = read_instance(path)
    if path.suffix != ".txt":
        # vrplib already gives EXACT_2D distances times 1000: do not scale them twice.
        exact_2d = str(instance.get("edge_weight_type", "")).upper() == "EXACT_2D"
        data = pyvrp.read(path, round_func="round" if exact_2d else convention)
        if "distance" in instance:  # pyvrp.read leaves the route-length limit out
            limit = round(float(instance["distance"]) * SCALE[convention])
            data = data.replace(
                vehicle_types=[
                    vehicle_type.replace(shift_duration=limit)
                    for vehicle_type in data.vehicle_types()
                ]
            )
        return data
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
    return result.cost() / SCALE[convention], seconds


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
    refused = []
    for row in rows:
        path = instance_path(folder, row.instance)
        try:
            instance = read_instance(path)
            # The wrapper's own reading first: it names what it does not support.
            instance_problem(instance=instance, convention=row.convention)
            data = direct_data(path, row.convention)
        except (ValueError, RuntimeError) as error:  # vrplib's and the wrapper's refusals
            refused.append(row.instance)
            print(f"{row.instance:<13} refused: {error}", file=out, flush=True)
            continue
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
    summary = summarise(outcomes, max(limits_s))
    return summary + ([f"refused={','.join(refused)}"] if refused else [])


CITY_DAY = business_today(Settings())
"""The city day is today's, as the server sees it: a plan may only be made for a day near
today (``dispatch.planning.PLAN_DAYS_AHEAD``)."""
CITY_COMPOUNDS = 500
CITY_TRUCKS = 100
CITY_DEPOTS = 4
CITY_URGENT_SHARE = 0.1
CITY_TARGET_S = 30.0


def _server_helpers() -> Any:
    """bench/api.py's uvicorn start / readiness / stop helpers (one copy of that code)."""
    spec = importlib.util.spec_from_file_location("bench_api", _HERE / "api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _load_city_day(url: str, seed: int) -> str:
    """Fresh schema, the demo city's master data and a 500-compound dispatch day; returns
    a dispatcher key."""
    upgrade_to_head(url)
    engine = create_database_engine(url)
    city = generate_city(seed=seed, end_date=CITY_DAY, days=8)
    frames = generate_dispatch(
        city,
        seed=seed,
        compounds=CITY_COMPOUNDS,
        locked_share=1.0,
        trucks=CITY_TRUCKS,
        depots=CITY_DEPOTS,
        urgent_share=CITY_URGENT_SHARE,
        lockdown_start=CITY_DAY,
    )
    with session_scope(create_session_factory(engine)) as session:
        load_master_data(session, city)
        load_dispatch(session, frames, delivery_date=CITY_DAY)
        _, secret = create_api_key(session, name="bench dispatcher", role=Role.dispatcher)
    engine.dispose()
    return secret


def _audit(url: str, plan_id: int) -> list[str]:
    """What the independent checker finds wrong with the committed plan ([] if nothing)."""
    engine = create_database_engine(url)
    with create_session_factory(engine)() as session:
        problem, plan = stored_plan(session, load_plan(session, plan_id))
        problems = [str(found) for found in check_plan(problem=problem, plan=plan)]
    engine.dispose()
    return problems


def run_city(
    *, database_url: str | None, solver_seconds: float, seed: int, port: int, out: TextIO
) -> list[str]:
    """Plan and commit a 500-compound city day through the HTTP API; summary lines."""
    import httpx

    helpers = _server_helpers()
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'city.db'}"
        secret = _load_city_day(url, seed)
        headers = {"Authorization": f"Bearer {secret}"}
        log_path = Path(folder) / "uvicorn.log"
        base_url = f"http://127.0.0.1:{port}"
        with log_path.open("wb") as log:
            server = helpers.start_server(url, port=port, workers=1, log=log)
            try:
                helpers.wait_ready(server, base_url, log_path)
                with httpx.Client(base_url=base_url, headers=headers, timeout=300) as client:
                    started = time.perf_counter()
                    planned = client.post(
                        "/api/v1/dispatch/plans",
                        json={"date": CITY_DAY.isoformat(), "time_limit_s": solver_seconds},
                    )
                    planned.raise_for_status()
                    plan = planned.json()
                    committed = client.post(
                        f"/api/v1/dispatch/plans/{plan['id']}/commit",
                        json={"expected_version": plan["version"]},
                    )
                    committed.raise_for_status()
                    elapsed = time.perf_counter() - started
            finally:
                helpers.stop_server(server)
        totals = plan["totals"]
        reasons = Counter(entry["reason"] for entry in plan["unassigned"])
        problems = _audit(url, plan["id"])
    print(
        f"# city: {CITY_COMPOUNDS} locked compounds, {CITY_TRUCKS} trucks, {CITY_DEPOTS} depots, "
        f"{CITY_URGENT_SHARE:.0%} urgent; database {'sqlite' if database_url is None else url}",
        file=out,
    )
    print(
        f"# solver limit {solver_seconds:g} s, solver ran {plan['solver_seconds']:.1f} s; "
        f"{totals['requests_served']} requests served in {totals['stops']} stops, "
        f"{totals['load_kg']} kg; unassigned by reason: {dict(reasons) or 'none'}; "
        f"independent check: {'ok' if not problems else problems[:3]}; "
        f"target <= {CITY_TARGET_S:g} s",
        file=out,
    )
    return [
        f"city_seconds={elapsed:.2f}",
        f"city_trucks_used={totals['trucks_used']}",
        f"city_distance_km={totals['distance_km']:.1f}",
        f"city_unassigned={totals['requests_unassigned']}",
    ]


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
    parser.add_argument(
        "--section",
        choices=["cvrplib", "city", "all"],
        default="all",
        help="which section to run (default: all)",
    )
    parser.add_argument(
        "--city-solver-seconds",
        type=float,
        default=20.0,
        help="solver time limit of the city plan (default 20)",
    )
    parser.add_argument(
        "--city-database",
        default=None,
        help="database URL for the city day (default: a temporary SQLite file)",
    )
    parser.add_argument("--port", type=int, default=18301, help="uvicorn port (default 18301)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    limits = sorted(args.seconds) if args.seconds else list(DEFAULT_LIMITS_S)
    only = [name.strip() for item in args.only for name in item.split(",") if name.strip()]
    summary: list[str] = []
    if args.section in ("cvrplib", "all"):
        summary += run_cvrplib(
            folder=args.instances, limits_s=limits, seed=args.seed, only=only, out=sys.stdout
        )
    if args.section in ("city", "all"):
        summary += run_city(
            database_url=args.city_database,
            solver_seconds=args.city_solver_seconds,
            seed=args.seed,
            port=args.port,
            out=sys.stdout,
        )
    for line in summary:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
