"""Webhook notifications in the Alertmanager webhook format (version "4"), through an outbox.

The alert lifecycle writes an alert change and the notifications it causes in one
transaction (``enqueue_notifications``), so no crash leaves an alert fired without its
message or a message about a change that was rolled back. A separate job
(``deliver_due_notifications``) posts what is due, outside any transaction, and records
every attempt; receivers built for Prometheus Alertmanager work unchanged.

What receivers can rely on:

- **At least once.** Delivered means the receiver answered 2xx; a crash between that
  answer and its record sends it again. ``X-Supplywatch-Notification: <id>`` is the same
  on every retry, so a receiver can drop repeats.
- **In order per receiver.** Oldest first, and a newer notification waits while an older
  one waits for its retry, so "resolved" never overtakes its "firing". Only one that gave
  up (``failed``) lets those behind it pass.
- **Retries** with exponential backoff (``base × 2^(attempt-1)``, capped, ±10 % jitter) up
  to a give-up limit; every try is a ``DeliveryAttempt`` row, visible through the API.
- **Signature.** With a secret, the exact body bytes are signed with HMAC-SHA256 and sent
  as ``X-Supplywatch-Signature: sha256=<hex>``. No timestamp is signed: a receiver that
  wants replay protection drops notification ids it has seen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlalchemy import Row, exists, insert, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from models import Alert, DeliveryAttempt, DeliveryState, Notification, Severity, Webhook
from models.base import utc_now
from monitors.alerting.labels import active_silences, alert_labels, is_silenced

SIGNATURE_HEADER = "X-Supplywatch-Signature"
"""Header with ``sha256=<hex HMAC-SHA256 of the body>``, sent when the webhook has a secret."""
NOTIFICATION_ID_HEADER = "X-Supplywatch-Notification"
"""Header with the notification id: the same on every retry, so receivers can deduplicate."""
USER_AGENT = "supplywatch-notifier/0.1"
FIRING = "firing"
RESOLVED = "resolved"
ZERO_TIME = "0001-01-01T00:00:00Z"
"""Alertmanager's ``endsAt`` for an alert that has not ended (Go's zero time)."""
ALERTMANAGER_VERSION = "4"

_SEVERITY_RANK = {Severity.warning.value: 1, Severity.critical.value: 2}
_ERROR_BODY_BYTES = 512
_MAX_ERROR_CHARS = 1000
_CHUNK = 5000


# --- what is sent ---------------------------------------------------------------------


def sign_body(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``body`` under ``secret``: what a receiver recomputes from the
    raw request body to know the message came from us and was not altered."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _encode_body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes posted (and signed) for ``payload``: compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _rfc3339(instant: datetime) -> str:
    """An instant as RFC 3339 in UTC with a ``Z``, the way Alertmanager writes times."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def alert_annotations(*, alert: Alert, labels: Mapping[str, str]) -> dict[str, str]:
    """Alertmanager annotations (strings only): summary, value and threshold when known,
    and a one-line description a person can act on without opening the service."""
    annotations = {"summary": alert.summary}
    if alert.value is not None:
        annotations["value"] = _number(alert.value)
    if alert.threshold is not None:
        annotations["threshold"] = _number(alert.threshold)
    what = labels.get("product") or labels.get("category") or "all products"
    description = (
        f"{alert.rule.value} ({alert.severity.value}) for {alert.scope_level} "
        f"{labels.get(alert.scope_level, alert.scope_id)}, {what}"
    )
    if alert.value is not None and alert.threshold is not None:
        description += f": {_number(alert.value)} against threshold {_number(alert.threshold)}"
    description += f"; business days {alert.first_date.isoformat()} to {alert.last_date}."
    annotations["description"] = description
    return annotations


