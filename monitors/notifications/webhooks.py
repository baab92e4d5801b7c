"""Managing webhooks: register a receiver with its filters and optional signing secret,
change it, deactivate it (its queue is dropped), and send it what it missed.

Every command checks the caller's role and names it in the record; they flush, never
commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, region_subtree, require_role
from core.errors import Conflict, InvalidInput, InvalidValue
from core.lookups import get_optional_by_code, unknown_code
from core.text import field_problem, phrase
from core.words import word
from models import AlertRule, Notification, Region, RegionLevel, Severity, Webhook
from monitors.alerting.regions import region_code_within
from monitors.notifications.outbox import (
    abandon_pending_notifications,
    requeue_failed_notifications,
)
from monitors.notifications.payload import GROUP_LABELS
from monitors.notifications.receivers import ReceiverPolicy, check_receiver_url
from monitors.queries.webhooks import (
    HIDDEN,
    WEBHOOK_MANAGERS,
    WebhookView,
    find_webhook,
    shown_url,
    webhook_view,
)

WEBHOOK_REGION_LEVELS = (RegionLevel.district, RegionLevel.city)
"""Alerts carry their district and, city-wide ones, the city: other levels never match."""
REQUIRED_FIELDS = ("name", "url", "min_severity", "rules", "active")
"""Fields a change may not set to null (a null region or secret removes it)."""
_UNSAFE_URL_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f]")


@dataclass(frozen=True)
class WebhookTarget:
    """Where and how to post to a webhook, as plain values, so the caller can end its
    database transaction before waiting on the network."""

    webhook_id: int
    receiver: str
    url: str
    secret: str | None


def validate_webhook_url(url: str) -> str:
    """``url`` when notifications can be posted to it (http or https with a host), else
    ValueError: anything else (ftp:, file:, javascript:, a bare word) would fail on every
    delivery, so it is refused when the webhook is registered, not discovered later."""
    if _UNSAFE_URL_CHARACTERS.search(url):
        raise InvalidValue("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as error:
        raise InvalidValue("is not a valid URL ({reason})", reason=str(error)) from error
    if port == 0:
        raise InvalidValue("must name a port from 1 to 65535")
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidValue("must be an http:// or https:// URL")
    if not parts.hostname:
        raise InvalidValue("must name a host, as in https://chat.example.org/hook")
    return url


def _deliverable_url(url: str, receivers: ReceiverPolicy) -> str:
    """``url`` if deliverable to an address ``receivers`` allows, else a 422 at
    ``body.url``; a URL still holding the ``***`` of a hidden credential is refused, as
    storing it would break every delivery."""
    try:
        if HIDDEN in url:
            raise InvalidValue(
                "holds ***, a hidden credential: send the whole URL, "
                "or the URL exactly as shown to keep it"
            )
        check_receiver_url(validate_webhook_url(url), receivers)
        return url
    except InvalidValue as error:
        raise InvalidInput(
            "url {problem}", errors=[field_problem(["body", "url"], error.text)], problem=error.text
        ) from error


def _changed_url(stored: str, sent: str, receivers: ReceiverPolicy) -> str:
    """The URL a change stores: the stored one when ``sent`` is the URL as shown (a form or
    client sending back what it read, credentials hidden), else ``sent`` if deliverable."""
    if HIDDEN in sent and sent == shown_url(stored):
        return stored
    return _deliverable_url(sent, receivers)


def _region(session: Session, code: str | None, principal: Principal) -> Region | None:
    """The region a webhook is limited to: a district or the city, else 422; staff bound
    to a region must name one inside it (one outside reads as unknown)."""
    if code is not None and not region_code_within(session, principal, code):
        raise unknown_code(label=phrase("region"), code=code, field="region")
    if code is None and principal.is_region_bound:
        raise InvalidInput(
            "a webhook of staff bound to a region is limited to a region inside it",
            errors=[
                field_problem(["body", "region"], "give a district or city inside your region")
            ],
        )
    region = get_optional_by_code(session, Region, code, label=phrase("region"), field="region")
    if region is not None and region.level not in WEBHOOK_REGION_LEVELS:
        raise InvalidInput(
            "region {code!r} is a {level}; give a district or the city",
            errors=[field_problem(["body", "region"], "must be a district or the city")],
            code=code,
            level=word(region.level),
        )
    return region


def _rules(rules: Sequence[AlertRule]) -> list[str]:
    """Rule values without repeats, in the order given."""
    return [rule.value for rule in dict.fromkeys(rules)]


def _group_by(group_by: Sequence[str] | None) -> list[str] | None:
    """The labels a webhook groups its messages by (None: the default), or a 422 naming
    each label that cannot group."""
    if group_by is None:
        return None
    unknown = [name for name in group_by if name not in GROUP_LABELS]
    if unknown:
        raise InvalidInput(
            "cannot group notifications by {labels}",
            errors=[
                field_problem(
                    ["body", "group_by"],
                    "unknown label {name!r}; use {labels}",
                    name=name,
                    labels=", ".join(GROUP_LABELS),
                )
                for name in unknown
            ],
            labels=", ".join(unknown),
        )
    return list(dict.fromkeys(group_by))


def create_webhook(
    *,
    session: Session,
    principal: Principal,
    name: str,
    url: str,
    min_severity: Severity = Severity.warning,
    rules: Sequence[AlertRule] = (),
    region: str | None = None,
    secret: str | None = None,
    receivers: ReceiverPolicy,
    group_by: Sequence[str] | None = None,
) -> WebhookView:
    """Register a receiver of alert notifications with its filters (least severity, only
    some rules, one district or the city) and an optional signing secret."""
    require_role(principal, *WEBHOOK_MANAGERS)
    limited_to = _region(session, region, principal)
    webhook = Webhook(
        name=name,
        url=_deliverable_url(url, receivers),
        secret=secret,
        min_severity=min_severity.value,
        rules=_rules(rules),
        group_by=_group_by(group_by),
        region_id=limited_to.id if limited_to else None,
        active=True,
        created_by=principal.label,
    )
    session.add(webhook)
    session.flush()
    return webhook_view(webhook, limited_to.code if limited_to else None)


def update_webhook(
    *,
    session: Session,
    principal: Principal,
    webhook_id: int,
    changes: Mapping[str, Any],
    receivers: ReceiverPolicy,
) -> WebhookView:
    """Change the fields in ``changes`` (only those sent): a null region or secret removes
    it, a null anywhere else is a 422 naming the field; the URL as shown keeps the stored
    one with its hidden credentials."""
    require_role(principal, *WEBHOOK_MANAGERS)
    webhook, region_code = find_webhook(session, webhook_id=webhook_id, principal=principal)
    for name in sorted(set(changes) & set(REQUIRED_FIELDS)):
        if changes[name] is None:
            raise InvalidInput(
                "{name} cannot be null",
                errors=[field_problem(["body", name], "cannot be null")],
                name=name,
            )
    if "region" in changes:
        region = _region(session, changes["region"], principal)
        _refuse_narrowing_with_history(session, webhook, region)
        webhook.region_id = region.id if region else None
        region_code = region.code if region else None
    if "secret" in changes:
        webhook.secret = changes["secret"]
    if "name" in changes:
        webhook.name = changes["name"]
    if "url" in changes:
        webhook.url = _changed_url(webhook.url, changes["url"], receivers)
    if "min_severity" in changes:
        webhook.min_severity = Severity(changes["min_severity"]).value
    if "rules" in changes:
        webhook.rules = _rules([AlertRule(rule) for rule in changes["rules"]])
    if "active" in changes:
        webhook.active = bool(changes["active"])
    if "group_by" in changes:
        webhook.group_by = _group_by(changes["group_by"])
    session.flush()
    return webhook_view(webhook, region_code)


def _refuse_narrowing_with_history(
    session: Session, webhook: Webhook, region: Region | None
) -> None:
    """A 422 naming ``region`` when a webhook that has sent messages would move to a region
    that does not hold its old one: its history (other regions' alerts in full) would
    become readable to that region's staff. Widening keeps readers who could read it
    already; a new region gets a new webhook."""
    if region is None or region.id == webhook.region_id:
        return
    if webhook.region_id is not None and webhook.region_id in region_subtree(session, region.id):
        return
    sent = session.scalar(
        select(Notification.id).where(Notification.webhook_id == webhook.id).limit(1)
    )
    if sent is not None:
        raise InvalidInput(
            "webhook {webhook} has messages for alerts outside region {region}: register a "
            "new webhook for it",
            errors=[
                field_problem(
                    ["body", "region"],
                    "webhook {webhook} has messages for alerts outside region {region}: "
                    "register a new webhook for it",
                    webhook=webhook.id,
                    region=region.code,
                )
            ],
            webhook=webhook.id,
            region=region.code,
        )


def deactivate_webhook(*, session: Session, principal: Principal, webhook_id: int) -> WebhookView:
    """Stop sending to a webhook; it is kept for its history and its pending messages are
    marked failed, naming who deactivated it."""
    require_role(principal, *WEBHOOK_MANAGERS)
    webhook, region_code = find_webhook(session, webhook_id=webhook_id, principal=principal)
    webhook.active = False
    abandon_pending_notifications(
        session, webhook_id=webhook.id, reason=f"webhook deactivated by {principal.label}"
    )
    session.flush()
    return webhook_view(webhook, region_code)


def redeliver_failed_notifications(
    *, session: Session, principal: Principal, webhook_id: int, now: datetime
) -> int:
    """Queue a webhook's failed notifications again, in their original order, and return
    how many: after an outage longer than the retries last (409 for an inactive one)."""
    require_role(principal, *WEBHOOK_MANAGERS)
    webhook, _ = find_webhook(session, webhook_id=webhook_id, principal=principal)
    if not webhook.active:
        raise Conflict("webhook {webhook_id} is inactive; activate it first", webhook_id=webhook_id)
    return requeue_failed_notifications(session, webhook_id=webhook_id, now=now)


def webhook_target(*, session: Session, principal: Principal, webhook_id: int) -> WebhookTarget:
    """Where a test notification for the webhook goes, or a 404."""
    require_role(principal, *WEBHOOK_MANAGERS)
    webhook, _ = find_webhook(session, webhook_id=webhook_id, principal=principal)
    return WebhookTarget(
        webhook_id=webhook.id, receiver=webhook.name, url=webhook.url, secret=webhook.secret
    )
