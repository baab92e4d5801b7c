"""The reporting rule: ``missing_report``, an active store with no report for D; critical
after ``missing_critical_days`` consecutive days. Product-less."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from monitors.computing.candidates import candidate_frame, labels_of, whole
from monitors.computing.reporting import ReportingSettings
from monitors.computing.wording import worded


def missing_report(
    *,
    reporting: pd.DataFrame,
    stores: pd.DataFrame,
    business_day: date,
    settings: ReportingSettings,
) -> pd.DataFrame:
    """Active stores without a report for D; critical after several days in a row."""
    hit = reporting.loc[~reporting["received"].to_numpy(dtype=bool)].reset_index(drop=True)
    days = hit["consecutive_missing_days"].to_numpy(dtype=np.int64)
    severity = np.where(days >= settings.missing_critical_days, 2, 1)
    threshold = np.where(severity == 2, settings.missing_critical_days, 1)
    size = len(hit)
    count = worded("at least {days}", size, days=whole(days)).where(
        days >= settings.lookback_days, worded("{value}", size, value=whole(days))
    )
    summary = worded(
        "{store} has not reported {date} ({days} day(s) in a row)",
        size,
        store=labels_of(stores, hit["store_id"], id_column="store_id", noun="store"),
        date=np.full(size, business_day.isoformat(), dtype=object),
        days=count,
    )
    return candidate_frame(
        rule="missing_report",
        severity=severity,
        scope_level="store",
        scope_id=hit["store_id"],
        product_id=np.full(len(hit), pd.NA),
        district_id=hit["district_id"],
        value=days,
        threshold=threshold,
        summary=summary,
    )