def alertmanager_payload(
    *,
    alert: Alert,
    labels: Mapping[str, str],
    status: str,
    receiver: str,
    external_url: str,
    now: datetime,
) -> dict[str, Any]:
    """The Alertmanager webhook body (version "4") for one alert in state ``status``.

    One alert per message, grouped by its fingerprint, so ``groupKey`` is the same for
    the firing and the resolved message of an alert and receivers can thread them.
    """
    if status not in (FIRING, RESOLVED):
        raise ValueError(f"status must be {FIRING!r} or {RESOLVED!r}, not {status!r}")
    base = external_url.rstrip("/")
    return _envelope(
        status=status,
        receiver=receiver,
        external_url=base,
        labels=dict(labels),
        annotations=alert_annotations(alert=alert, labels=labels),
        starts_at=_rfc3339(alert.fired_at or alert.first_seen_at),
        ends_at=_rfc3339(alert.resolved_at or now) if status == RESOLVED else ZERO_TIME,
        generator_url=f"{base}/api/v1/alerts/{alert.id}",
        fingerprint=alert.fingerprint,
    )


def _envelope(
    *,
    status: str,
    receiver: str,
    external_url: str,
    labels: dict[str, str],
    annotations: dict[str, str],
    starts_at: str,
    ends_at: str,
    generator_url: str,
    fingerprint: str,
) -> dict[str, Any]:
    return {
        "version": ALERTMANAGER_VERSION,
        "groupKey": f'{{}}:{{fingerprint="{fingerprint}"}}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": receiver,
        "groupLabels": {},
        "commonLabels": dict(labels),
        "commonAnnotations": dict(annotations),
        "externalURL": external_url,
        "alerts": [
            {
                "status": status,
                "labels": labels,
                "annotations": annotations,
                "startsAt": starts_at,
                "endsAt": ends_at,
                "generatorURL": generator_url,
                "fingerprint": fingerprint,
            }
        ],
    }


# --- the outbox -----------------------------------------------------------------------


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


def enqueue_notifications(
    session: Session, *, changes: Sequence[tuple[int, str]], now: datetime, external_url: str
) -> int:
    """Write the outbox rows for alert changes and return how many were queued.

    ``changes`` are ``(alert_id, "firing" | "resolved")``. A firing alert goes to every
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
        for alert_id, kind in chunk:
            alert = alerts.get(alert_id)
            if alert is None or (kind == FIRING and is_silenced(silences, labels[alert_id])):
                continue
            for webhook in webhooks:
                if kind == FIRING and not webhook_wants(webhook=webhook, alert=alert):
                    continue
                if kind == RESOLVED and webhook.id not in told.get(alert_id, ()):
                    continue
                payload = alertmanager_payload(
                    alert=alert,
                    labels=labels[alert_id],
                    status=kind,
                    receiver=webhook.name,
                    external_url=external_url,
                    now=now,
                )
                rows.append(
                    {
                        "webhook_id": webhook.id,
                        "alert_id": alert_id,
                        "alert_status": kind,
                        "payload": payload,
                        "state": DeliveryState.pending,
                        "attempts": 0,
                        "created_at": now,
                        "next_attempt_at": now,
                    }
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
    values = {"state": DeliveryState.failed, "last_error": reason[:_MAX_ERROR_CHARS]}
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


# --- delivery -------------------------------------------------------------------------


def default_client() -> httpx.Client:
    """An HTTP client for receivers: bounded waits (connect 5 s, read 10 s, write 10 s,
    pool 5 s) so a hung receiver cannot stall the queue, and no redirects followed, so a
    signed body is never replayed to a host nobody registered."""
    return httpx.Client(
        timeout=httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one POST to a receiver gave: its status code, or the error, and how long."""

    status_code: int | None
    error: str | None
    duration_ms: float

    @property
    def ok(self) -> bool:
        """True for a 2xx answer, the only one that counts as delivered."""
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class DeliveryReport:
    """What one delivery run did: posts made, delivered, rescheduled, given up."""

    attempted: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return (f"{type(error).__name__}: {text}" if text else type(error).__name__)[:_MAX_ERROR_CHARS]


