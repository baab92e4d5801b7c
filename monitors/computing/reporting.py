"""Who reported a business day: per store and as DHIS2-style reporting rates per district.

A days-of-supply number is only as good as the reports behind it, and a store that
stops reporting during a lockdown is often a store in trouble. DHIS2's definitions
are used: reporting rate = reports received ÷ reports expected (one per active store
and business day), on-time rate = reports received by the cut-off ÷ expected.

``submissions`` has one row per store and business day with ``store_id``,
``report_date`` and ``first_received_at`` (time-zone-aware, UTC), i.e. when the first
line of that day's report arrived; later corrections do not make a report late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from monitors.computing.frames import day_number, day_numbers, require_columns, store_scopes

STORE_REPORTING_COLUMNS: tuple[str, ...] = (
    "store_id",
    "district_id",
    "city_id",
    "received",
    "on_time",
    "first_received_at",
    "consecutive_missing_days",
)

REPORTING_RATE_COLUMNS: tuple[str, ...] = (
    "district_id",
    "expected",
    "received",
    "on_time",
    "reporting_rate",
    "on_time_rate",
)


@dataclass(frozen=True)
class ReportingSettings:
    """When a day's report is due and when a missing one becomes critical."""

    cutoff_hour: int = 10
    """Local hour on the day after the business day by which its report is due."""
    cutoff_days_after: int = 1
    """Days after the business day on which the cut-off falls."""
    missing_critical_days: int = 2
    """Consecutive missing business days (D included) that make missing_report critical."""
    lookback_days: int = 7
    """How many days back consecutive missing days are counted (the count is capped here)."""

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.cutoff_hour <= 23:
            problems.append("cutoff_hour must be an hour of the day (0-23)")
        if self.cutoff_days_after < 0:
            problems.append("cutoff_days_after must not be negative")
        if self.missing_critical_days < 2:
            problems.append("missing_critical_days must be at least 2 (1 day is the warning)")
        if self.lookback_days < self.missing_critical_days:
            problems.append("lookback_days must be at least missing_critical_days")
        if problems:
            raise ValueError("; ".join(problems))


def report_cutoff(
    *, business_day: date, timezone: str | ZoneInfo, settings: ReportingSettings
) -> datetime:
    """The UTC instant by which ``business_day``'s report is due (10:00 local on D+1)."""
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    local_day = business_day + timedelta(days=settings.cutoff_days_after)
    local = datetime.combine(local_day, time(hour=settings.cutoff_hour), tzinfo=zone)
    return local.astimezone(ZoneInfo("UTC"))


def store_reporting(
    *,
    stores: pd.DataFrame,
    submissions: pd.DataFrame,
    business_day: date,
    cutoff: datetime,
    lookback_days: int = 7,
) -> pd.DataFrame:
    """One row per active store: did it report D, by the cut-off, and for how many days not.

    Columns (:data:`STORE_REPORTING_COLUMNS`): ``received`` (a report for D exists, even
    a late one: a late report ends the missing_report condition), ``on_time`` (first
    received at or before ``cutoff``), ``first_received_at`` (NaT when none) and
    ``consecutive_missing_days``: business days without a report counted back from D,
    0 when D was reported, capped at ``lookback_days``.
    """
    require_columns(
        submissions, ("store_id", "report_date", "first_received_at"), name="submissions"
    )
    if cutoff.tzinfo is None:
        raise ValueError("cutoff must be time-zone-aware")
    if lookback_days < 1:
        raise ValueError("lookback_days must be at least 1")
    scopes = store_scopes(stores)
    scopes = scopes.loc[scopes["active"]].reset_index(drop=True)
    n_stores = len(scopes)

    age = day_number(business_day) - day_numbers(submissions["report_date"], name="report_date")
    position = pd.Index(scopes["store_id"]).get_indexer(submissions["store_id"])
    keep = (position >= 0) & (age >= 0) & (age < lookback_days)
    reported = np.zeros((n_stores, lookback_days), dtype=bool)
    reported[position[keep], age[keep]] = True
    missing_run = np.where(reported.any(axis=1), reported.argmax(axis=1), lookback_days)

    received_at = pd.to_datetime(submissions["first_received_at"], utc=True)
    today = keep & (age == 0)
    # The array, not .to_numpy(): a zoned column's numpy form is one Timestamp object
    # per row (a fifth of a second for a province's submissions, seconds for a nation's).
    first_at = (
        pd.Series(received_at.array[today])
        .groupby(position[today])
        .min()
        .reindex(np.arange(n_stores))
    )
    received = reported[:, 0]
    on_time = (first_at <= pd.Timestamp(cutoff)).to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "store_id": scopes["store_id"].to_numpy(),
            "district_id": scopes["district_id"].to_numpy(),
            "city_id": scopes["city_id"].to_numpy(),
            "received": received,
            "on_time": on_time,
            "first_received_at": first_at.array,
            "consecutive_missing_days": missing_run.astype(np.int32),
        }
    )


def reporting_rates(
    *,
    stores: pd.DataFrame,
    submissions: pd.DataFrame,
    business_day: date,
    cutoff: datetime,
) -> pd.DataFrame:
    """Reporting and on-time rates of business day D per district (DHIS2 definitions).

    Columns (:data:`REPORTING_RATE_COLUMNS`): ``expected`` (active stores), ``received``
    (stores with a report for D), ``on_time`` (received by ``cutoff``),
    ``reporting_rate`` = received ÷ expected, ``on_time_rate`` = on_time ÷ expected.
    A district with active stores appears even when none of them reported.
    """
    per_store = store_reporting(
        stores=stores, submissions=submissions, business_day=business_day, cutoff=cutoff
    )
    rates = (
        per_store.groupby("district_id", sort=True)
        .agg(
            expected=("store_id", "size"),
            received=("received", "sum"),
            on_time=("on_time", "sum"),
        )
        .reset_index()
    )
    rates["reporting_rate"] = rates["received"] / rates["expected"]
    rates["on_time_rate"] = rates["on_time"] / rates["expected"]
    return rates.loc[:, list(REPORTING_RATE_COLUMNS)]
