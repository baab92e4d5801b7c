"""The webhooks API: the bureau registers receivers, reads their outbox and every
delivery attempt; a secret goes in and never comes out; bad URLs never get in."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook as StandardWebhook

from models import (
    Alert,
    AlertRule,
    AlertStatus,
    Notification,
    Region,
    RegionLevel,
    Role,
    Severity,
)
from monitors.notifications.delivery import NOTIFICATION_ID_HEADER, deliver_due_notifications
from monitors.notifications.outbox import enqueue_notifications
from monitors.notifications.payload import SIGNATURE_HEADER
from service.api import webhooks
from service.app import create_app
from service.settings import Settings
from tests.factories import make_key, make_product, make_region, make_store

SECRET = "correct-horse-battery-staple"
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class Receiver:
    """A fake receiver behind the app's HTTP client for test sends."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.mode == "unreachable":
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(500 if self.mode == "error" else 200, text="ok")


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def client(
    settings: Settings, session_factory: sessionmaker[Session], receiver: Receiver
) -> Iterator[TestClient]:
    """The app, with the webhooks router mounted until service/api registers it."""
    app = create_app(settings, session_factory=session_factory)
    if not any(getattr(r, "path", "").startswith("/api/v1/webhooks") for r in app.routes):
        app.include_router(webhooks.router, prefix="/api/v1")
    with httpx.Client(transport=httpx.MockTransport(receiver.handle)) as http:
        app.state.webhook_http_client = http
        with TestClient(app) as test_client:
            yield test_client


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    return make_key(session, Role.bureau)


@pytest.fixture
def xinhua(session: Session) -> Region:
    city = make_region(session, code="410400", name="Pingdingshan", level=RegionLevel.city)
    make_region(session, code="410402001", name="Kuanglu", level=RegionLevel.township)
    return make_region(session, code="410402", name="Xinhua", parent=city)


