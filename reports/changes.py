"""Marks of changed store-days: what an incremental monitor run must read again.

Every write of report lines marks the store-days it changed, in the same transaction, so
a run that keeps per-store state re-reads exactly those days (``report_changes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from core.bulk import insert_frame
from models import ReportChange
from models.base import utc_now


def mark_changed(session: Session, pairs: Iterable[tuple[int, date]]) -> int:
    """Mark each (store id, business day) as changed; returns how many marks were written.

    A loader into an empty database need not call this: with no monitor state yet, the
    next run reads every store in full."""
    frame = pd.DataFrame(
        sorted({(int(store_id), day) for store_id, day in pairs}),
        columns=["store_id", "report_date"],
    )
    if frame.empty:
        return 0
    frame["changed_at"] = utc_now()
    insert_frame(session.connection(), ReportChange.__tablename__, frame)
    return len(frame)
