"""Webhooks: where alert notifications go (Alertmanager format), and how delivery went.

Bureau staff register receivers with filters (minimum severity, rules, one region) and
an optional signing secret, which is stored but never shown again. The outbox of each
receiver and every delivery attempt can be read here, so an operator can tell "the
receiver was down" from "nothing was sent".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Depends, Request, status
from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import require_role
from core.errors import Conflict, InvalidInput, NotFound
from core.lookups import get_optional_by_code, page
from models import (
    AlertRule,
    DeliveryAttempt,
    DeliveryState,
    Notification,
    Region,
    RegionLevel,
    Role,
    Severity,
    Webhook,
)
from models.base import utc_now
from monitors.notifications.delivery import default_client, send_test_notification
from monitors.notifications.outbox import (
    abandon_pending_notifications,
    requeue_failed_notifications,
)
from service.http.dependencies import PrincipalDep, SessionDep, SettingsDep
from service.http.schemas import (
    PROBLEM_RESPONSES,
    DatabaseId,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/webhooks", tags=["notifications"], responses=PROBLEM_RESPONSES)

WEBHOOK_REGION_LEVELS = (RegionLevel.district, RegionLevel.city)
"""Alerts carry their district and, city-wide ones, the city: other levels never match."""
_UNSAFE_URL_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f]")


def validate_webhook_url(url: str) -> str:
    """``url`` when notifications can be posted to it (http or https with a host), else
    ValueError: anything else (ftp:, file:, javascript:, a bare word) would fail on every
    delivery, so it is refused when the webhook is registered, not discovered later."""
    if _UNSAFE_URL_CHARACTERS.search(url):
        raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as error:
        raise ValueError(f"is not a valid URL ({error})") from error
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("must be an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("must name a host, as in https://chat.example.org/hook")
    return url


NAME_FIELD = Field(min_length=1, max_length=120, examples=["bureau duty chat"])
URL_DESCRIPTION = "http:// or https:// address that receives the POSTs"
REGION_DESCRIPTION = "Code of a district or the city: only its alerts are sent (null: all)"
SECRET_DESCRIPTION = (
    "Signs each body with HMAC-SHA256, sent as X-Supplywatch-Signature: sha256=<hex>; "
    "stored, never shown again (null: unsigned)"
)


class WebhookCreate(StrictModel):
    name: str = NAME_FIELD
    url: str = Field(
        min_length=1,
        max_length=2000,
        description=URL_DESCRIPTION,
        examples=["https://chat.example.org/hooks/supply"],
    )
    min_severity: Severity = Field(
        default=Severity.warning, description="Least severe alert that is sent"
    )
    rules: list[AlertRule] = Field(
        default_factory=list, max_length=20, description="Only these rules (empty: all)"
    )
    region: str | None = Field(default=None, max_length=64, description=REGION_DESCRIPTION)
    secret: str | None = Field(
        default=None, min_length=16, max_length=200, description=SECRET_DESCRIPTION
    )

    @field_validator("url")
    @classmethod
    def _deliverable_url(cls, value: str) -> str:
        return validate_webhook_url(value)


class WebhookUpdate(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    url: str | None = Field(
        default=None, min_length=1, max_length=2000, description=URL_DESCRIPTION
    )
    min_severity: Severity | None = None
    rules: list[AlertRule] | None = Field(default=None, max_length=20)
    region: str | None = Field(default=None, max_length=64, description=REGION_DESCRIPTION)
    secret: str | None = Field(
        default=None, min_length=16, max_length=200, description=SECRET_DESCRIPTION
    )
    active: bool | None = None

    @field_validator("url")
    @classmethod
    def _deliverable_url(cls, value: str | None) -> str | None:
        return None if value is None else validate_webhook_url(value)


class WebhookRead(ReadModel):
    id: int
    name: str
    url: str
    min_severity: Severity
    rules: list[AlertRule]
    region: str | None
    has_secret: bool = Field(description="Whether bodies are signed; the secret is never shown")
    active: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class NotificationRead(ReadModel):
    id: int
    alert_id: int
    alert_status: str = Field(description="firing or resolved")
    state: DeliveryState
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None


class AttemptRead(ReadModel):
    id: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float | None


class NotificationDetail(NotificationRead):
    payload: dict[str, Any] = Field(description="The Alertmanager (version 4) body sent")
    delivery_attempts: list[AttemptRead] = Field(description="Every try, oldest first")


class WebhookCheck(ReadModel):
    delivered: bool = Field(description="The receiver answered 2xx")
    status_code: int | None
    error: str | None
    duration_ms: float


class Requeued(ReadModel):
    requeued: int = Field(description="Failed notifications put back in the queue")


def _read(webhook: Webhook, region_code: str | None) -> WebhookRead:
    return WebhookRead(
        id=webhook.id,
        name=webhook.name,
        url=webhook.url,
        min_severity=Severity(webhook.min_severity),
        rules=[AlertRule(rule) for rule in webhook.rules],
        region=region_code,
        has_secret=bool(webhook.secret),
        active=webhook.active,
        created_by=webhook.created_by,
        created_at=webhook.created_at,
        updated_at=webhook.updated_at,
    )


def _get(session: Session, webhook_id: int) -> tuple[Webhook, str | None]:
    row = session.execute(
        select(Webhook, Region.code)
        .outerjoin(Region, Region.id == Webhook.region_id)
        .where(Webhook.id == webhook_id)
    ).first()
    if row is None:
        raise NotFound(f"webhook {webhook_id} not found")
    return row[0], row[1]


def _region(session: Session, code: str | None) -> Region | None:
    """The region a webhook is limited to: a district or the city, else 422."""
    region = get_optional_by_code(session, Region, code, label="region", field="region")
    if region is not None and region.level not in WEBHOOK_REGION_LEVELS:
        raise InvalidInput(
            f"region {code!r} is a {region.level.value}; give a district or the city",
            errors=[{"loc": ["body", "region"], "msg": "must be a district or the city"}],
        )
    return region


def _rules(rules: list[AlertRule]) -> list[str]:
    return [rule.value for rule in dict.fromkeys(rules)]


def webhook_http_client(request: Request) -> Iterator[httpx.Client]:
    """The HTTP client for test sends: the app's ``state.webhook_http_client`` when set
    (tests and fuzzing give a fake receiver), else a fresh one with bounded timeouts."""
    configured = getattr(request.app.state, "webhook_http_client", None)
    if isinstance(configured, httpx.Client):
        yield configured
        return
    with default_client() as client:
        yield client


HttpClientDep = Annotated[httpx.Client, Depends(webhook_http_client)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a webhook")
def create_webhook(
    body: WebhookCreate, session: SessionDep, principal: PrincipalDep
) -> WebhookRead:
    require_role(principal, Role.bureau)
    region = _region(session, body.region)
    webhook = Webhook(
        name=body.name,
        url=body.url,
        secret=body.secret,
        min_severity=body.min_severity.value,
        rules=_rules(body.rules),
        region_id=region.id if region else None,
        active=True,
        created_by=principal.label,
    )
    session.add(webhook)
    session.flush()
    return _read(webhook, region.code if region else None)


@router.get("", summary="List webhooks")
def list_webhooks(
    session: SessionDep, principal: PrincipalDep, paging: PageDep, active: bool | None = None
) -> Page[WebhookRead]:
    require_role(principal, Role.bureau)
    query = (
        select(Webhook, Region.code)
        .outerjoin(Region, Region.id == Webhook.region_id)
        .order_by(Webhook.id)
    )
    if active is not None:
        query = query.where(Webhook.active == active)
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[_read(webhook, code) for webhook, code in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/{webhook_id}", summary="Read a webhook (never its secret)")
def read_webhook(
    webhook_id: DatabaseId, session: SessionDep, principal: PrincipalDep
) -> WebhookRead:
    require_role(principal, Role.bureau)
    return _read(*_get(session, webhook_id))


@router.patch("/{webhook_id}", summary="Change a webhook (null region or secret removes it)")
def update_webhook(
    webhook_id: DatabaseId, body: WebhookUpdate, session: SessionDep, principal: PrincipalDep
) -> WebhookRead:
    require_role(principal, Role.bureau)
    webhook, region_code = _get(session, webhook_id)
    sent = body.model_fields_set
    for name in sorted(sent - {"region", "secret"}):
        if getattr(body, name) is None:
            raise InvalidInput(
                f"{name} cannot be null", errors=[{"loc": ["body", name], "msg": "cannot be null"}]
            )
    if "region" in sent:
        region = _region(session, body.region)
        webhook.region_id = region.id if region else None
        region_code = region.code if region else None
    if "secret" in sent:
        webhook.secret = body.secret
    if body.name is not None:
        webhook.name = body.name
    if body.url is not None:
        webhook.url = body.url
    if body.min_severity is not None:
        webhook.min_severity = body.min_severity.value
    if body.rules is not None:
        webhook.rules = _rules(body.rules)
    if body.active is not None:
        webhook.active = body.active
    session.flush()
    return _read(webhook, region_code)


@router.delete(
    "/{webhook_id}", summary="Deactivate a webhook (kept for history; its queue is dropped)"
)
def deactivate_webhook(
    webhook_id: DatabaseId, session: SessionDep, principal: PrincipalDep
) -> WebhookRead:
    require_role(principal, Role.bureau)
    webhook, region_code = _get(session, webhook_id)
    webhook.active = False
    abandon_pending_notifications(
        session, webhook_id=webhook.id, reason=f"webhook deactivated by {principal.label}"
    )
    session.flush()
    return _read(webhook, region_code)


@router.get("/{webhook_id}/notifications", summary="A webhook's notifications, newest first")
def list_notifications(
    webhook_id: DatabaseId,
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    state: DeliveryState | None = None,
) -> Page[NotificationRead]:
    require_role(principal, Role.bureau)
    _get(session, webhook_id)
    query = (
        select(Notification)
        .where(Notification.webhook_id == webhook_id)
        .order_by(Notification.id.desc())
    )
    if state is not None:
        query = query.where(Notification.state == state)
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[NotificationRead.model_validate(row[0]) for row in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get(
    "/{webhook_id}/notifications/{notification_id}",
    summary="One notification with its body and every delivery attempt",
)
def read_notification(
    webhook_id: DatabaseId,
    notification_id: DatabaseId,
    session: SessionDep,
    principal: PrincipalDep,
) -> NotificationDetail:
    require_role(principal, Role.bureau)
    notification = session.get(Notification, notification_id)
    if notification is None or notification.webhook_id != webhook_id:
        raise NotFound(f"notification {notification_id} of webhook {webhook_id} not found")
    attempts = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.notification_id == notification_id)
        .order_by(DeliveryAttempt.id)
    )
    return NotificationDetail(
        **NotificationRead.model_validate(notification).model_dump(),
        payload=notification.payload,
        delivery_attempts=[AttemptRead.model_validate(attempt) for attempt in attempts],
    )


@router.post(
    "/{webhook_id}/redeliver",
    summary="Queue a webhook's failed notifications again (after a long outage)",
)
def redeliver_failed(
    webhook_id: DatabaseId, session: SessionDep, principal: PrincipalDep
) -> Requeued:
    require_role(principal, Role.bureau)
    webhook, _ = _get(session, webhook_id)
    if not webhook.active:
        raise Conflict(f"webhook {webhook_id} is inactive; activate it first")
    count = requeue_failed_notifications(session, webhook_id=webhook_id, now=utc_now())
    return Requeued(requeued=count)


@router.post(
    "/{webhook_id}/test",
    summary="Send one test notification now and report the receiver's answer (nothing queued)",
)
def check_webhook(
    webhook_id: DatabaseId,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    client: HttpClientDep,
) -> WebhookCheck:
    require_role(principal, Role.bureau)
    webhook, _ = _get(session, webhook_id)
    receiver, url, secret = webhook.name, webhook.url, webhook.secret
    # Nothing was written: end the transaction before waiting on the network, so no
    # database lock (SQLite's write lock above all) is held while the receiver answers.
    session.rollback()
    outcome = send_test_notification(
        client=client,
        webhook_id=webhook_id,
        receiver=receiver,
        url=url,
        secret=secret,
        external_url=settings.base_url,
        now=utc_now(),
    )
    return WebhookCheck(
        delivered=outcome.ok,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=round(outcome.duration_ms, 3),
    )