def create(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "duty chat", "url": "https://hooks.example.org/supply", **fields}
    response = client.post("/api/v1/webhooks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert SECRET not in response.text
    created: dict[str, Any] = response.json()
    return created


def make_alert(session: Session, district: Region, *, fired_at: datetime = T0) -> Alert:
    store = make_store(session, region=district)
    product = make_product(session, code=f"pork-{store.id}")
    alert = Alert(
        fingerprint=f"stockout:store:{store.id}:{product.id}",
        rule=AlertRule.stockout,
        severity=Severity.critical,
        status=AlertStatus.firing,
        scope_level="store",
        scope_id=store.id,
        store_id=store.id,
        district_id=district.id,
        product_id=product.id,
        category_id=product.category_id,
        summary="Pork out of stock",
        first_seen_at=fired_at,
        last_seen_at=fired_at,
        fired_at=fired_at,
        first_date=date(2026, 11, 22),
        last_date=date(2026, 11, 22),
    )
    session.add(alert)
    session.flush()
    return alert


def test_bureau_registers_reads_changes_lists_and_deactivates_a_webhook(
    client: TestClient, bureau: dict[str, str], xinhua: Region
) -> None:
    created = create(
        client,
        bureau,
        min_severity="critical",
        rules=["stockout", "low_supply", "stockout"],
        region="410402",
        secret=SECRET,
    )
    assert created["rules"] == ["stockout", "low_supply"]
    assert (created["region"], created["min_severity"]) == ("410402", "critical")
    assert created["has_secret"] is True and created["active"] is True
    assert created["created_by"].startswith("key:")
    assert "secret" not in created
    base = f"/api/v1/webhooks/{created['id']}"

    read = client.get(base, headers=bureau)
    assert read.status_code == 200 and read.json() == created

    changed = client.patch(
        base,
        json={"name": "pager", "min_severity": "warning", "region": None, "secret": None},
        headers=bureau,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "pager" and changed.json()["region"] is None
    assert changed.json()["has_secret"] is False
    assert changed.json()["rules"] == ["stockout", "low_supply"]

    resigned = client.patch(base, json={"secret": SECRET + "-2"}, headers=bureau)
    assert resigned.json()["has_secret"] is True and SECRET not in resigned.text

    listed = client.get("/api/v1/webhooks", headers=bureau)
    assert listed.status_code == 200 and SECRET not in listed.text
    assert listed.json()["total"] == 1
    assert listed.json()["items"][0]["name"] == "pager"

    gone = client.delete(base, headers=bureau)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert SECRET not in gone.text
    assert client.get("/api/v1/webhooks?active=true", headers=bureau).json()["total"] == 0
    again = client.patch(base, json={"active": True}, headers=bureau)
    assert again.json()["active"] is True


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"url": "ftp://x"}, ["body", "url"]),
        ({"url": "not a url"}, ["body", "url"]),
        ({"url": "javascript:alert(1)"}, ["body", "url"]),
        ({"url": "file:///etc/passwd"}, ["body", "url"]),
        ({"url": "http://"}, ["body", "url"]),
        ({"url": "https://exa mple.org/hook"}, ["body", "url"]),
        ({"url": "http://example.org:99999/hook"}, ["body", "url"]),
        ({"rules": ["stockout", "gossip"]}, ["body", "rules", 1]),
        ({"min_severity": "info"}, ["body", "min_severity"]),
        ({"region": "999999"}, ["body", "region"]),
        ({"region": "410402001"}, ["body", "region"]),
        ({"secret": "too-short"}, ["body", "secret"]),
        ({"colour": "red"}, ["body", "colour"]),
        ({"name": "duty\nchat"}, ["body", "name"]),
        ({"name": "duty\r\nX-Injected: 1"}, ["body", "name"]),
        ({"name": "duty\x1b[31mchat"}, ["body", "name"]),
        ({"name": "duty\u2028chat"}, ["body", "name"]),
        ({"name": "x" * 121}, ["body", "name"]),
    ],
)
def test_bad_webhooks_are_refused_naming_the_field(
    client: TestClient,
    bureau: dict[str, str],
    xinhua: Region,
    fields: dict[str, Any],
    loc: list[Any],
) -> None:
    body = {"name": "duty chat", "url": "https://hooks.example.org/supply", **fields}
    response = client.post("/api/v1/webhooks", json=body, headers=bureau)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert client.get("/api/v1/webhooks", headers=bureau).json()["total"] == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "ftp://x"}, "url"),
        ({"url": None}, "url"),
        ({"name": None}, "name"),
        ({"name": "duty\nchat"}, "name"),
        ({"name": "duty\tchat"}, "name"),
        ({"rules": None}, "rules"),
        ({"region": "410402001"}, "region"),
        ({"secret": "short"}, "secret"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(
    client: TestClient,
    bureau: dict[str, str],
    xinhua: Region,
    changes: dict[str, Any],
    field: str,
) -> None:
    created = create(client, bureau)
    response = client.patch(f"/api/v1/webhooks/{created['id']}", json=changes, headers=bureau)
    assert response.status_code == 422, response.text
    assert ["body", field] in [error["loc"] for error in response.json()["errors"]]
    assert client.get(f"/api/v1/webhooks/{created['id']}", headers=bureau).json() == created


@pytest.mark.parametrize("role", [Role.store, Role.dispatcher, Role.driver])
def test_only_bureau_and_admin_manage_webhooks(
    client: TestClient, session: Session, bureau: dict[str, str], role: Role
) -> None:
    webhook_id = create(client, bureau)["id"]
    headers = make_key(session, role, store=make_store(session) if role is Role.store else None)
    base = f"/api/v1/webhooks/{webhook_id}"
    calls = [
        client.post("/api/v1/webhooks", json={"name": "x", "url": "https://a.b/"}, headers=headers),
        client.get("/api/v1/webhooks", headers=headers),
        client.get(base, headers=headers),
        client.patch(base, json={"name": "mine"}, headers=headers),
        client.delete(base, headers=headers),
        client.get(f"{base}/notifications", headers=headers),
        client.get(f"{base}/notifications/1", headers=headers),
        client.post(f"{base}/redeliver", headers=headers),
        client.post(f"{base}/test", headers=headers),
    ]
    assert [call.status_code for call in calls] == [403] * len(calls)
    admin = make_key(session, Role.admin)
    assert client.get(base, headers=admin).json()["name"] == "duty chat"
    assert client.get(base).status_code == 401


def test_unknown_webhooks_and_notifications_are_404(
    client: TestClient, bureau: dict[str, str]
) -> None:
    assert client.get("/api/v1/webhooks/424242", headers=bureau).status_code == 404
    assert client.patch("/api/v1/webhooks/424242", json={}, headers=bureau).status_code == 404
    assert client.get("/api/v1/webhooks/0", headers=bureau).status_code == 422
    first, second = create(client, bureau)["id"], create(client, bureau)["id"]
    missing = client.get(f"/api/v1/webhooks/{first}/notifications/1", headers=bureau)
    assert missing.status_code == 404
    assert client.get(f"/api/v1/webhooks/{second}/notifications", headers=bureau).json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }


