"""Alert labels (human codes, not ids) and silence matching.

Labels are what receivers and people see: the rule, severity, the scope's codes, the
product and category. Silences match on the same labels, so what a person types in a
silence is what they read on an alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Alert, Product, ProductCategory, Region, Silence, Store, Ticket

SILENCE_MATCHERS = ("rule", "region", "product", "category", "severity", "store")
"""Labels a silence may match on; ``region`` matches the alert's district or its city."""


def alert_labels(session: Session, alerts: Iterable[Alert]) -> dict[int, dict[str, str]]:
    """Labels of each alert, keyed by alert id (one query per table, not per alert)."""
    alerts = list(alerts)
    if not alerts:
        return {}
    stores = _codes(session, Store, {a.store_id for a in alerts if a.store_id})
    regions = _codes(session, Region, {a.district_id for a in alerts if a.district_id})
    if any(a.scope_level in ("district", "city") for a in alerts):
        regions |= _codes(
            session, Region, {a.scope_id for a in alerts if a.scope_level in ("district", "city")}
        )
    tickets = ticket_numbers(session, {a.scope_id for a in alerts if a.scope_level == "ticket"})
    products = _codes(session, Product, {a.product_id for a in alerts if a.product_id})
    categories = _codes(session, ProductCategory, {a.category_id for a in alerts if a.category_id})
    labelled: dict[int, dict[str, str]] = {}
    for alert in alerts:
        labels = {
            "alertname": alert.rule.value,
            "rule": alert.rule.value,
            "severity": alert.severity.value,
            "scope": alert.scope_level,
        }
        if alert.store_id:
            labels["store"] = stores.get(alert.store_id, str(alert.store_id))
        if alert.district_id:
            labels["district"] = regions.get(alert.district_id, str(alert.district_id))
        if alert.scope_level == "city":
            labels["city"] = regions.get(alert.scope_id, str(alert.scope_id))
        if alert.scope_level == "ticket":
            labels["ticket"] = tickets.get(alert.scope_id, str(alert.scope_id))
        if alert.product_id:
            labels["product"] = products.get(alert.product_id, str(alert.product_id))
        if alert.category_id:
            labels["category"] = categories.get(alert.category_id, str(alert.category_id))
        labelled[alert.id] = labels
    return labelled


def ticket_numbers(session: Session, ids: set[int]) -> dict[int, str]:
    """Hotline ticket numbers by id, for alerts whose scope is a ticket (``ticket_sla``)."""
    if not ids:
        return {}
    rows = session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(sorted(ids))))
    return {identifier: number for identifier, number in rows}  # noqa: C416 (Row → key, value)


def _codes(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(model.id, model.code).where(model.id.in_(sorted(ids)))).all()
    return {identifier: code for identifier, code in rows}  # noqa: C416 (Row → key, value)


def silence_matches(matchers: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether every matcher of a silence equals the alert's label (``region`` also
    matches the city of a city-wide alert)."""
    for name, expected in matchers.items():
        if expected is None:
            continue
        if name == "region":
            if expected not in (labels.get("district"), labels.get("city")):
                return False
        elif labels.get(name) != expected:
            return False
    return True


def active_silences(session: Session, *, at: datetime) -> list[Silence]:
    """Silences in force at ``at``."""
    return list(
        session.scalars(
            select(Silence).where(
                Silence.starts_at <= at, Silence.ends_at > at, Silence.expired_by.is_(None)
            )
        )
    )


def is_silenced(silences: Iterable[Silence], labels: Mapping[str, str]) -> bool:
    """Whether any of ``silences`` mutes an alert with these labels."""
    return any(silence_matches(silence.matchers, labels) for silence in silences)
