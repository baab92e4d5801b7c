"""Webhooks and their outboxes as an operator reads them: where notifications go, and
every message and delivery attempt, so "the receiver was down" can be told from
"nothing was sent". A webhook's secret is never shown, only whether it has one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote_plus, unquote_plus, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, require_role, within_region
from core.errors import NotFound
from core.lookups import PageOf, page
from models import (
    AlertRule,
    DeliveryAttempt,
    DeliveryState,
    Notification,
    Region,
    Role,
    Severity,
    Webhook,
)
from monitors.notifications.payload import DEFAULT_GROUP_BY

WEBHOOK_MANAGERS = (Role.bureau,)
"""Who registers, changes and reads webhooks: the bureau (and admins)."""
HIDDEN = "***"
"""What a credential in a webhook's URL reads as."""
SHOWN_PATH_SEGMENT = re.compile(r"[a-z]{1,20}(?:[-_.][a-z]{1,20})*|v[0-9]{1,2}|")
"""A path segment shown as it is: lowercase words joined by ``-``, ``_`` or ``.``
(``services``, ``open-apis``, ``cgi-bin``, ``send``) or an API version (``v2``). Any other
segment (with a digit, a capital or an escape, as every token is) may be a credential."""
SHOWN_QUERY_NAME = re.compile(r"[A-Za-z]{1,30}(?:[-_.][A-Za-z]{1,30})*")
"""A query parameter's name shown as it is: words of letters (``access_token``, ``key``,
``apiKey``); a name with a digit or an escape may be a credential itself."""


def _shown_segment(segment: str) -> str:
    """A path segment as people read it: itself if a word, else ``***``."""
    return segment if SHOWN_PATH_SEGMENT.fullmatch(segment) else HIDDEN


def _shown_query(query: str) -> str:
    """A query as people read it: ``name=***`` for each parameter whose name is a word,
    ``***`` for any other piece (a bare ``?<token>`` or a name that looks like one)."""
    shown = []
    for piece in query.split("&"):
        if not piece:
            continue
        raw_name, has_value, _ = piece.partition("=")
        name = unquote_plus(raw_name)
        if has_value and SHOWN_QUERY_NAME.fullmatch(name):
            shown.append(f"{quote_plus(name)}={HIDDEN}")
        else:
            shown.append(HIDDEN)
    return "&".join(shown)


def shown_url(url: str) -> str:
    """``url`` as people read it: the user and password before the host, every query value
    (a chat robot's ``access_token``), a query piece that is no ``name=value`` pair (a bare
    ``?<token>``) and every path segment that is not a plain word (the
    token in Slack's ``/services/T0/B0/<token>``, Discord's ``/api/webhooks/<id>/<token>``,
    Feishu's ``/open-apis/bot/v2/hook/<token>``) replaced by ``***``, as the signing secret
    is never shown; the scheme, host, port, path words and query names stay, to tell
    receivers apart. The stored URL is the one delivered to."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{HIDDEN}@{netloc.rpartition('@')[2]}"
    path = "/".join(_shown_segment(segment) for segment in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, _shown_query(parts.query), ""))


@dataclass(frozen=True)
class WebhookView:
    """A webhook with its region's code; ``has_secret`` instead of the secret."""

    id: int
    name: str
    url: str
    min_severity: Severity
    rules: list[AlertRule]
    region: str | None
    group_by: list[str]
    has_secret: bool
    active: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class NotificationWithAttempts:
    """One notification and every try to deliver it, oldest first."""

    notification: Notification
    attempts: list[DeliveryAttempt]


def webhook_view(webhook: Webhook, region_code: str | None) -> WebhookView:
    """``webhook`` as people read it (never its secret, nor a credential in its URL)."""
    return WebhookView(
        id=webhook.id,
        name=webhook.name,
        url=shown_url(webhook.url),
        min_severity=Severity(webhook.min_severity),
        rules=[AlertRule(rule) for rule in webhook.rules],
        region=region_code,
        group_by=list(DEFAULT_GROUP_BY if webhook.group_by is None else webhook.group_by),
        has_secret=bool(webhook.secret),
        active=webhook.active,
        created_by=webhook.created_by,
        created_at=webhook.created_at,
        updated_at=webhook.updated_at,
    )


def find_webhook(
    session: Session, *, webhook_id: int, principal: Principal
) -> tuple[Webhook, str | None]:
    """The webhook and its region's code, or a 404, also for a webhook not limited to a
    region inside the caller's (no role check: for callers that made it)."""
    row = session.execute(
        select(Webhook, Region.code)
        .outerjoin(Region, Region.id == Webhook.region_id)
        .where(Webhook.id == webhook_id, within_region(principal, Webhook.region_id))
    ).first()
    if row is None:
        raise NotFound("webhook {webhook_id} not found", webhook_id=webhook_id)
    return row[0], row[1]


def list_webhooks(
    *,
    session: Session,
    principal: Principal,
    active: bool | None = None,
    limit: int,
    offset: int,
) -> PageOf[WebhookView]:
    """One page of webhooks in registration order (only active or inactive ones when
    ``active`` says so); staff bound to a region see those limited to a region inside."""
    require_role(principal, *WEBHOOK_MANAGERS)
    query = (
        select(Webhook, Region.code)
        .outerjoin(Region, Region.id == Webhook.region_id)
        .where(within_region(principal, Webhook.region_id))
        .order_by(Webhook.id)
    )
    if active is not None:
        query = query.where(Webhook.active == active)
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(
        items=[webhook_view(webhook, code) for webhook, code in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


def read_webhook(*, session: Session, principal: Principal, webhook_id: int) -> WebhookView:
    """One webhook (never its secret), or a 404."""
    require_role(principal, *WEBHOOK_MANAGERS)
    return webhook_view(*find_webhook(session, webhook_id=webhook_id, principal=principal))


def list_notifications(
    *,
    session: Session,
    principal: Principal,
    webhook_id: int,
    state: DeliveryState | None = None,
    limit: int,
    offset: int,
) -> PageOf[Notification]:
    """One page of a webhook's notifications, newest first (404 for an unknown webhook)."""
    require_role(principal, *WEBHOOK_MANAGERS)
    find_webhook(session, webhook_id=webhook_id, principal=principal)
    query = (
        select(Notification)
        .where(Notification.webhook_id == webhook_id)
        .order_by(Notification.id.desc())
    )
    if state is not None:
        query = query.where(Notification.state == state)
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(items=[row[0] for row in rows], total=total, limit=limit, offset=offset)


def read_notification(
    *, session: Session, principal: Principal, webhook_id: int, notification_id: int
) -> NotificationWithAttempts:
    """One notification of a webhook with its body and every delivery attempt, or a 404."""
    require_role(principal, *WEBHOOK_MANAGERS)
    find_webhook(session, webhook_id=webhook_id, principal=principal)
    notification = session.get(Notification, notification_id)
    if notification is None or notification.webhook_id != webhook_id:
        raise NotFound(
            "notification {notification_id} of webhook {webhook_id} not found",
            notification_id=notification_id,
            webhook_id=webhook_id,
        )
    attempts = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.notification_id == notification_id)
        .order_by(DeliveryAttempt.id)
    )
    return NotificationWithAttempts(notification=notification, attempts=list(attempts))