def test_the_outbox_and_every_attempt_are_visible_newest_first(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    bureau: dict[str, str],
    xinhua: Region,
) -> None:
    webhook_id = create(client, bureau, secret=SECRET)["id"]
    other_id = create(client, bureau, name="other")["id"]
    alerts = [make_alert(session, xinhua) for _ in range(2)]
    changes = [(alert.id, "firing") for alert in alerts]
    enqueue_notifications(session, changes=changes, now=T0, external_url="https://sw.example")

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="maintenance")

    with httpx.Client(transport=httpx.MockTransport(refuse)) as down:
        report = deliver_due_notifications(session_factory, client=down, now=lambda: T0, jitter=0)
    assert report.retried == 2  # the first of each webhook; the rest wait behind it

    listed = client.get(f"/api/v1/webhooks/{webhook_id}/notifications", headers=bureau)
    assert listed.status_code == 200 and SECRET not in listed.text
    items = listed.json()["items"]
    assert [item["alert_id"] for item in items] == [alerts[1].id, alerts[0].id]
    newest, oldest = items
    assert (oldest["state"], oldest["attempts"]) == ("pending", 1)
    assert oldest["last_error"] == "HTTP 503"
    assert oldest["alert_status"] == "firing" and oldest["delivered_at"] is None
    assert datetime.fromisoformat(oldest["next_attempt_at"]) == T0 + timedelta(seconds=30)
    assert (newest["attempts"], newest["last_error"]) == (0, None)
    only_pending = client.get(
        f"/api/v1/webhooks/{webhook_id}/notifications?state=delivered", headers=bureau
    )
    assert only_pending.json()["total"] == 0

    detail = client.get(
        f"/api/v1/webhooks/{webhook_id}/notifications/{oldest['id']}", headers=bureau
    )
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["payload"]["version"] == "4" and body["payload"]["status"] == "firing"
    assert body["payload"]["alerts"][0]["labels"]["alertname"] == "stockout"
    [attempt] = body["delivery_attempts"]
    assert (attempt["status_code"], attempt["error"]) == (503, "HTTP 503")
    assert datetime.fromisoformat(attempt["at"]) == T0
    elsewhere = client.get(
        f"/api/v1/webhooks/{other_id}/notifications/{oldest['id']}", headers=bureau
    )
    assert elsewhere.status_code == 404