def post_payload(
    *,
    client: httpx.Client,
    url: str,
    payload: Mapping[str, Any],
    secret: str | None,
    notification_id: int | None = None,
) -> DeliveryOutcome:
    """POST ``payload`` to ``url`` (signed when there is a secret) and say how it went.

    Never raises: a timeout, a refused connection or any other failure of this one send
    is an outcome to record, not a reason to stop the others. At most a few hundred
    bytes of an error answer are read, so a misbehaving receiver cannot flood us.
    """
    body = _encode_body(payload)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if notification_id is not None:
        headers[NOTIFICATION_ID_HEADER] = str(notification_id)
    if secret:
        headers[SIGNATURE_HEADER] = f"sha256={sign_body(secret, body)}"
    started = time.perf_counter()
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            status_code = response.status_code
            error = None
            if not 200 <= status_code < 300:
                head = b""
                for chunk in response.iter_bytes():
                    head += chunk
                    if len(head) >= _ERROR_BODY_BYTES:
                        break
                text = head[:_ERROR_BODY_BYTES].decode("utf-8", errors="replace").strip()
                error = f"HTTP {status_code}" + (f": {text}" if text else "")
    except Exception as failure:  # one failed send is recorded, never fatal to the batch
        elapsed = (time.perf_counter() - started) * 1000
        return DeliveryOutcome(status_code=None, error=_describe(failure), duration_ms=elapsed)
    elapsed = (time.perf_counter() - started) * 1000
    return DeliveryOutcome(status_code=status_code, error=error, duration_ms=elapsed)


