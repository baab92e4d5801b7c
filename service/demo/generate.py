"""Generate the demo city (or a province for benchmarks) with its daily reports.

Pure functions: the same seed and dates give identical frames, and nothing touches a
database; ``service.demo.load`` writes the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from service.demo import reference as ref
from service.demo.master import MasterFrames, city_master, province_master, stage_rng
from service.demo.simulate import LinePlan, Lockdown, Simulated, plan_lines, simulate

REPORT_COLUMNS = [
    "store_code", "report_date", "product_code", "stock", "sales", "price", "received",
]  # fmt: skip
STAGE_LINES, STAGE_SIMULATION, STAGE_MISSING = 5, 6, 7


@dataclass
class DemoCity(MasterFrames):
    """A generated city or province: master data frames, daily reports, and the ground
    truth of what happened in it (when the lockdown began, which districts lost their
    supply, which stores did not report the last day), for checking alerts against.

    ``reports`` has the canonical columns store_code, report_date (``datetime.date``),
    product_code, stock, sales, price, received, ordered by date, store, product.
    """

    reports: pd.DataFrame
    seed: int
    end_date: date
    days: int
    lockdown_start: date | None = None
    disruption_start: date | None = None
    disrupted_districts: tuple[str, ...] = ()
    missing_last_day: tuple[str, ...] = ()

    @property
    def first_date(self) -> date:
        """The first reported business day."""
        return self.end_date - timedelta(days=self.days - 1)

    @property
    def dates(self) -> list[date]:
        """Every reported business day, oldest first."""
        return [self.first_date + timedelta(days=i) for i in range(self.days)]

    @property
    def districts(self) -> pd.DataFrame:
        """The district-level regions."""
        return self.regions[self.regions["level"] == "district"]


def _lockdown_dates(
    lockdown: Lockdown | None, dates: list[date]
) -> tuple[date | None, date | None]:
    """When the lockdown and the supply disruption began (None when not in the data)."""
    if lockdown is None:
        return None, None
    disruption = lockdown.start + lockdown.disruption_day
    return dates[lockdown.start], dates[disruption] if disruption < len(dates) else None


def _check_days(days: int, lockdown_days: int) -> None:
    if days < 1:
        raise ValueError("days must be at least 1")
    if lockdown_days < 0:
        raise ValueError("lockdown_days must not be negative")


def _report_frame(
    sim: Simulated,
    *,
    store_codes: np.ndarray,
    line_store: np.ndarray,
    product_codes: np.ndarray,
    line_product: np.ndarray,
    dates: list[date],
    compact: bool,
) -> pd.DataFrame:
    """Flatten (days, lines) arrays into report rows, date-major.

    ``compact`` stores codes and dates as categoricals (a few bytes a row) for frames
    of millions of rows; otherwise they are plain strings and ``date`` objects.
    """
    days, lines = sim.stock.shape
    day_of_row = np.repeat(np.arange(days, dtype=np.int16), lines)
    date_index = pd.Index(dates, dtype=object)
    if compact:
        columns: dict[str, object] = {
            "store_code": pd.Categorical.from_codes(
                np.tile(line_store.astype(np.int32), days), categories=pd.Index(store_codes)
            ),
            "report_date": pd.Categorical.from_codes(day_of_row, categories=date_index),
            "product_code": pd.Categorical.from_codes(
                np.tile(line_product.astype(np.int32), days), categories=pd.Index(product_codes)
            ),
        }
    else:
        columns = {
            "store_code": np.tile(store_codes[line_store], days),
            "report_date": date_index.to_numpy()[day_of_row],
            "product_code": np.tile(product_codes[line_product], days),
        }
    for name in ("stock", "sales", "price", "received"):
        columns[name] = getattr(sim, name).reshape(-1)
    # copy=False: the simulated arrays become the columns (no second copy of 8 M rows).
    return pd.DataFrame(columns, columns=REPORT_COLUMNS, copy=False)


@dataclass(frozen=True)
class CityLines:
    """The demo city's store × product lines as simulated: master data, each line's store
    and product (positions in ``master.stores`` and ``master.products``), its drawn
    parameters, and the true daily arrays, shape (days, lines), from ``first_date``."""

    master: MasterFrames
    line_store: np.ndarray
    line_product: np.ndarray
    plan: LinePlan
    first_date: date
    truth: Simulated

    @property
    def dates(self) -> list[date]:
        """Every simulated business day, oldest first."""
        return [self.first_date + timedelta(days=i) for i in range(len(self.truth.stock))]


def city_lines(*, seed: int, first_date: date, days: int, lockdown: Lockdown | None) -> CityLines:
    """The demo city of ``seed`` simulated line by line for ``days`` from ``first_date``:
    the one source of its daily numbers, which ``generate_city`` turns into reports and
    the alert-quality scenario keeps as the truth. Each stage draws from its own seeded
    generator, so simulating more days leaves the first ones as they were."""
    master = city_master(seed)
    stores, products = master.stores, master.products
    store_position = pd.Series(np.arange(len(stores)), index=stores["code"])
    product_position = pd.Series(np.arange(len(products)), index=products["code"])
    line_store = store_position.loc[master.assortment["store_code"]].to_numpy()
    line_product = product_position.loc[master.assortment["product_code"]].to_numpy()

    rng = stage_rng(seed, STAGE_LINES)
    market = (stores["kind"] == "farmers_market").to_numpy()
    # Markets sell fresh food a little cheaper than supermarkets.
    price_level = rng.lognormal(0.0, 0.05, len(stores)) * np.where(market, 0.95, 1.0)
    disrupted = stores["district_code"].isin(ref.DISRUPTED_DISTRICTS).to_numpy()
    plan = plan_lines(
        products=products,
        product_index=line_product,
        store_size=stores["size"].to_numpy()[line_store],
        store_price_level=price_level[line_store],
        disrupted=disrupted[line_store],
        rng=rng,
    )
    truth = simulate(
        plan,
        first_date=first_date,
        days=days,
        lockdown=lockdown,
        rng=stage_rng(seed, STAGE_SIMULATION),
    )
    return CityLines(
        master=master,
        line_store=line_store,
        line_product=line_product,
        plan=plan,
        first_date=first_date,
        truth=truth,
    )


def generate_city(
    *, seed: int = 42, end_date: date, days: int = 30, lockdown_days: int = ref.LOCKDOWN_DAYS
) -> DemoCity:
    """The Pingdingshan-size demo city with ``days`` of reports ending on ``end_date``.

    The last ``lockdown_days`` are a lockdown: panic buying everywhere, then supply cut
    to a quarter in Weidong and Ye with stockouts and rising prices; about 3 % of the
    stores miss their report on the last day. Deterministic from ``seed`` and dates.
    """
    _check_days(days, lockdown_days)
    lockdown = Lockdown(start=max(0, days - lockdown_days)) if lockdown_days else None
    lines = city_lines(
        seed=seed, first_date=end_date - timedelta(days=days - 1), days=days, lockdown=lockdown
    )
    master = lines.master
    stores, products = master.stores, master.products
    dates = lines.dates
    lockdown_start, disruption_start = _lockdown_dates(lockdown, dates)
    reports = _report_frame(
        lines.truth,
        store_codes=stores["code"].to_numpy(dtype=object),
        line_store=lines.line_store,
        product_codes=products["code"].to_numpy(dtype=object),
        line_product=lines.line_product,
        dates=dates,
        compact=False,
    )

    # A few stores (never PDS-0001, which the demo logins use) miss the last day.
    candidates = stores["code"].to_numpy(dtype=object)[1:]
    missing_count = max(1, round(ref.MISSING_LAST_DAY_SHARE * len(stores)))
    missing = np.sort(stage_rng(seed, STAGE_MISSING).choice(candidates, missing_count, False))
    dropped = (reports["report_date"] == end_date) & reports["store_code"].isin(missing)
    reports = reports[~dropped].reset_index(drop=True)

    return DemoCity(
        regions=master.regions,
        enterprises=master.enterprises,
        stores=stores,
        products=products,
        conversions=master.conversions,
        assortment=master.assortment,
        reports=reports,
        seed=seed,
        end_date=end_date,
        days=days,
        lockdown_start=lockdown_start,
        disruption_start=disruption_start,
        disrupted_districts=ref.DISRUPTED_DISTRICTS,
        missing_last_day=tuple(str(code) for code in missing),
    )


def generate_history(
    *,
    stores: int,
    products: int,
    end_date: date,
    days: int,
    seed: int,
    lockdown_days: int = 0,
) -> DemoCity:
    """A province-size network with ``days`` of reports from every store for every
    product (``stores × products × days`` rows), for multi-day benchmarks.

    Compact: codes and dates are categoricals and the numbers float32, so 10,000 stores
    × 60 products × 14 days (8.4 M rows) take about 170 MB. With ``lockdown_days`` the
    last days carry a lockdown shock that disrupts about a tenth of the districts.
    """
    _check_days(days, lockdown_days)
    master = province_master(stores=stores, products=products, seed=seed)
    store_frame, product_frame = master.stores, master.products
    n_stores, n_products = len(store_frame), len(product_frame)
    line_store = np.repeat(np.arange(n_stores, dtype=np.int32), n_products)
    line_product = np.tile(np.arange(n_products, dtype=np.int32), n_stores)

    rng = stage_rng(seed, STAGE_LINES)
    districts = master.regions.loc[master.regions["level"] == "district", "code"].to_numpy()
    disrupted_districts: tuple[str, ...] = ()
    if lockdown_days:
        chosen = rng.choice(districts, max(1, len(districts) // 10), replace=False)
        disrupted_districts = tuple(sorted(str(code) for code in chosen))
    disrupted = store_frame["district_code"].isin(disrupted_districts).to_numpy()
    plan = plan_lines(
        products=product_frame,
        product_index=line_product,
        store_size=store_frame["size"].to_numpy()[line_store],
        store_price_level=rng.lognormal(0.0, 0.05, n_stores)[line_store],
        disrupted=disrupted[line_store],
        rng=rng,
    )
    first_date = end_date - timedelta(days=days - 1)
    lockdown = Lockdown(start=max(0, days - lockdown_days)) if lockdown_days else None
    sim = simulate(
        plan,
        first_date=first_date,
        days=days,
        lockdown=lockdown,
        rng=stage_rng(seed, STAGE_SIMULATION),
        dtype=np.float32,
    )
    del plan
    dates = [first_date + timedelta(days=i) for i in range(days)]
    lockdown_start, disruption_start = _lockdown_dates(lockdown, dates)
    reports = _report_frame(
        sim,
        store_codes=store_frame["code"].to_numpy(dtype=object),
        line_store=line_store,
        product_codes=product_frame["code"].to_numpy(dtype=object),
        line_product=line_product,
        dates=dates,
        compact=True,
    )
    return DemoCity(
        regions=master.regions,
        enterprises=master.enterprises,
        stores=store_frame,
        products=product_frame,
        conversions=master.conversions,
        assortment=master.assortment,
        reports=reports,
        seed=seed,
        end_date=end_date,
        days=days,
        lockdown_start=lockdown_start,
        disruption_start=disruption_start,
        disrupted_districts=disrupted_districts,
    )


def generate_province_day(
    *, stores: int, products: int, report_date: date, seed: int = 7
) -> DemoCity:
    """Master data and ONE day of reports (``stores × products`` rows) for the
    province-size ingest benchmark (10,000 stores × 60 products = 600,000 lines)."""
    return generate_history(
        stores=stores, products=products, end_date=report_date, days=1, seed=seed
    )
