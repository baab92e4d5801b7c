"""Webhooks: where alert notifications go (Alertmanager format), and how delivery went.

Bureau staff register receivers with filters (minimum severity, rules, one region) and
an optional signing secret, which is stored but never shown again. The outbox of each
receiver and every delivery attempt can be read here, so an operator can tell "the
receiver was down" from "nothing was sent".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Depends, Request, status
from pydantic import Field, field_validator

from models import AlertRule, DeliveryState, Severity
from models.base import utc_now
from monitors.notifications import webhooks as commands
from monitors.notifications.delivery import default_client, send_test_notification
from monitors.notifications.webhooks import validate_webhook_url
from monitors.queries import webhooks as queries
from service.configuration import receiver_policy
from service.http.dependencies import PrincipalDep, SessionDep, SettingsDep
from service.http.schemas import (
    PROBLEM_RESPONSES,
    DatabaseId,
    Name,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/webhooks", tags=["notifications"], responses=PROBLEM_RESPONSES)


WebhookName = Annotated[Name, Field(max_length=120, examples=["bureau duty chat"])]
"""A webhook's name: one line without control characters, as other names (it heads the
webhook lists and names the receiver in every delivery)."""
URL_DESCRIPTION = "http:// or https:// address that receives the POSTs"
REGION_DESCRIPTION = "Code of a district or the city: only its alerts are sent (null: all)"
SECRET_DESCRIPTION = (
    "Signs each delivery with HMAC-SHA256 keyed with the secret's UTF-8 bytes: "
    "X-Supplywatch-Signature: sha256=<hex of the body's HMAC>, and Standard Webhooks' "
    "webhook-id (the notification id, the same on every retry), webhook-timestamp (Unix "
    "seconds of the attempt) and webhook-signature: v1,<base64 HMAC of "
    "'{webhook-id}.{webhook-timestamp}.{body}'>; refuse timestamps over 5 minutes old to "
    "refuse replays. Standard Webhooks libraries take it as 'whsec_' + base64(secret). "
    "Stored, never shown again (null: unsigned)"
)


GroupLabel = Literal["district", "category", "product", "rule", "store", "severity"]
GROUP_BY_DESCRIPTION = (
    "Alerts of one monitor run sharing these labels go as one message (Alertmanager's "
    "group_by); default district and category; empty: one message per alert"
)


class WebhookCreate(StrictModel):
    name: WebhookName
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
    group_by: list[GroupLabel] | None = Field(
        default=None, max_length=6, description=GROUP_BY_DESCRIPTION
    )

    @field_validator("url")
    @classmethod
    def _deliverable_url(cls, value: str) -> str:
        return validate_webhook_url(value)


class WebhookUpdate(StrictModel):
    name: WebhookName | None = None
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
    group_by: list[GroupLabel] | None = Field(
        default=None, max_length=6, description=GROUP_BY_DESCRIPTION
    )

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
    group_by: list[str] = Field(description="Labels whose alerts share one message")
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
    error: str | None = Field(
        description="'HTTP <status>' or 'the receiver did not answer'; never the receiver's body"
    )
    duration_ms: float


class Requeued(ReadModel):
    requeued: int = Field(description="Failed notifications put back in the queue")


def webhook_http_client(request: Request, settings: SettingsDep) -> Iterator[httpx.Client]:
    """The HTTP client for test sends: the app's ``state.webhook_http_client`` when set
    (tests and fuzzing give a fake receiver), else a fresh one with bounded timeouts."""
    configured = getattr(request.app.state, "webhook_http_client", None)
    if isinstance(configured, httpx.Client):
        yield configured
        return
    with default_client(receiver_policy(settings)) as client:
        yield client


HttpClientDep = Annotated[httpx.Client, Depends(webhook_http_client)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a webhook")
def create_webhook(
    body: WebhookCreate, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> WebhookRead:
    view = commands.create_webhook(
        session=session,
        principal=principal,
        name=body.name,
        url=body.url,
        min_severity=body.min_severity,
        rules=body.rules,
        region=body.region,
        secret=body.secret,
        receivers=receiver_policy(settings),
        group_by=body.group_by,
    )
    return WebhookRead.model_validate(view)


@router.get("", summary="List webhooks")
def list_webhooks(
    session: SessionDep, principal: PrincipalDep, paging: PageDep, active: bool | None = None
) -> Page[WebhookRead]:
    found = queries.list_webhooks(
        session=session,
        principal=principal,
        active=active,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[WebhookRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get("/{webhook_id}", summary="Read a webhook (never its secret)")
def read_webhook(
    webhook_id: DatabaseId, session: SessionDep, principal: PrincipalDep
) -> WebhookRead:
    view = queries.read_webhook(session=session, principal=principal, webhook_id=webhook_id)
    return WebhookRead.model_validate(view)


@router.patch("/{webhook_id}", summary="Change a webhook (null region or secret removes it)")
def update_webhook(
    webhook_id: DatabaseId,
    body: WebhookUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> WebhookRead:
    view = commands.update_webhook(
        session=session,
        principal=principal,
        webhook_id=webhook_id,
        changes={name: getattr(body, name) for name in body.model_fields_set},
        receivers=receiver_policy(settings),
    )
    return WebhookRead.model_validate(view)


@router.delete(
    "/{webhook_id}", summary="Deactivate a webhook (kept for history; its queue is dropped)"
)
def deactivate_webhook(
    webhook_id: DatabaseId, session: SessionDep, principal: PrincipalDep
) -> WebhookRead:
    view = commands.deactivate_webhook(session=session, principal=principal, webhook_id=webhook_id)
    return WebhookRead.model_validate(view)


@router.get("/{webhook_id}/notifications", summary="A webhook's notifications, newest first")
def list_notifications(
    webhook_id: DatabaseId,
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    state: DeliveryState | None = None,
) -> Page[NotificationRead]:
    found = queries.list_notifications(
        session=session,
        principal=principal,
        webhook_id=webhook_id,
        state=state,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[NotificationRead.model_validate(row) for row in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
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
    found = queries.read_notification(
        session=session,
        principal=principal,
        webhook_id=webhook_id,
        notification_id=notification_id,
    )
    return NotificationDetail(
        **NotificationRead.model_validate(found.notification).model_dump(),
        payload=found.notification.payload,
        delivery_attempts=[AttemptRead.model_validate(attempt) for attempt in found.attempts],
    )


@router.post(
    "/{webhook_id}/redeliver",
    summary="Queue a webhook's failed notifications again (after a long outage)",
)
def redeliver_failed(
    webhook_id: DatabaseId, session: SessionDep, principal: PrincipalDep
) -> Requeued:
    count = commands.redeliver_failed_notifications(
        session=session, principal=principal, webhook_id=webhook_id, now=utc_now()
    )
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
    target = commands.webhook_target(session=session, principal=principal, webhook_id=webhook_id)
    # Nothing was written: end the transaction before waiting on the network, so no
    # database lock (SQLite's write lock above all) is held while the receiver answers.
    session.rollback()
    outcome = send_test_notification(
        client=client,
        webhook_id=target.webhook_id,
        receiver=target.receiver,
        url=target.url,
        secret=target.secret,
        external_url=settings.base_url,
        now=utc_now(),
    )
    return WebhookCheck(
        delivered=outcome.ok,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=round(outcome.duration_ms, 3),
    )