def test_deactivating_drops_the_queue_and_redeliver_requeues_what_failed(
    client: TestClient, session: Session, bureau: dict[str, str], xinhua: Region
) -> None:
    webhook_id = create(client, bureau)["id"]
    alert = make_alert(session, xinhua)
    enqueue_notifications(session, changes=[(alert.id, "firing")], now=T0, external_url="x")
    base = f"/api/v1/webhooks/{webhook_id}"
    assert client.delete(base, headers=bureau).status_code == 200
    [item] = client.get(f"{base}/notifications", headers=bureau).json()["items"]
    assert item["state"] == "failed" and "deactivated" in item["last_error"]
    assert client.post(f"{base}/redeliver", headers=bureau).status_code == 409

    client.patch(base, json={"active": True}, headers=bureau)
    requeued = client.post(f"{base}/redeliver", headers=bureau)
    assert requeued.status_code == 200 and requeued.json() == {"requeued": 1}
    [item] = client.get(f"{base}/notifications", headers=bureau).json()["items"]
    assert (item["state"], item["attempts"]) == ("pending", 0)


@pytest.mark.parametrize(
    ("mode", "delivered", "status_code", "error"),
    [
        ("ok", True, 200, None),
        ("error", False, 500, "HTTP 500"),
        ("unreachable", False, None, "the receiver did not answer"),
    ],
)
def test_a_test_send_reports_the_receivers_answer_and_queues_nothing(
    client: TestClient,
    session: Session,
    bureau: dict[str, str],
    receiver: Receiver,
    mode: str,
    delivered: bool,
    status_code: int | None,
    error: str | None,
) -> None:
    webhook_id = create(client, bureau, secret=SECRET)["id"]
    receiver.mode = mode
    response = client.post(f"/api/v1/webhooks/{webhook_id}/test", headers=bureau)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["delivered"], result["status_code"], result["error"]) == (
        delivered,
        status_code,
        error,
    )
    [request] = receiver.requests
    assert str(request.url) == "https://hooks.example.org/supply"
    signature = hmac.new(SECRET.encode(), request.content, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == f"sha256={signature}"
    assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_test_send_is_signed_the_standard_webhooks_way_under_an_id_of_its_own(
    client: TestClient, bureau: dict[str, str], receiver: Receiver
) -> None:
    """A receiver checks its verification with the test send: it carries the headers a
    real delivery does, dated now, under a ``test-`` id that no notification has."""
    webhook_id = create(client, bureau, secret=SECRET)["id"]
    for _ in range(2):
        sent = client.post(f"/api/v1/webhooks/{webhook_id}/test", headers=bureau)
        assert sent.status_code == 200 and sent.json()["delivered"] is True, sent.text
    first, second = receiver.requests
    assert first.headers["webhook-id"].startswith("test-")
    assert first.headers["webhook-id"] != second.headers["webhook-id"]
    assert NOTIFICATION_ID_HEADER not in first.headers
    assert abs(int(first.headers["webhook-timestamp"]) - time.time()) < 60
    verifier = StandardWebhook(SECRET.encode("utf-8"))
    assert verifier.verify(first.content, dict(first.headers)) == json.loads(first.content)


def test_a_webhook_chooses_how_its_alerts_are_grouped(
    client: TestClient, bureau: dict[str, str], xinhua: Region
) -> None:
    default = create(client, bureau)
    assert default["group_by"] == ["district", "category"]
    by_product = create(client, bureau, name="pork desk", group_by=["product", "product"])
    assert by_product["group_by"] == ["product"]
    changed = client.patch(
        f"/api/v1/webhooks/{by_product['id']}", json={"group_by": []}, headers=bureau
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["group_by"] == []
    refused = client.post(
        "/api/v1/webhooks",
        json={"name": "x", "url": "https://hooks.example.org/x", "group_by": ["weather"]},
        headers=bureau,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"][:2] == ["body", "group_by"]
    assert client.get("/api/v1/webhooks", headers=bureau).json()["total"] == 2


def test_credentials_in_a_webhook_url_are_never_shown_again_but_still_used(
    client: TestClient, bureau: dict[str, str], receiver: Receiver
) -> None:
    """A chat robot's URL carries its credential (DingTalk's and WeCom's ``access_token``,
    a user and password before the host): like the signing secret, it is stored and used for
    delivery but never read back, so a bureau reader cannot post to the duty chat as the
    service."""
    url = "https://robot:p4ss-w0rd-1@hooks.example.org/robot/send?access_token=0123456789abcdef"
    created = create(client, bureau, url=url)
    assert created["url"] == "https://***@hooks.example.org/robot/send?access_token=***"
    base = f"/api/v1/webhooks/{created['id']}"
    answers = [
        client.get(base, headers=bureau),
        client.get("/api/v1/webhooks", headers=bureau),
        client.patch(base, json={"name": "renamed"}, headers=bureau),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert "p4ss-w0rd-1" not in answer.text and "0123456789abcdef" not in answer.text
    sent = client.post(f"{base}/test", headers=bureau)
    assert sent.status_code == 200 and sent.json()["delivered"] is True, sent.text
    [request] = receiver.requests
    assert request.url.params["access_token"] == "0123456789abcdef"
    assert request.headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("url", "shown", "token"),
    [
        (
            "https://hooks.slack.com/services/T0A1B2C3D/B0E4F5G6H/XXXXSECRETxxxxSECRET1234",
            "https://hooks.slack.com/services/***/***/***",
            "XXXXSECRETxxxxSECRET1234",
        ),
        (
            "https://discord.com/api/webhooks/1234567890123456789/aBcD-eFgH_iJkL0123",
            "https://discord.com/api/webhooks/***/***",
            "aBcD-eFgH_iJkL0123",
        ),
        (
            "https://open.feishu.cn/open-apis/bot/v2/hook/2f3a9c1e-8b7d-4e6f-a5b4-c3d2e1f0a9b8",
            "https://open.feishu.cn/open-apis/bot/v2/hook/***",
            "2f3a9c1e-8b7d-4e6f-a5b4-c3d2e1f0a9b8",
        ),
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7a0c-4b2e-9d11",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***",
            "693a91f6-7a0c-4b2e-9d11",
        ),
    ],
    ids=["slack", "discord", "feishu", "wecom"],
)
def test_a_token_in_a_webhook_url_path_is_hidden_and_the_shown_url_changes_nothing(
    client: TestClient, bureau: dict[str, str], receiver: Receiver, url: str, shown: str, token: str
) -> None:
    """Slack, Discord and Feishu carry a robot's token as a path segment: it is read back
    as ``***`` like a query credential, and a client or form that sends back the URL it was
    shown (with another change) keeps the stored URL, so deliveries still reach the robot."""
    created = create(client, bureau, url=url)
    assert created["url"] == shown
    base = f"/api/v1/webhooks/{created['id']}"
    for answer in [
        client.get(base, headers=bureau),
        client.get("/api/v1/webhooks", headers=bureau),
    ]:
        assert answer.status_code == 200 and token not in answer.text
    resent = client.patch(base, json={"name": "duty robot", "url": shown}, headers=bureau)
    assert resent.status_code == 200, resent.text
    assert resent.json()["url"] == shown and resent.json()["name"] == "duty robot"
    sent = client.post(f"{base}/test", headers=bureau)
    assert sent.status_code == 200 and sent.json()["delivered"] is True, sent.text
    [request] = receiver.requests
    assert str(request.url) == url


def test_a_url_still_hiding_a_credential_is_refused_unless_it_is_the_shown_one(
    client: TestClient, bureau: dict[str, str], receiver: Receiver
) -> None:
    """Sending back a shown URL with an edit (a new host, another path) would store the
    literal ``***`` and break every delivery: it is a 422 naming ``url`` and nothing
    changes; registering a URL with ``***`` (copied from another webhook) is refused too.
    The shown URL with user, password and query hidden keeps them all."""
    url = "https://robot:p4ss-w0rd-1@hooks.example.org/robot/send?access_token=0123456789abcdef"
    created = create(client, bureau, url=url)
    base = f"/api/v1/webhooks/{created['id']}"
    edited = created["url"].replace("hooks.example.org", "chat.example.org")
    for response in [
        client.patch(base, json={"url": edited, "name": "renamed"}, headers=bureau),
        client.post("/api/v1/webhooks", json={"name": "copy", "url": edited}, headers=bureau),
    ]:
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert ["body", "url"] in [error["loc"] for error in response.json()["errors"]]
        assert "***" in response.json()["detail"]
    assert client.get(base, headers=bureau).json() == created
    assert client.get("/api/v1/webhooks", headers=bureau).json()["total"] == 1
    kept = client.patch(base, json={"url": created["url"]}, headers=bureau)
    assert kept.status_code == 200 and kept.json()["url"] == created["url"], kept.text
    client.post(f"{base}/test", headers=bureau)
    [request] = receiver.requests
    assert str(request.url) == url


@pytest.mark.parametrize(
    ("url", "shown", "token"),
    [
        (
            "https://hooks.example.org/robot/send?9f8e7d6c5b4a3210fedc",
            "https://hooks.example.org/robot/send?***",
            "9f8e7d6c5b4a3210fedc",
        ),
        (
            "https://hooks.example.org/robot/send?lang=zh&tok3n-9f8e7d6c5b4a",
            "https://hooks.example.org/robot/send?lang=***&***",
            "tok3n-9f8e7d6c5b4a",
        ),
        (
            "https://hooks.example.org/robot/send?9f8e7d6c5b4a3210fedc=",
            "https://hooks.example.org/robot/send?***",
            "9f8e7d6c5b4a3210fedc",
        ),
    ],
    ids=["bare-query", "bare-piece", "token-as-name"],
)
def test_a_token_standing_alone_in_a_webhook_query_is_hidden_too(
    client: TestClient, bureau: dict[str, str], receiver: Receiver, url: str, shown: str, token: str
) -> None:
    """A receiver whose token is the whole query (``?<token>``), a piece without ``=``, or a
    name that looks like a token read back with the token in the clear, because only query
    values were hidden: every bureau reader of the webhook list could post to that receiver
    as the service. Such a piece reads as ``***`` and the URL as shown still keeps it."""
    created = create(client, bureau, url=url)
    assert created["url"] == shown
    base = f"/api/v1/webhooks/{created['id']}"
    for answer in [
        client.get(base, headers=bureau),
        client.get("/api/v1/webhooks", headers=bureau),
        client.patch(base, json={"name": "duty robot", "url": shown}, headers=bureau),
    ]:
        assert answer.status_code == 200 and token not in answer.text, answer.text
    sent = client.post(f"{base}/test", headers=bureau)
    assert sent.status_code == 200 and sent.json()["delivered"] is True, sent.text
    [request] = receiver.requests
    assert str(request.url) == url


@pytest.mark.parametrize(
    "url", ["https://hooks.example.org:0/supply", "http://hooks.example.org:00/"]
)
def test_a_webhook_on_port_zero_is_refused_as_undeliverable(
    client: TestClient, bureau: dict[str, str], url: str
) -> None:
    """Port 0 passed the URL check (a number in range) though nothing can be posted to it:
    every delivery would fail, which the check exists to prevent. Registering it or changing
    a webhook to it is a 422 naming ``url``, and nothing changes."""
    response = client.post("/api/v1/webhooks", json={"name": "n", "url": url}, headers=bureau)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["loc"] for error in response.json()["errors"]] == [["body", "url"]]
    created = create(client, bureau)
    changed = client.patch(f"/api/v1/webhooks/{created['id']}", json={"url": url}, headers=bureau)
    assert changed.status_code == 422 and changed.json()["errors"][0]["loc"] == ["body", "url"]
    assert client.get("/api/v1/webhooks", headers=bureau).json()["items"] == [created]
