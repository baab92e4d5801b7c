"""The alert-quality scenario: the demo city's lockdown with its ground truth.

The demo generator simulates every store × product line exactly, so it knows the true
end-of-day stock of every line on every day. :func:`build_scenario` takes those lines
from the generator's own :func:`~service.demo.generate.city_lines` (so, up to the end of
the demo's month, the reports are the very ones ``generate_city`` gives) and keeps the
true arrays, playing the lockdown a week further and then a few *follow-up* days past
the last replayed day, so that an alert raised near the end can still be judged.
``service.demo.scoring`` replays a scenario through the real ingest and monitor and
scores the alerts against this truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from service.demo.generate import REPORT_COLUMNS, city_lines
from service.demo.master import MasterFrames
from service.demo.simulate import Lockdown, Simulated

DEFAULT_END_DATE = date(2026, 10, 31)
"""Last replayed day by default: fixed, so the weekly pattern (and every figure) is the
same on every run, and in the past, so every report cut-off has passed."""


@dataclass(frozen=True)
class Scenario:
    """The demo city's lockdown with its truth: master data, and per line (one store ×
    product) its codes, category and whether its district loses supply, and the
    simulated arrays of shape (days + follow_up_days, lines)."""

    master: MasterFrames
    seed: int
    first_date: date
    days: int
    follow_up_days: int
    lockdown_start: int
    disruption_start: int
    store_code: np.ndarray
    product_code: np.ndarray
    category: np.ndarray
    disrupted: np.ndarray
    truth: Simulated

    @property
    def lines(self) -> int:
        """Number of store × product lines."""
        return len(self.store_code)

    @property
    def simulated_days(self) -> int:
        """Replayed plus follow-up days: how far the ground truth reaches."""
        return self.days + self.follow_up_days

    @property
    def event_start(self) -> int:
        """The emergency's first day, as the scoring names it: the lockdown's."""
        return self.lockdown_start

    @property
    def true_stock(self) -> np.ndarray:
        """The true end-of-day stock (the demo stores report it exactly)."""
        return self.truth.stock

    def date_of(self, day: int) -> date:
        """The business date of day index ``day``."""
        return self.first_date + timedelta(days=day)

    def reports(self, day: int) -> pd.DataFrame:
        """What every store posts for day ``day`` (code-based ``REPORT_COLUMNS``): the
        true values, since the demo stores report exactly."""
        if not 0 <= day < self.simulated_days:
            raise ValueError(f"day {day} is outside the scenario")
        return pd.DataFrame(
            {
                "store_code": self.store_code,
                "report_date": [self.date_of(day)] * self.lines,
                "product_code": self.product_code,
                "stock": self.truth.stock[day],
                "sales": self.truth.sales[day],
                "price": self.truth.price[day],
                "received": self.truth.received[day],
            },
            columns=REPORT_COLUMNS,
        )


def build_scenario(
    *,
    seed: int = 42,
    end_date: date = DEFAULT_END_DATE,
    days: int = 37,
    lockdown_days: int = 14,
    follow_up_days: int = 7,
    store_codes: Sequence[str] | None = None,
) -> Scenario:
    """The demo city of ``seed`` with ``days`` replayed days ending on ``end_date``, the
    last ``lockdown_days`` of them under lockdown, which goes on for ``follow_up_days``
    more simulated (never replayed) days.

    The default is the demo's month (``make demo``: 30 days, a lockdown in the last 7)
    played one week further, so that the supply disruption, which empties shelves from
    its third day on, unfolds inside the replay. The lines are ``generate_city``'s: with
    the same seed and ``days - lockdown_days``, the first days equal its reports (before
    it drops a few last-day reports). ``store_codes`` keeps only those stores (all
    regions and enterprises stay) for small, fast replays in tests.
    """
    if days < 1 or follow_up_days < 0 or not 0 <= lockdown_days <= days:
        raise ValueError("need days ≥ 1, follow_up_days ≥ 0 and 0 ≤ lockdown_days ≤ days")
    first_date = end_date - timedelta(days=days - 1)
    lockdown = Lockdown(start=days - lockdown_days)
    city = city_lines(
        seed=seed,
        first_date=first_date,
        days=days + follow_up_days,
        lockdown=lockdown if lockdown_days else None,
    )
    master, truth = city.master, city.truth
    stores, products = master.stores, master.products
    line_store, line_product = city.line_store, city.line_product

    keep = np.ones(len(line_store), dtype=bool)
    if store_codes is not None:
        wanted = stores["code"].isin(list(store_codes)).to_numpy()
        unknown = set(store_codes) - set(stores["code"])
        if unknown:
            raise ValueError(f"unknown store codes: {sorted(unknown)}")
        keep = wanted[line_store]
        master = MasterFrames(
            regions=master.regions,
            enterprises=master.enterprises,
            stores=stores[wanted].reset_index(drop=True),
            products=products,
            conversions=master.conversions,
            assortment=master.assortment[keep].reset_index(drop=True),
        )
        truth = Simulated(
            stock=truth.stock[:, keep],
            sales=truth.sales[:, keep],
            price=truth.price[:, keep],
            received=truth.received[:, keep],
        )
    return Scenario(
        master=master,
        seed=seed,
        first_date=first_date,
        days=days,
        follow_up_days=follow_up_days,
        lockdown_start=lockdown.start,
        disruption_start=lockdown.start + lockdown.disruption_day,
        store_code=stores["code"].to_numpy(dtype=object)[line_store[keep]],
        product_code=products["code"].to_numpy(dtype=object)[line_product[keep]],
        category=products["category"].to_numpy(dtype=object)[line_product[keep]],
        disrupted=np.asarray(city.plan.disrupted, dtype=bool)[keep],
        truth=truth,
    )
