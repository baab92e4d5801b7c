"""Webhooks cannot be aimed at the service's own network (SSRF): every spelling of a
loopback, private, link-local, multicast or reserved address is refused with a problem
naming ``url``, delivery checks the address it connects to again (a name that resolves
to loopback later gets nothing), only an allow-listed private network is reachable, and
the test send reports a status, never what an internal service answered."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import (
    AlertRule,
    DeliveryAttempt,
    Notification,
    RegionLevel,
    Role,
    ScopeLevel,
    Webhook,
)
from monitors.notifications.delivery import default_client, deliver_due_notifications
from monitors.notifications.receivers import ReceiverPolicy
from service.app import create_app
from service.settings import Settings
from tests.factories import make_key, make_product, make_region, make_store
from tests.servers import LocalReceiver, local_receiver
from tests.supply_network.factories import make_alert

T0 = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
INTERNAL_REPLY = b'{"db_password": "hunter2-internal"}'

INTERNAL_URLS = [
    "http://127.0.0.1/hook",
    "http://0x7f000001/hook",
    "http://2130706433/hook",
    "http://0177.0.0.1/hook",
    "http://127.1/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:7f00:1]:8080/hook",
    "http://localhost:6379/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/admin",
    "https://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://224.0.0.1/hook",
    "http://0.0.0.0:8000/hook",
    "http://240.0.0.1/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[ff02::1]/hook",
    "http://[::]/hook",
]


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    headers = make_key(session, Role.bureau)
    session.commit()
    return headers


def _app_client(
    settings: Settings, session_factory: sessionmaker[Session], **changes: object
) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update=changes), session_factory=session_factory)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def closed_client(
    settings: Settings, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    """The service as deployed by default: no private network allowed."""
    yield from _app_client(settings, session_factory)


@pytest.fixture
def loopback_allowed_client(
    settings: Settings, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    """A deployment whose receivers live on this machine, allowed by the setting."""
    yield from _app_client(settings, session_factory, webhook_allowed_networks=["127.0.0.0/8"])


def _assert_refused_at_url(response: object, session: Session) -> None:
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    locations = [error["loc"] for error in response.json()["errors"]]  # type: ignore[attr-defined]
    assert ["body", "url"] in locations
    assert session.scalar(select(func.count()).select_from(Webhook)) == 0


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_a_webhook_to_an_internal_address_is_refused_naming_url(
    closed_client: TestClient, bureau: dict[str, str], session: Session, url: str
) -> None:
    response = closed_client.post(
        "/api/v1/webhooks", json={"name": "probe", "url": url}, headers=bureau
    )
    _assert_refused_at_url(response, session)


def test_a_webhook_cannot_be_moved_to_an_internal_address(
    closed_client: TestClient, bureau: dict[str, str], session: Session
) -> None:
    created = closed_client.post(
        "/api/v1/webhooks",
        json={"name": "duty chat", "url": "https://hooks.example.org/supply"},
        headers=bureau,
    )
    assert created.status_code == 201, created.text
    moved = closed_client.patch(
        f"/api/v1/webhooks/{created.json()['id']}",
        json={"url": "http://0x7f000001:5432/"},
        headers=bureau,
    )
    assert moved.status_code == 422
    assert ["body", "url"] in [error["loc"] for error in moved.json()["errors"]]
    session.expire_all()
    assert session.scalars(select(Webhook.url)).one() == "https://hooks.example.org/supply"


def test_the_test_send_reports_a_status_never_the_internal_reply(
    loopback_allowed_client: TestClient, bureau: dict[str, str]
) -> None:
    with local_receiver() as internal:
        internal.status, internal.reply = 500, INTERNAL_REPLY
        created = loopback_allowed_client.post(
            "/api/v1/webhooks", json={"name": "internal", "url": internal.url}, headers=bureau
        )
        assert created.status_code == 201, created.text
        checked = loopback_allowed_client.post(
            f"/api/v1/webhooks/{created.json()['id']}/test", headers=bureau
        )
    assert checked.status_code == 200, checked.text
    assert len(internal.bodies) == 1
    assert checked.json()["status_code"] == 500
    assert checked.json()["error"] == "HTTP 500"
    assert "hunter2" not in checked.text


def test_the_test_send_to_a_closed_port_does_not_say_why(
    loopback_allowed_client: TestClient, bureau: dict[str, str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    created = loopback_allowed_client.post(
        "/api/v1/webhooks",
        json={"name": "scan", "url": f"http://127.0.0.1:{closed_port}/"},
        headers=bureau,
    )
    checked = loopback_allowed_client.post(
        f"/api/v1/webhooks/{created.json()['id']}/test", headers=bureau
    )
    assert checked.json()["status_code"] is None
    assert checked.json()["error"] == "the receiver did not answer"


def _queued_to(session: Session, url: str) -> int:
    """A webhook row pointing at ``url`` (as a name that resolved elsewhere when it was
    registered would now) with one notification due."""
    webhook = Webhook(name="rebound", url=url, min_severity="warning", rules=[], active=True)
    session.add(webhook)
    district = make_region(session, level=RegionLevel.district)
    product = make_product(session)
    store = make_store(session, region=district)
    alert = make_alert(
        session,
        rule=AlertRule.stockout,
        level=ScopeLevel.store,
        scope_id=store.id,
        product=product,
        district=district,
        store=store,
    )
    notification = Notification(
        webhook_id=webhook.id,
        alert_id=alert.id,
        alert_status="firing",
        payload={"status": "firing"},
        state="pending",
        attempts=0,
        created_at=T0,
        next_attempt_at=T0,
    )
    session.add(notification)
    session.commit()
    return notification.id


def _deliver(session_factory: sessionmaker[Session], policy: ReceiverPolicy) -> None:
    with default_client(policy) as client:
        deliver_due_notifications(session_factory, client=client, now=lambda: T0, jitter=0)


def test_delivery_checks_the_address_it_connects_to_again(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    with local_receiver() as internal:
        rebound = internal.url.replace("127.0.0.1", "localhost")
        notification_id = _queued_to(session, rebound)
        _deliver(session_factory, ReceiverPolicy())
    assert internal.bodies == []
    attempt = session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.notification_id == notification_id)
    ).one()
    assert attempt.status_code is None and "refused" in (attempt.error or "")


def test_an_allow_listed_private_receiver_gets_its_notifications(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    with local_receiver() as internal:
        internal.status, internal.reply = 503, INTERNAL_REPLY
        notification_id = _queued_to(session, internal.url.replace("127.0.0.1", "localhost"))
        _deliver(session_factory, ReceiverPolicy.allowing(["127.0.0.0/8", "::1/128"]))
    _assert_received_once(internal, session, notification_id)


def _assert_received_once(internal: LocalReceiver, session: Session, notification_id: int) -> None:
    assert len(internal.bodies) == 1
    attempt = session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.notification_id == notification_id)
    ).one()
    assert (attempt.status_code, attempt.error) == (503, "HTTP 503")
