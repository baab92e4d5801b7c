"""Signed deliveries: every attempt carries Standard Webhooks' id, timestamp and signature
beside the old body signature, so a receiver using the official ``standardwebhooks``
package accepts a fresh message and refuses a replayed, re-dated or altered one."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import timedelta

import httpx
import pytest
import time_machine
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError

from monitors.notifications.delivery import NOTIFICATION_ID_HEADER
from monitors.notifications.payload import (
    MESSAGE_ID_HEADER,
    SIGNATURE_HEADER,
    STANDARD_SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_headers,
    standard_signature,
)
from tests.monitors.notifications.test_notifications import (
    T0,
    City,
    Clock,
    Receiver,
    deliver,
    enqueue,
    make_alert,
    make_webhook,
    outbox,
    receiver,
    town,
)

__all__ = ["receiver", "town"]  # the fixtures, shared with the notifications' stories

SECRET = "correct-horse-battery-staple"
T0_SECONDS = 1_795_399_200
"""T0 (2026-11-23 02:00 UTC) in Unix seconds, as ``date -u -d 2026-11-23T02:00:00Z +%s``."""
STANDARD_HEADERS = (MESSAGE_ID_HEADER, TIMESTAMP_HEADER, STANDARD_SIGNATURE_HEADER)


def receive(request: httpx.Request, *, secret: str = SECRET) -> object:
    """What a receiver does, as docs/security.md shows: the official package, keyed with
    the secret's UTF-8 bytes; raises ``WebhookVerificationError`` for a message to drop."""
    return StandardWebhook(secret.encode("utf-8")).verify(request.content, dict(request.headers))


def signed_message(
    session: Session,
    session_factory: sessionmaker[Session],
    town: City,
    receiver: Receiver,
    clock: Clock,
) -> httpx.Request:
    """One firing alert delivered to a webhook with a secret, at ``clock``'s time."""
    make_webhook(session, secret=SECRET)
    enqueue(session, [(make_alert(session, town).id, "firing")])
    assert deliver(session_factory, receiver, clock).delivered == 1
    [request] = receiver.accepted
    return request


# --- the signature on fixed inputs ----------------------------------------------------


