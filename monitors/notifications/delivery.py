"""Delivering the outbox: post due notifications to their webhooks, record every attempt,
retry with backoff.

What receivers can rely on:

- **At least once.** Delivered means the receiver answered 2xx; a crash between that
  answer and its record sends it again. ``X-Supplywatch-Notification: <id>`` (and, when
  signed, ``webhook-id``) is the same on every retry, so a receiver can drop repeats.
- **In order per receiver.** Oldest first, and a newer notification waits while an older
  one waits for its retry, so "resolved" never overtakes its "firing". Only one that gave
  up (``failed``) lets those behind it pass.
- **Retries** with exponential backoff (``base × 2^(attempt-1)``, capped, ±10 % jitter) up
  to a give-up limit; every try is a ``DeliveryAttempt`` row, visible through the API.
- **Signatures**, as :mod:`monitors.notifications.payload` describes: each attempt is
  signed again with its own ``webhook-timestamp``, so a retry is never a stale message.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlalchemy import Row, exists, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from models import DeliveryAttempt, DeliveryState, Notification, Webhook
from models.base import utc_now
from monitors.notifications.outbox import MAX_ERROR_CHARS
from monitors.notifications.payload import (
    encode_body,
    signature_headers,
    webhook_check_payload,
)
from monitors.notifications.receivers import PinnedTransport, ReceiverPolicy, ReceiverRefused

NOTIFICATION_ID_HEADER = "X-Supplywatch-Notification"
"""Header with the notification id: the same on every retry, so receivers can deduplicate."""
USER_AGENT = "supplywatch-notifier/0.1"


def default_client(receivers: ReceiverPolicy) -> httpx.Client:
    """An HTTP client for receivers: only to addresses ``receivers`` allows, checked on
    the address it connects to; bounded waits (connect 5 s, read 10 s, write 10 s, pool
    5 s) so a hung receiver cannot stall the queue, and no redirects followed, so a
    signed body is never replayed to a host nobody registered."""
    return httpx.Client(
        transport=PinnedTransport(receivers),
        timeout=httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


@dataclass(frozen=True)
class WebhookPostOutcome:
    """What one POST to a receiver gave: its status code, or the error, and how long."""

    status_code: int | None
    error: str | None
    duration_ms: float

    @property
    def ok(self) -> bool:
        """True for a 2xx answer, the only one that counts as delivered."""
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class NotificationSendReport:
    """What one pass over the due notifications did: posts made, delivered, rescheduled,
    given up."""

    attempted: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def _describe(error: BaseException) -> str:
    """What went wrong, in our words only: the refusal of a receiver's address, else the
    kind of failure; never the text of a connection error (it maps ports behind us)."""
    if isinstance(error, ReceiverRefused):
        return str(error)[:MAX_ERROR_CHARS]
    return type(error).__name__


def post_payload(
    *,
    client: httpx.Client,
    url: str,
    payload: Mapping[str, Any],
    secret: str | None,
    message_id: str,
    sent_at: datetime,
    notification_id: int | None = None,
) -> WebhookPostOutcome:
    """POST ``payload`` to ``url`` (signed when there is a secret, as message
    ``message_id`` attempted at ``sent_at``) and say how it went.

    Never raises: a timeout, a refused connection or any other failure of this one send
    is an outcome to record, not a reason to stop the others. The receiver's answer is
    never read: only its status is kept, so a webhook cannot echo an internal reply.
    """
    body = encode_body(payload)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if notification_id is not None:
        headers[NOTIFICATION_ID_HEADER] = str(notification_id)
    if secret:
        headers |= signature_headers(
            secret=secret, message_id=message_id, sent_at=sent_at, body=body
        )
    started = time.perf_counter()
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            status_code = response.status_code
    except Exception as failure:  # one failed send is recorded, never fatal to the batch
        elapsed = (time.perf_counter() - started) * 1000
        return WebhookPostOutcome(status_code=None, error=_describe(failure), duration_ms=elapsed)
    elapsed = (time.perf_counter() - started) * 1000
    error = None if 200 <= status_code < 300 else f"HTTP {status_code}"
    return WebhookPostOutcome(status_code=status_code, error=error, duration_ms=elapsed)


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
) -> NotificationSendReport:
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
    report = NotificationSendReport()
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
            message_id=str(item.id),
            sent_at=now(),
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
    outcome: WebhookPostOutcome,
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
) -> WebhookPostOutcome:
    """Post one made-up firing alert to a webhook right away (nothing is queued or
    recorded), so an operator can check the URL, the network path and the signatures
    (its ``webhook-id`` is ``test-<random hex>``, never a notification's id).
    Takes plain values so the caller can end its database transaction first. Says only
    whether and with which status the receiver answered: neither its body nor a
    connection error's text, so the check cannot probe what lies behind the service."""
    payload = webhook_check_payload(
        webhook_id=webhook_id, receiver=receiver, external_url=external_url, now=now
    )
    outcome = post_payload(
        client=client,
        url=url,
        payload=payload,
        secret=secret,
        message_id=f"test-{uuid.uuid4().hex}",
        sent_at=now,
    )
    if outcome.status_code is not None:
        return outcome
    return WebhookPostOutcome(
        status_code=None, error="the receiver did not answer", duration_ms=outcome.duration_ms
    )
