"""What a receiver gets: the Alertmanager webhook body (version "4") and its signatures.

Receivers built for Prometheus Alertmanager (chat bridges, paging) read these bodies
unchanged. A webhook with a secret gets two signatures, both HMAC-SHA256 keyed with the
secret's UTF-8 bytes:

- ``X-Supplywatch-Signature: sha256=<hex>`` over the exact body bytes, kept for the
  receivers that already verify it. It signs no time, so a captured message replays.
- Standard Webhooks (standardwebhooks.com): ``webhook-id`` (the notification id, the same
  on every retry), ``webhook-timestamp`` (the attempt's Unix seconds) and
  ``webhook-signature: v1,<base64>`` over ``"{id}.{timestamp}.{body}"``. A receiver that
  refuses timestamps more than 5 minutes from its clock and ids it has seen refuses
  replays. Its libraries take the secret as ``whsec_`` + base64 of the key: a receiver
  gives them ``"whsec_" + base64(secret)`` (or, in Python, ``Webhook(secret.encode())``),
  never the secret as registered, which they would base64-decode into another key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from models import Alert

SIGNATURE_HEADER = "X-Supplywatch-Signature"
"""Header with ``sha256=<hex HMAC-SHA256 of the body>``, sent when the webhook has a secret."""
MESSAGE_ID_HEADER = "webhook-id"
"""Standard Webhooks' message id: the same on every retry of one message."""
TIMESTAMP_HEADER = "webhook-timestamp"
"""Standard Webhooks' time of the attempt, in Unix seconds, signed with the body."""
STANDARD_SIGNATURE_HEADER = "webhook-signature"
"""Standard Webhooks' ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
FIRING = "firing"
RESOLVED = "resolved"
ZERO_TIME = "0001-01-01T00:00:00Z"
"""Alertmanager's ``endsAt`` for an alert that has not ended (Go's zero time)."""
ALERTMANAGER_VERSION = "4"
GROUP_LABELS = ("district", "category", "product", "rule", "store", "severity")
"""Labels a webhook may group its messages by."""
DEFAULT_GROUP_BY = ("district", "category")
"""A webhook's grouping unless it says otherwise: the bureau's situations."""


def group_labels(labels: Mapping[str, str], group_by: Sequence[str]) -> dict[str, str]:
    """The group an alert's message belongs to: its values of the ``group_by`` labels
    (a label the alert lacks is left out, as in Alertmanager)."""
    return {name: labels[name] for name in group_by if name in labels}


def grouped_payload(
    *,
    alerts: Sequence[tuple[Alert, Mapping[str, str]]],
    grouped_by: Mapping[str, str],
    status: str,
    receiver: str,
    external_url: str,
    now: datetime,
) -> dict[str, Any]:
    """The Alertmanager webhook body (version "4") for a group of alerts in state
    ``status``: one message with every alert, its ``groupLabels``, and the labels and
    annotations all its alerts share as ``commonLabels`` and ``commonAnnotations``."""
    messages = [
        alertmanager_payload(
            alert=alert,
            labels=labels,
            status=status,
            receiver=receiver,
            external_url=external_url,
            now=now,
        )
        for alert, labels in alerts
    ]
    body = messages[0]
    body["alerts"] = [message["alerts"][0] for message in messages]
    for common in ("commonLabels", "commonAnnotations"):
        shared = dict(body[common])
        for message in messages[1:]:
            shared = {k: v for k, v in shared.items() if message[common].get(k) == v}
        body[common] = shared
    body["groupLabels"] = dict(grouped_by)
    pairs = ",".join(
        f"{name}={json.dumps(value, ensure_ascii=False)}"
        for name, value in sorted(grouped_by.items())
    )
    body["groupKey"] = f"{{}}:{{{pairs}}}"
    return body


def sign_body(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``body`` under ``secret``: what a receiver recomputes from the
    raw request body to know the message came from us and was not altered."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def standard_signature(*, key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks' ``v1,<base64>`` HMAC-SHA256 of ``"{id}.{timestamp}.{body}"``:
    binds the body to its message and the attempt's time, so a receiver can refuse an
    old message replayed to it."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode('ascii')}"


def signature_headers(
    *, secret: str, message_id: str, sent_at: datetime, body: bytes
) -> dict[str, str]:
    """The signature headers of one attempt: ours over the body, for the receivers that
    verify it, and Standard Webhooks' over the message id, the attempt's time and the
    body, both keyed with the secret's UTF-8 bytes (the one key a receiver needs)."""
    timestamp = int(sent_at.timestamp())
    return {
        SIGNATURE_HEADER: f"sha256={sign_body(secret, body)}",
        MESSAGE_ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        STANDARD_SIGNATURE_HEADER: standard_signature(
            key=secret.encode("utf-8"), message_id=message_id, timestamp=timestamp, body=body
        ),
    }


def encode_body(payload: Mapping[str, Any]) -> bytes:
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


def webhook_check_payload(
    *, webhook_id: int, receiver: str, external_url: str, now: datetime
) -> dict[str, Any]:
    """A made-up firing alert for checking a webhook: the URL, the network path and the
    signature, with labels no silence or rule could mistake for a real alert."""
    base = external_url.rstrip("/")
    return _envelope(
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
    """The version-4 message around one alert, grouped by its fingerprint alone."""
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
