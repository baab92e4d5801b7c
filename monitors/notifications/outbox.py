"""The notification outbox: what each alert change should tell each webhook, written in the
transaction that changed the alert.

The alert lifecycle writes an alert change and the notifications it causes in one
transaction (``enqueue_notifications``), so no crash leaves an alert fired without its
message or a message about a change that was rolled back. Delivery
(:mod:`monitors.notifications.delivery`) posts them later, outside any transaction.
An operator can drop a deactivated webhook's queue or send a recovered receiver
everything it missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from models import Alert, DeliveryState, Notification, Severity, Webhook
from monitors.alerting.labels import active_silences, alert_labels, is_silenced
from monitors.notifications.payload import (
    DEFAULT_GROUP_BY,
    FIRING,
    RESOLVED,
    alertmanager_payload,
    group_labels,
    grouped_payload,
)

MAX_ERROR_CHARS = 1000
"""Longest error text kept on a notification or an attempt."""

_SEVERITY_RANK = {Severity.warning.value: 1, Severity.critical.value: 2}
_CHUNK = 5000


def webhook_wants(*, webhook: Webhook, alert: Alert) -> bool:
    """Whether ``webhook``'s filters (minimum severity, rules, region) let ``alert`` through.

    The region is the alert's district, or the city itself for a city-wide alert (the
    same reading as a silence's ``region`` matcher).
    """
    if _SEVERITY_RANK[alert.severity.value] < _SEVERITY_RANK.get(webhook.min_severity, 1):
        return False
    if webhook.rules and alert.rule.value not in webhook.rules:
        return False
    return webhook.region_id in (None, alert.district_id) or (
        alert.scope_level == "city" and webhook.region_id == alert.scope_id
    )


def webhook_group_by(webhook: Webhook) -> tuple[str, ...]:
    """The labels whose alerts share one message to ``webhook`` (empty: one per alert)."""
    return DEFAULT_GROUP_BY if webhook.group_by is None else tuple(webhook.group_by)


def enqueue_notifications(
    session: Session, *, changes: Sequence[tuple[int, str]], now: datetime, external_url: str
) -> int:
    """Write the outbox rows for alert changes and return how many were queued.

    ``changes`` are ``(alert_id, "firing" | "resolved")``. Changes of one run that share a
    webhook's ``group_by`` labels go as one message (Alertmanager's grouping, the run being
    the group interval): its first alert's row carries it, the others' rows are marked
    ``grouped``, so who was told what stays recorded per alert. A firing alert goes to every
    active webhook whose filters let it through, unless a silence in force mutes it. A
    resolved alert goes to exactly the (still active) webhooks that were told it was
    firing, whatever silences say now: receivers that saw it fire always see it end, and
    the others are not bothered. Call it in the transaction that changed the alerts;
    flushes only. A handful of queries per ``_CHUNK`` alerts, never one per alert.
    """
    wanted = list(dict.fromkeys((int(alert_id), kind) for alert_id, kind in changes))
    unknown = sorted({kind for _, kind in wanted} - {FIRING, RESOLVED})
    if unknown:
        raise ValueError(f"unknown change kinds {unknown}; expected {FIRING!r} or {RESOLVED!r}")
    webhooks = list(
        session.scalars(select(Webhook).where(Webhook.active.is_(True)).order_by(Webhook.id))
    )
    if not wanted or not webhooks:
        return 0
    by_id = {webhook.id: webhook for webhook in webhooks}
    firing = any(kind == FIRING for _, kind in wanted)
    silences = active_silences(session, at=now) if firing else []
    queued = 0
    for start in range(0, len(wanted), _CHUNK):  # bounded IN lists and memory
        chunk = wanted[start : start + _CHUNK]
        rows: list[dict[str, Any]] = []
        # The lifecycle changes alerts with bulk UPDATEs: read them fresh, not from the map.
        alerts = {
            alert.id: alert
            for alert in session.scalars(
                select(Alert)
                .where(Alert.id.in_(sorted({alert_id for alert_id, _ in chunk})))
                .execution_options(populate_existing=True)
            )
        }
        labels = alert_labels(session, alerts.values())
        told = _webhooks_told_firing(session, [a for a, kind in chunk if kind == RESOLVED])
        batches: dict[tuple[int, str, tuple[tuple[str, str], ...]], list[int]] = {}
        for alert_id, kind in chunk:
            alert = alerts.get(alert_id)
            if alert is None or (kind == FIRING and is_silenced(silences, labels[alert_id])):
                continue
            for webhook in webhooks:
                if kind == FIRING and not webhook_wants(webhook=webhook, alert=alert):
                    continue
                if kind == RESOLVED and webhook.id not in told.get(alert_id, ()):
                    continue
                grouping = webhook_group_by(webhook)
                key = (
                    tuple(sorted(group_labels(labels[alert_id], grouping).items()))
                    if grouping
                    else (("fingerprint", alert.fingerprint),)
                )
                batches.setdefault((webhook.id, kind, key), []).append(alert_id)
        for (webhook_id, kind, key), members in batches.items():
            webhook = by_id[webhook_id]
            if webhook_group_by(webhook):
                payload = grouped_payload(
                    alerts=[(alerts[member], labels[member]) for member in members],
                    grouped_by=dict(key),
                    status=kind,
                    receiver=webhook.name,
                    external_url=external_url,
                    now=now,
                )
            else:
                payload = alertmanager_payload(
                    alert=alerts[members[0]],
                    labels=labels[members[0]],
                    status=kind,
                    receiver=webhook.name,
                    external_url=external_url,
                    now=now,
                )
            rows.extend(
                {
                    "webhook_id": webhook_id,
                    "alert_id": alert_id,
                    "alert_status": kind,
                    # The group's first alert carries the message; the others are in it.
                    "payload": payload if leader else {"groupKey": payload["groupKey"]},
                    "state": DeliveryState.pending if leader else DeliveryState.grouped,
                    "attempts": 0,
                    "created_at": now,
                    "next_attempt_at": now,
                }
                for leader, alert_id in (
                    (index == 0, member) for index, member in enumerate(members)
                )
            )
        if rows:
            session.execute(insert(Notification), rows)
            queued += len(rows)
    session.flush()
    return queued


def _webhooks_told_firing(session: Session, alert_ids: Iterable[int]) -> dict[int, set[int]]:
    """Per alert, the webhooks queued a firing message and not yet a resolved one."""
    ids = sorted(set(alert_ids))
    if not ids:
        return {}
    told: dict[int, set[int]] = {}
    closed: set[tuple[int, int]] = set()
    rows = session.execute(
        select(Notification.alert_id, Notification.webhook_id, Notification.alert_status).where(
            Notification.alert_id.in_(ids)
        )
    )
    for alert_id, webhook_id, status in rows:
        if status == FIRING:
            told.setdefault(alert_id, set()).add(webhook_id)
        elif status == RESOLVED:
            closed.add((alert_id, webhook_id))
    return {
        alert_id: {webhook for webhook in webhooks if (alert_id, webhook) not in closed}
        for alert_id, webhooks in told.items()
    }


def abandon_pending_notifications(session: Session, *, webhook_id: int, reason: str) -> int:
    """Mark a webhook's pending notifications failed with ``reason`` (it was deactivated:
    nothing more goes to it) and return how many; flushes only."""
    values = {"state": DeliveryState.failed, "last_error": reason[:MAX_ERROR_CHARS]}
    return _move(session, webhook_id, DeliveryState.pending, values)


def requeue_failed_notifications(session: Session, *, webhook_id: int, now: datetime) -> int:
    """Put a webhook's failed notifications back in the queue with a fresh retry budget
    and return how many: after a receiver was down longer than the retries last, an
    operator sends it everything it missed, in the original order. Flushes only."""
    values = {"state": DeliveryState.pending, "attempts": 0, "next_attempt_at": now}
    return _move(session, webhook_id, DeliveryState.failed, values)


def _move(session: Session, webhook_id: int, current: DeliveryState, values: Any) -> int:
    moved = session.execute(
        update(Notification)
        .where(Notification.webhook_id == webhook_id, Notification.state == current)
        .values(values)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.flush()
    return len(moved)