def backoff_delay(
    *,
    attempts: int,
    base_delay_s: float,
    max_delay_s: float,
    jitter: float = 0.0,
    rng: random.Random | None = None,
) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: ``base × 2^(attempts-1)``
    capped at ``max_delay_s``, then spread by ±``jitter`` (a fraction) so receivers that
    come back are not hit by every sender at the same instant."""
    exponent = min(max(attempts - 1, 0), 60)
    delay = min(max_delay_s, base_delay_s * 2.0**exponent)
    if jitter:
        delay *= 1.0 + (rng or random.Random()).uniform(-jitter, jitter)
    return timedelta(seconds=delay)


def deliver_due_notifications(
    session_factory: sessionmaker[Session],
    *,
    client: httpx.Client,
    now: Callable[[], datetime] = utc_now,
    max_attempts: int = 10,
    base_delay_s: float = 30.0,
    max_delay_s: float = 3600.0,
    batch: int = 100,
    jitter: float = 0.1,
    rng: random.Random | None = None,
    lease_s: float = 300.0,
) -> DeliveryReport:
    """Post up to ``batch`` due notifications, oldest first, and record every attempt.

    At-least-once, in order per receiver (see the module docstring). Each notification
    is claimed, posted and recorded on its own: the claim and the record are short
    transactions of their own and none is open while a receiver is being waited on. A
    claim pushes ``next_attempt_at`` ``lease_s`` ahead, so a second worker does not post
    the same message meanwhile, and a worker that dies mid-post has it retried once the
    lease ends. When a receiver fails, its later notifications in this batch are left
    for the next run instead of each waiting out the same timeout. A 2xx answer marks
    the notification delivered; anything else retries after ``backoff_delay`` until
    ``max_attempts`` tries were made, then marks it failed (its last error kept).
    ``jitter=0`` makes the schedule exact (tests); ``rng`` makes the jitter repeatable.
    """
    if max_attempts < 1 or batch < 1:
        raise ValueError("max_attempts and batch must be at least 1")
    if not 0 <= jitter < 1:
        raise ValueError("jitter is a fraction in [0, 1)")
    delay = partial(
        backoff_delay,
        base_delay_s=base_delay_s,
        max_delay_s=max_delay_s,
        jitter=jitter,
        rng=rng or random.Random(),
    )
    report = DeliveryReport()
    held: set[int] = set()
    for item in _due(session_factory, at=now(), batch=batch):
        if item.webhook_id in held:
            continue
        if not _claim(session_factory, item.id, at=now(), lease=timedelta(seconds=lease_s)):
            continue
        outcome = post_payload(
            client=client,
            url=item.url,
            payload=item.payload,
            secret=item.secret,
            notification_id=item.id,
        )
        report.attempted += 1
        state = _record(
            session_factory, item.id, outcome, at=now(), max_attempts=max_attempts, delay=delay
        )
        if state is DeliveryState.delivered:
            report.delivered += 1
            continue
        held.add(item.webhook_id)
        if state is DeliveryState.failed:
            report.failed += 1
        else:
            report.retried += 1
    return report


def _due(factory: sessionmaker[Session], *, at: datetime, batch: int) -> list[Row[Any]]:
    """Pending notifications due at ``at`` for active webhooks, oldest first, leaving
    out any that has an older one for the same webhook still waiting for its retry."""
    older = aliased(Notification)
    waiting_ahead = exists().where(
        older.webhook_id == Notification.webhook_id,
        older.state == DeliveryState.pending,
        older.id < Notification.id,
        older.next_attempt_at > at,
    )
    query = (
        select(
            Notification.id,
            Notification.webhook_id,
            Webhook.url,
            Webhook.secret,
            Notification.payload,
        )
        .join(Webhook, Webhook.id == Notification.webhook_id)
        .where(
            Notification.state == DeliveryState.pending,
            Notification.next_attempt_at <= at,
            Webhook.active.is_(True),
            ~waiting_ahead,
        )
        .order_by(Notification.id)
        .limit(batch)
    )
    with factory.begin() as session:
        return list(session.execute(query).all())


def _claim(
    factory: sessionmaker[Session], notification_id: int, *, at: datetime, lease: timedelta
) -> bool:
    """Take a notification for this worker (False if another took or settled it)."""
    with factory.begin() as session:
        claimed = session.execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.state == DeliveryState.pending,
                Notification.next_attempt_at <= at,
            )
            .values(next_attempt_at=at + lease)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        ).first()
    return claimed is not None


def _record(
    factory: sessionmaker[Session],
    notification_id: int,
    outcome: DeliveryOutcome,
    *,
    at: datetime,
    max_attempts: int,
    delay: Callable[..., timedelta],
) -> DeliveryState:
    """Store the attempt and the notification's new state, in one short transaction."""
    with factory.begin() as session:
        session.add(
            DeliveryAttempt(
                notification_id=notification_id,
                at=at,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=round(outcome.duration_ms, 3),
            )
        )
        notification = session.get(Notification, notification_id, populate_existing=True)
        if notification is None:
            return DeliveryState.failed
        if notification.state is not DeliveryState.pending:
            return notification.state  # settled by another worker after our lease ran out
        notification.attempts += 1
        if outcome.ok:
            notification.state = DeliveryState.delivered
            notification.delivered_at = at
        else:
            notification.last_error = outcome.error
            if notification.attempts >= max_attempts:
                notification.state = DeliveryState.failed
            else:
                notification.next_attempt_at = at + delay(attempts=notification.attempts)
        return notification.state


def send_test_notification(
    *,
    client: httpx.Client,
    webhook_id: int,
    receiver: str,
    url: str,
    secret: str | None,
    external_url: str,
    now: datetime,
) -> DeliveryOutcome:
    """Post one made-up firing alert to a webhook right away (nothing is queued or
    recorded), so an operator can check the URL, the network path and the signature.
    Takes plain values so the caller can end its database transaction first."""
    base = external_url.rstrip("/")
    payload = _envelope(
        status=FIRING,
        receiver=receiver,
        external_url=base,
        labels={"alertname": "supplywatch_test", "severity": "warning", "scope": "test"},
        annotations={
            "summary": "Test notification from supplywatch",
            "description": f"Sent on request to check webhook {webhook_id} ({receiver}).",
        },
        starts_at=_rfc3339(now),
        ends_at=ZERO_TIME,
        generator_url=f"{base}/api/v1/webhooks/{webhook_id}",
        fingerprint="test",
    )
    return post_payload(client=client, url=url, payload=payload, secret=secret)