def test_the_standard_signature_matches_the_specifications_published_vector() -> None:
    """The vector every Standard Webhooks library is tested with: its secret is
    ``whsec_`` + base64 of the key."""
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    signature = standard_signature(
        key=key,
        message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_message_is_signed_with_the_secrets_utf8_bytes_as_the_key() -> None:
    """Expected values computed with openssl, not with the code under test:
    ``printf '%s' '42.1795399200.<body>' | openssl dgst -sha256 -hmac "$SECRET" -binary | base64``
    and the same over the body alone, hex."""
    body = '{"status":"firing","receiver":"值班群"}'.encode()
    headers = signature_headers(secret=SECRET, message_id="42", sent_at=T0, body=body)
    assert headers == {
        SIGNATURE_HEADER: "sha256=fe230b51eb1f65c9416ef38d3ae72927a943193abb5c88ab75b3486048ebaf9e",
        MESSAGE_ID_HEADER: "42",
        TIMESTAMP_HEADER: "1795399200",
        STANDARD_SIGNATURE_HEADER: "v1,ifKyV+6IuYP5dNMejUeE23hYQQvDWPIY2sGDdUA7Fhg=",
    }
    assert T0.timestamp() == T0_SECONDS
    later = signature_headers(
        secret=SECRET, message_id="42", sent_at=T0 + timedelta(seconds=30.9), body=body
    )
    assert later[TIMESTAMP_HEADER] == "1795399230"
    assert later[SIGNATURE_HEADER] == headers[SIGNATURE_HEADER]
    assert later[STANDARD_SIGNATURE_HEADER] != headers[STANDARD_SIGNATURE_HEADER]


# --- what a delivery carries ----------------------------------------------------------


def test_every_signed_delivery_carries_the_standard_webhooks_headers(
    session: Session,
    session_factory: sessionmaker[Session],
    town: City,
    receiver: Receiver,
) -> None:
    webhook = make_webhook(session, name="signed", secret=SECRET)
    make_webhook(session, name="plain")
    enqueue(session, [(make_alert(session, town).id, "firing")])
    assert deliver(session_factory, receiver, Clock(T0)).delivered == 2
    by_receiver = {json.loads(r.content)["receiver"]: r for r in receiver.accepted}
    signed = by_receiver["signed"]
    [notification] = [n for n in outbox(session) if n.webhook_id == webhook.id]
    assert signed.headers[MESSAGE_ID_HEADER] == str(notification.id)
    assert signed.headers[TIMESTAMP_HEADER] == str(T0_SECONDS)
    content = f"{notification.id}.{T0_SECONDS}.".encode() + signed.content
    digest = hmac.new(SECRET.encode(), content, hashlib.sha256).digest()
    assert signed.headers[STANDARD_SIGNATURE_HEADER] == f"v1,{base64.b64encode(digest).decode()}"
    body_digest = hmac.new(SECRET.encode(), signed.content, hashlib.sha256).hexdigest()
    assert signed.headers[SIGNATURE_HEADER] == f"sha256={body_digest}"
    plain = by_receiver["plain"]
    assert not {SIGNATURE_HEADER, *STANDARD_HEADERS} & set(plain.headers)


def test_a_retry_keeps_its_message_id_and_is_signed_again_at_its_own_time(
    session: Session,
    session_factory: sessionmaker[Session],
    town: City,
    receiver: Receiver,
) -> None:
    make_webhook(session, secret=SECRET)
    enqueue(session, [(make_alert(session, town).id, "firing")])
    clock = Clock(T0)
    receiver.mode = "error"
    assert deliver(session_factory, receiver, clock).retried == 1
    clock.advance(30)
    receiver.mode = "ok"
    assert deliver(session_factory, receiver, clock).delivered == 1

    first, retry = receiver.seen
    assert retry.content == first.content
    assert retry.headers[MESSAGE_ID_HEADER] == first.headers[MESSAGE_ID_HEADER]
    assert first.headers[MESSAGE_ID_HEADER] == first.headers[NOTIFICATION_ID_HEADER]
    assert (first.headers[TIMESTAMP_HEADER], retry.headers[TIMESTAMP_HEADER]) == (
        str(T0_SECONDS),
        str(T0_SECONDS + 30),
    )
    assert retry.headers[STANDARD_SIGNATURE_HEADER] != first.headers[STANDARD_SIGNATURE_HEADER]
    assert retry.headers[SIGNATURE_HEADER] == first.headers[SIGNATURE_HEADER]
    with time_machine.travel(T0 + timedelta(seconds=31), tick=False):
        assert receive(retry) == json.loads(retry.content)
        assert receive(first) == json.loads(first.content)


# --- what a receiver verifying as documented does -------------------------------------


def test_a_receiver_using_the_official_package_accepts_a_fresh_message(
    session: Session,
    session_factory: sessionmaker[Session],
    town: City,
    receiver: Receiver,
) -> None:
    """Either form of the key works; the secret as registered does not, since the package
    base64-decodes a text secret (docs/security.md says so)."""
    request = signed_message(session, session_factory, town, receiver, Clock(T0))
    with time_machine.travel(T0 + timedelta(seconds=2), tick=False):
        assert receive(request) == json.loads(request.content)
        whsec = "whsec_" + base64.b64encode(SECRET.encode("utf-8")).decode("ascii")
        headers = dict(request.headers)
        assert StandardWebhook(whsec).verify(request.content, headers) == receive(request)
        with pytest.raises((binascii.Error, WebhookVerificationError)):
            StandardWebhook(SECRET).verify(request.content, headers)
        with pytest.raises(WebhookVerificationError, match="No matching signature"):
            receive(request, secret="another-secret-of-16-chars")


def test_a_receiver_rejects_a_replayed_message_by_its_signed_timestamp(
    session: Session,
    session_factory: sessionmaker[Session],
    town: City,
    receiver: Receiver,
) -> None:
    """A message captured at T0 and posted again ten minutes later is too old; moving its
    timestamp to the replay's time breaks its signature."""
    request = signed_message(session, session_factory, town, receiver, Clock(T0))
    replayed_at = T0 + timedelta(minutes=10)
    with time_machine.travel(replayed_at, tick=False):
        with pytest.raises(WebhookVerificationError, match="too old"):
            receive(request)
        redated = httpx.Request(
            "POST",
            request.url,
            content=request.content,
            headers={**request.headers, TIMESTAMP_HEADER: str(int(replayed_at.timestamp()))},
        )
        with pytest.raises(WebhookVerificationError, match="No matching signature"):
            receive(redated)


def test_a_receiver_rejects_a_message_whose_body_was_altered(
    session: Session,
    session_factory: sessionmaker[Session],
    town: City,
    receiver: Receiver,
) -> None:
    """An all-clear forged from a real firing message keeps its headers but not its
    signature."""
    request = signed_message(session, session_factory, town, receiver, Clock(T0))
    forged = request.content.replace(b'"status":"firing"', b'"status":"resolved"')
    assert forged != request.content
    altered = httpx.Request("POST", request.url, content=forged, headers=request.headers)
    with time_machine.travel(T0 + timedelta(seconds=2), tick=False):
        with pytest.raises(WebhookVerificationError, match="No matching signature"):
            receive(altered)
