"""The business-day clock: a business day is a calendar day in the city's time zone."""

from __future__ import annotations

from datetime import date, datetime, tzinfo


def business_day_today(zone: tzinfo) -> date:
    """Today's business day in the city's time zone (not the machine's date)."""
    return datetime.now(zone).date()
