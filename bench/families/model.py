"""The shape every scenario family hands to the alert-quality bench.

A family is a module with ``generate(seed: int, *, emergency: bool = True) -> CityHistory``.
The bench posts ``reported`` values day by day through the real ingest, runs the real
monitor after each day, and judges the alerts against ``true_stock`` only; a family never
needs to know how the monitor decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

STORE_KINDS = ("supermarket", "farmers_market", "other")
"""Store kinds the service knows (models.StoreKind)."""


@dataclass(frozen=True)
class CityHistory:
    """A simulated city: who sells what, what the stores reported each day, and the truth.

    Arrays are shaped (reported_days + follow_up_days, lines); a line is one row of
    ``lines``. Quantities are in the product's canonical unit (``products.csv``), prices
    in CNY per canonical unit.
    """

    family: str
    seed: int
    first_date: date
    reported_days: int
    """Days 0 .. reported_days - 1 are posted to the service and evaluated."""
    follow_up_days: int
    """Further days of truth after the reported ones: the monitor keeps running on them
    so an alert firing on the last reported day can be judged to its end; nothing that
    starts on them is scored."""
    event_start: int | None
    """First day of the emergency (lockdown, flood, blocked highway); None when the city
    lives through ordinary weeks only."""
    stores: pd.DataFrame
    """Columns ``code`` (unique, ``[A-Za-z0-9_.-]``, ≤ 64 chars), ``name``, ``district``
    (a code from ``service/data/districts.csv``), ``kind`` (one of STORE_KINDS),
    ``chain`` (an enterprise name; stores of one chain share it)."""
    lines: pd.DataFrame
    """Columns ``store`` (a store code) and ``product`` (a product code from
    ``service/data/products.csv``); one row per line, no duplicates."""
    stock: np.ndarray
    """End-of-day stock on hand as the store reports it (≥ 0)."""
    sales: np.ndarray
    """That day's sales as reported (≥ 0)."""
    price: np.ndarray
    """Retail price that day (> 0)."""
    received: np.ndarray
    """Deliveries received that day as reported; NaN where the store does not report
    them (the field is optional in the service)."""
    reported: np.ndarray
    """True where the store posted that line that day; a store that skips a day leaves
    all its lines False. Unreported days carry no values the bench posts."""
    true_stock: np.ndarray
    """Physical end-of-day stock: the truth alerts are judged against (a stock-out is a
    day it is ≤ 0)."""
    disrupted: np.ndarray
    """Per line (shape (lines,)): True when its district's supply is cut in the event."""

    @property
    def line_count(self) -> int:
        """Number of store × product lines."""
        return len(self.lines)

    @property
    def simulated_days(self) -> int:
        """Reported plus follow-up days: how far the truth reaches."""
        return self.reported_days + self.follow_up_days

    def date_of(self, day: int) -> date:
        """The business date of day index ``day``."""
        return self.first_date + timedelta(days=day)

    def check(self) -> None:
        """Raise ValueError when the arrays or frames break the shape above."""
        shape = (self.simulated_days, self.line_count)
        for name in ("stock", "sales", "price", "received", "reported", "true_stock"):
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name} has shape {getattr(self, name).shape}, not {shape}")
        if self.disrupted.shape != (self.line_count,):
            raise ValueError("disrupted needs one value per line")
        if self.lines.duplicated(["store", "product"]).any():
            raise ValueError("a store × product appears twice in lines")
        if not self.lines["store"].isin(self.stores["code"]).all():
            raise ValueError("lines name a store missing from stores")
        if not set(self.stores["kind"]) <= set(STORE_KINDS):
            raise ValueError(f"store kinds must be among {STORE_KINDS}")
        posted = self.reported
        for name in ("stock", "sales"):
            values = getattr(self, name)[posted]
            if not np.isfinite(values).all() or (values < 0).any():
                raise ValueError(f"{name} must be finite and ≥ 0 where reported")
        if not (self.price[posted] > 0).all():
            raise ValueError("price must be > 0 where reported")
        if self.event_start is not None and not 0 < self.event_start < self.reported_days:
            raise ValueError("event_start must fall inside the reported days")
