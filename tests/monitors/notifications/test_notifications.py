"""Notifications: Alertmanager v4 bodies through an outbox, filtered, silenced, signed,
retried with backoff and delivered in order once a receiver is back (both databases)."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import (
    Alert,
    AlertRule,
    AlertStatus,
    DeliveryAttempt,
    DeliveryState,
    Notification,
    Product,
    Region,
    RegionLevel,
    Severity,
    Silence,
    Store,
    Webhook,
)
from monitors.notifications import outbox as notifications
from monitors.notifications.delivery import (
    NOTIFICATION_ID_HEADER,
    NotificationSendReport,
    backoff_delay,
    deliver_due_notifications,
)
from monitors.notifications.outbox import enqueue_notifications, requeue_failed_notifications
from monitors.notifications.payload import SIGNATURE_HEADER, ZERO_TIME, sign_body
from tests.factories import make_product, make_region, make_store
from tests.reports.test_upsert import counted_statements

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
EXTERNAL_URL = "https://supplywatch.example.org"


@dataclass
class City:
    city: Region
    xinhua: Region
    weidong: Region
    store: Store
    pork: Product


@pytest.fixture
def town(session: Session) -> City:
    city = make_region(session, code="410400", name="Pingdingshan", level=RegionLevel.city)
    xinhua = make_region(session, code="410402", name="Xinhua", parent=city)
    weidong = make_region(session, code="410403", name="Weidong", parent=city)
    store = make_store(session, code="PDS-0001", region=xinhua)
    return City(city, xinhua, weidong, store, make_product(session, code="pork"))


def make_alert(
    session: Session,
    town: City,
    *,
    rule: AlertRule = AlertRule.low_supply,
    severity: Severity = Severity.critical,
    scope: str = "district",
    district: Region | None = None,
    status: AlertStatus = AlertStatus.firing,
    fired_at: datetime = T0,
) -> Alert:
    """A stored alert on a store, a district or the city, for pork."""
    district = district or town.xinhua
    scope_id = {"store": town.store.id, "district": district.id, "city": town.city.id}[scope]
    alert = Alert(
        fingerprint=f"{rule.value}:{scope}:{scope_id}:{town.pork.id}",
        rule=rule,
        severity=severity,
        status=status,
        scope_level=scope,
        scope_id=scope_id,
        store_id=town.store.id if scope == "store" else None,
        district_id=None if scope == "city" else district.id,
        product_id=town.pork.id,
        category_id=town.pork.category_id,
        value=0.8,
        threshold=1.0,
        summary="Pork: 0.8 days of supply left",
        first_seen_at=fired_at,
        last_seen_at=fired_at,
        fired_at=fired_at,
        first_date=date(2026, 11, 22),
        last_date=date(2026, 11, 22),
    )
    session.add(alert)
    session.flush()
    return alert


def make_webhook(
    session: Session,
    *,
    name: str = "duty chat",
    url: str = "https://hooks.example.org/supply",
    min_severity: str = "warning",
    rules: list[str] | None = None,
    region: Region | None = None,
    secret: str | None = None,
    active: bool = True,
) -> Webhook:
    webhook = Webhook(
        name=name,
        url=url,
        min_severity=min_severity,
        rules=rules or [],
        region_id=region.id if region else None,
        secret=secret,
        active=active,
    )
    session.add(webhook)
    session.flush()
    return webhook


def resolve(session: Session, alert: Alert, at: datetime) -> None:
    alert.status = AlertStatus.resolved
    alert.resolved_at = at
    session.flush()


def enqueue(session: Session, changes: list[tuple[int, str]], now: datetime = T0) -> int:
    return enqueue_notifications(session, changes=changes, now=now, external_url=EXTERNAL_URL)


def outbox(session: Session) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).order_by(Notification.id).execution_options(populate_existing=True)
        )
    )


class Receiver:
    """A fake webhook receiver: answers 200, or fails the way real receivers do."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.seen: list[httpx.Request] = []
        self.accepted: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.mode == "error":
            return httpx.Response(500, text="down for maintenance")
        if self.mode == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if self.mode == "unreachable":
            raise httpx.ConnectError("connection refused", request=request)
        self.accepted.append(request)
        return httpx.Response(200, json={"status": "ok"})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    def accepted_ids(self) -> list[int]:
        return [int(request.headers[NOTIFICATION_ID_HEADER]) for request in self.accepted]


@dataclass
class Clock:
    """An injectable ``now`` that moves only when told to."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


def deliver(
    factory: sessionmaker[Session], receiver: Receiver, clock: Clock, **options: Any
) -> NotificationSendReport:
    options.setdefault("jitter", 0.0)
    with receiver.client() as client:
        return deliver_due_notifications(factory, client=client, now=clock, **options)


# --- what is queued -------------------------------------------------------------------


def test_a_firing_alert_is_queued_in_the_exact_alertmanager_v4_shape(
    session: Session, town: City
) -> None:
    webhook = make_webhook(session, name="duty chat")
    alert = make_alert(session, town)
    assert enqueue(session, [(alert.id, "firing")]) == 1
    [notification] = outbox(session)
    assert (notification.webhook_id, notification.alert_id) == (webhook.id, alert.id)
    assert (notification.alert_status, notification.state) == ("firing", DeliveryState.pending)
    assert (notification.attempts, notification.next_attempt_at) == (0, T0)
    labels = {
        "alertname": "low_supply",
        "rule": "low_supply",
        "severity": "critical",
        "scope": "district",
        "district": "410402",
        "product": "pork",
        "category": "meat",
    }
    annotations = {
        "summary": "Pork: 0.8 days of supply left",
        "value": "0.8",
        "threshold": "1",
        "description": "low_supply (critical) for district 410402, pork: 0.8 against "
        "threshold 1; business days 2026-11-22 to 2026-11-22.",
    }
    assert notification.payload == {
        "version": "4",
        "groupKey": '{}:{category="meat",district="410402"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "duty chat",
        "groupLabels": {"district": "410402", "category": "meat"},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": EXTERNAL_URL,
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": annotations,
                "startsAt": "2026-11-23T02:00:00Z",
                "endsAt": ZERO_TIME,
                "generatorURL": f"{EXTERNAL_URL}/api/v1/alerts/{alert.id}",
                "fingerprint": alert.fingerprint,
            }
        ],
    }


def test_a_resolved_alert_says_when_it_ended_under_the_same_group_key(
    session: Session, town: City
) -> None:
    make_webhook(session)
    alert = make_alert(session, town, scope="store")
    enqueue(session, [(alert.id, "firing")])
    resolve(session, alert, T0 + timedelta(hours=5, microseconds=250))
    assert enqueue(session, [(alert.id, "resolved")], now=T0 + timedelta(hours=5)) == 1
    firing, resolved = (n.payload for n in outbox(session))
    assert resolved["status"] == resolved["alerts"][0]["status"] == "resolved"
    assert resolved["alerts"][0]["endsAt"] == "2026-11-23T07:00:00.000250Z"
    assert resolved["alerts"][0]["startsAt"] == "2026-11-23T02:00:00Z"
    assert resolved["groupKey"] == firing["groupKey"]
    assert resolved["alerts"][0]["labels"]["store"] == "PDS-0001"


def test_webhook_filters_on_minimum_severity_rules_and_region(session: Session, town: City) -> None:
    hooks = {
        "all": make_webhook(session, name="all"),
        "critical": make_webhook(session, name="critical", min_severity="critical"),
        "stockouts": make_webhook(session, name="stockouts", rules=["stockout", "price_spike"]),
        "xinhua": make_webhook(session, name="xinhua", region=town.xinhua),
        "weidong": make_webhook(session, name="weidong", region=town.weidong),
        "city": make_webhook(session, name="city", region=town.city),
        "off": make_webhook(session, name="off", active=False),
    }
    alerts = {
        "xinhua warning": make_alert(session, town, severity=Severity.warning),
        "store stockout": make_alert(session, town, rule=AlertRule.stockout, scope="store"),
        "city critical": make_alert(session, town, scope="city"),
        "weidong spike": make_alert(
            session,
            town,
            rule=AlertRule.price_spike,
            severity=Severity.warning,
            district=town.weidong,
        ),
    }
    queued = enqueue(session, [(alert.id, "firing") for alert in alerts.values()])
    names = {hook.id: name for name, hook in hooks.items()}
    labels = {alert.id: name for name, alert in alerts.items()}
    got = {(names[n.webhook_id], labels[n.alert_id]) for n in outbox(session)}
    assert got == {
        ("all", "xinhua warning"),
        ("all", "store stockout"),
        ("all", "city critical"),
        ("all", "weidong spike"),
        ("critical", "store stockout"),
        ("critical", "city critical"),
        ("stockouts", "store stockout"),
        ("stockouts", "weidong spike"),
        ("xinhua", "xinhua warning"),
        ("xinhua", "store stockout"),
        ("weidong", "weidong spike"),
        ("city", "city critical"),
    }
    assert queued == len(got)


def test_an_escalation_reaches_a_critical_only_receiver_and_its_resolution_follows(
    session: Session, town: City
) -> None:
    critical = make_webhook(session, name="pager", min_severity="critical")
    alert = make_alert(session, town, severity=Severity.warning)
    assert enqueue(session, [(alert.id, "firing")]) == 0
    alert.severity = Severity.critical
    session.flush()
    assert enqueue(session, [(alert.id, "firing")], now=T0 + timedelta(days=1)) == 1
    resolve(session, alert, T0 + timedelta(days=2))
    assert enqueue(session, [(alert.id, "resolved")], now=T0 + timedelta(days=2)) == 1
    assert [(n.webhook_id, n.alert_status) for n in outbox(session)] == [
        (critical.id, "firing"),
        (critical.id, "resolved"),
    ]


def test_a_silenced_alert_is_not_sent_but_one_that_fired_before_the_silence_resolves(
    session: Session, town: City
) -> None:
    webhook = make_webhook(session)
    told = make_alert(session, town)
    assert enqueue(session, [(told.id, "firing")]) == 1
    session.add(
        Silence(
            matchers={"product": "pork", "region": "410402"},
            starts_at=T0 + timedelta(hours=1),
            ends_at=T0 + timedelta(days=1),
            comment="restock on its way",
            created_by="key:1:bureau",
        )
    )
    later_webhook = make_webhook(session, name="added later")
    muted = make_alert(session, town, scope="store", fired_at=T0 + timedelta(hours=2))
    at = T0 + timedelta(hours=3)
    assert enqueue(session, [(muted.id, "firing")], now=at) == 0
    resolve(session, told, at)
    resolve(session, muted, at)
    queued = enqueue(session, [(told.id, "resolved"), (muted.id, "resolved")], now=at)
    assert queued == 1
    assert [(n.webhook_id, n.alert_id, n.alert_status) for n in outbox(session)] == [
        (webhook.id, told.id, "firing"),
        (webhook.id, told.id, "resolved"),
    ]
    assert later_webhook.id not in {n.webhook_id for n in outbox(session)}
    # Said once: the same resolution reported again queues nothing more.
    assert enqueue(session, [(told.id, "resolved")], now=at) == 0


def test_unknown_change_kinds_are_refused(session: Session, town: City) -> None:
    alert = make_alert(session, town)
    with pytest.raises(ValueError, match="acknowledged"):
        enqueue(session, [(alert.id, "acknowledged")])


def test_queueing_is_set_based_whatever_the_number_of_alerts_and_webhooks(
    session: Session, town: City
) -> None:
    # The label look-ups depend on the mix of scopes, so both runs have the same mix.
    scopes = ("store", "city", "district")
    make_webhook(session, name="first")
    few_alerts = [make_alert(session, town, scope=scope) for scope in scopes]
    with counted_statements(session) as few:
        assert enqueue(session, [(alert.id, "firing") for alert in few_alerts]) == 3
    for index in range(3):
        make_webhook(session, name=f"more {index}")
    alerts = [make_alert(session, town, scope=scope) for scope in scopes * 3]
    with counted_statements(session) as many:
        assert enqueue(session, [(alert.id, "firing") for alert in alerts]) == 36
    assert len(many) == len(few)


# --- delivery -------------------------------------------------------------------------


def test_the_body_is_signed_so_the_receiver_can_verify_it(
    session: Session,
    session_factory: sessionmaker[Session],
    town: City,
    receiver: Receiver,
) -> None:
    secret = "s3cret-shared-with-the-chat-bridge"
    signed = make_webhook(session, name="signed", secret=secret)
    plain = make_webhook(session, name="plain")
    alert = make_alert(session, town)
    enqueue(session, [(alert.id, "firing")])
    report = deliver(session_factory, receiver, Clock(T0))
    assert (report.attempted, report.delivered) == (2, 2)
    by_receiver = {json.loads(r.content)["receiver"]: r for r in receiver.accepted}
    request = by_receiver["signed"]
    expected = hmac.new(secret.encode(), request.content, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == f"sha256={expected}"
    assert sign_body(secret, request.content) == expected
    assert request.headers["Content-Type"] == "application/json"
    assert SIGNATURE_HEADER not in by_receiver["plain"].headers
    stored = {n.webhook_id: n for n in outbox(session)}
    assert json.loads(request.content) == stored[signed.id].payload
    assert stored[plain.id].state is DeliveryState.delivered
    assert stored[plain.id].delivered_at == T0
    [attempt] = session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.notification_id == stored[plain.id].id)
    )
    assert attempt.status_code == 200 and attempt.error is None
    assert attempt.duration_ms is not None and attempt.duration_ms >= 0


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("error", "HTTP 500"),
        ("timeout", "ReadTimeout"),
        ("unreachable", "ConnectError"),
    ],
)
def test_a_receiver_that_is_down_is_retried_with_backoff_and_then_gets_everything_in_order(
    session: Session,
    session_factory: sessionmaker[Session],
    town: City,
    receiver: Receiver,
    mode: str,
    error: str,
) -> None:
    make_webhook(session)
    first = make_alert(session, town)
    enqueue(session, [(first.id, "firing")])
    clock = Clock(T0)
    receiver.mode = mode

    report = deliver(session_factory, receiver, clock)
    assert (report.attempted, report.retried, report.delivered) == (1, 1, 0)
    [head] = outbox(session)
    assert (head.attempts, head.state, head.last_error) == (1, DeliveryState.pending, error)
    assert head.next_attempt_at == T0 + timedelta(seconds=30)

    # While the head waits for its retry, newer notifications wait behind it.
    second = make_alert(session, town, scope="city")
    clock.advance(10)
    resolve(session, first, clock.now)
    enqueue(session, [(second.id, "firing"), (first.id, "resolved")], now=clock.now)
    assert deliver(session_factory, receiver, clock).attempted == 0

    clock.advance(20)  # T0 + 30 s: the head is due again; it fails, the rest stay queued
    assert deliver(session_factory, receiver, clock).attempted == 1
    clock.advance(60)  # T0 + 90 s
    assert deliver(session_factory, receiver, clock).attempted == 1
    head = outbox(session)[0]
    assert head.attempts == 3
    assert head.next_attempt_at == T0 + timedelta(seconds=90 + 120)
    attempts = list(
        session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.notification_id == head.id)
            .order_by(DeliveryAttempt.id)
        )
    )
    assert [a.at for a in attempts] == [T0 + timedelta(seconds=s) for s in (0, 30, 90)]
    assert {(a.status_code, a.error) for a in attempts} == {
        (500 if mode == "error" else None, error)
    }
    assert len(receiver.seen) == 3 and receiver.accepted == []

    receiver.mode = "ok"
    clock.advance(120)
    report = deliver(session_factory, receiver, clock)
    assert (report.attempted, report.delivered) == (3, 3)
    queued = outbox(session)
    assert receiver.accepted_ids() == [n.id for n in queued]
    assert [(n.alert_id, n.alert_status) for n in queued] == [
        (first.id, "firing"),
        (second.id, "firing"),
        (first.id, "resolved"),
    ]
    assert {n.state for n in queued} == {DeliveryState.delivered}
    clock.advance(3600)
    assert deliver(session_factory, receiver, clock).attempted == 0
    assert len(receiver.accepted) == 3


def test_backoff_doubles_up_to_the_cap_and_jitter_stays_within_ten_percent() -> None:
    delays = [
        backoff_delay(attempts=n, base_delay_s=30, max_delay_s=3600).total_seconds()
        for n in range(1, 10)
    ]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    rng = random.Random(7)
    spread = [
        backoff_delay(attempts=1, base_delay_s=30, max_delay_s=3600, jitter=0.1, rng=rng)
        for _ in range(50)
    ]
    assert all(27 <= d.total_seconds() <= 33 for d in spread)
    assert len({d.total_seconds() for d in spread}) > 1


def test_delivery_gives_up_after_max_attempts_and_an_operator_can_requeue(
    session: Session,
    session_factory: sessionmaker[Session],
    town: City,
    receiver: Receiver,
) -> None:
    webhook = make_webhook(session)
    alert = make_alert(session, town)
    enqueue(session, [(alert.id, "firing")])
    receiver.mode = "error"
    clock = Clock(T0)
    reports = []
    for _ in range(4):
        reports.append(deliver(session_factory, receiver, clock, max_attempts=3))
        clock.advance(10_000)
    assert [(r.attempted, r.retried, r.failed) for r in reports] == [
        (1, 1, 0),
        (1, 1, 0),
        (1, 0, 1),
        (0, 0, 0),
    ]
    [notification] = outbox(session)
    assert (notification.state, notification.attempts) == (DeliveryState.failed, 3)
    assert notification.last_error == "HTTP 500"

    receiver.mode = "ok"
    assert requeue_failed_notifications(session, webhook_id=webhook.id, now=clock.now) == 1
    assert deliver(session_factory, receiver, clock).delivered == 1
    assert outbox(session)[0].state is DeliveryState.delivered


def test_one_receiver_down_does_not_hold_up_the_others(
    session: Session,
    session_factory: sessionmaker[Session],
    town: City,
) -> None:
    down = make_webhook(session, name="down", url="https://down.example.org/hook")
    up = make_webhook(session, name="up", url="https://up.example.org/hook")
    for scope in ("district", "store"):
        enqueue(session, [(make_alert(session, town, scope=scope).id, "firing")])
    delivered: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "down.example.org":
            raise RuntimeError("receiver exploded")
        delivered.append(str(request.url))
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(handle)) as client:
        report = deliver_due_notifications(
            session_factory, client=client, now=Clock(T0), jitter=0.0
        )
    assert (report.attempted, report.delivered, report.retried) == (3, 2, 1)
    assert delivered == ["https://up.example.org/hook"] * 2
    states = [(n.webhook_id, n.state, n.attempts, n.last_error) for n in outbox(session)]
    assert states == [
        (down.id, DeliveryState.pending, 1, "RuntimeError"),
        (up.id, DeliveryState.delivered, 1, None),
        (down.id, DeliveryState.pending, 0, None),
        (up.id, DeliveryState.delivered, 1, None),
    ]


def test_a_second_worker_does_not_send_what_the_first_is_sending(
    session: Session,
    session_factory: sessionmaker[Session],
    town: City,
) -> None:
    make_webhook(session)
    enqueue(session, [(make_alert(session, town).id, "firing")])
    clock = Clock(T0)
    reports = []

    def handle(request: httpx.Request) -> httpx.Response:
        # While this POST is in flight (no transaction open), another worker runs.
        with httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(200))) as other:
            reports.append(deliver_due_notifications(session_factory, client=other, now=clock))
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handle)) as client:
        first = deliver_due_notifications(session_factory, client=client, now=clock)
    assert first.delivered == 1
    assert reports[0].attempted == 0
    assert len(session.scalars(select(DeliveryAttempt)).all()) == 1


def test_large_runs_are_queued_in_chunks_with_the_same_result(
    session: Session, town: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notifications, "_CHUNK", 2)
    hooks = [make_webhook(session, name=name) for name in ("a", "b")]
    alerts = [make_alert(session, town, scope=scope) for scope in ("store", "city") * 3]
    for alert in alerts[:2]:
        resolve(session, alert, T0)
    earlier = [(alert.id, "firing") for alert in alerts[:2]]
    assert enqueue(session, earlier) == 4
    changes = [(alert.id, "resolved") for alert in alerts[:2]]
    changes += [(alert.id, "firing") for alert in alerts[2:]]
    assert enqueue(session, changes) == 12
    queued = {(n.webhook_id, n.alert_id, n.alert_status) for n in outbox(session)}
    assert queued == {
        (hook.id, alert.id, status)
        for hook in hooks
        for index, alert in enumerate(alerts)
        for status in (("firing", "resolved") if index < 2 else ("firing",))
    }


def test_alerts_of_one_situation_go_as_one_message(session: Session, town: City) -> None:
    make_webhook(session)
    district = make_alert(session, town)
    store = make_alert(session, town, rule=AlertRule.stockout, scope="store")
    other = make_alert(session, town, district=town.weidong)
    assert enqueue(session, [(a.id, "firing") for a in (district, store, other)]) == 3
    rows = outbox(session)
    assert [(row.alert_id, row.state) for row in rows] == [
        (district.id, DeliveryState.pending),
        (store.id, DeliveryState.grouped),
        (other.id, DeliveryState.pending),
    ]
    xinhua = rows[0].payload
    assert xinhua["groupLabels"] == {"district": "410402", "category": "meat"}
    assert [alert["labels"]["rule"] for alert in xinhua["alerts"]] == ["low_supply", "stockout"]
    assert xinhua["commonLabels"] == {
        "severity": "critical",
        "district": "410402",
        "product": "pork",
        "category": "meat",
    }
    assert rows[1].payload == {"groupKey": xinhua["groupKey"]}
    assert len(rows[2].payload["alerts"]) == 1

    for alert in (district, store):
        resolve(session, alert, T0 + timedelta(hours=2))
    enqueue(session, [(district.id, "resolved"), (store.id, "resolved")], T0 + timedelta(hours=2))
    resolved = [row for row in outbox(session) if row.alert_status == "resolved"]
    assert [row.state for row in resolved] == [DeliveryState.pending, DeliveryState.grouped]
    assert resolved[0].payload["groupKey"] == xinhua["groupKey"]
    assert {alert["status"] for alert in resolved[0].payload["alerts"]} == {"resolved"}


def test_a_webhook_groups_by_its_own_labels_or_sends_each_alert_alone(
    session: Session, town: City
) -> None:
    by_product = make_webhook(session, name="pork desk")
    by_product.group_by = ["product"]
    one_by_one = make_webhook(session, name="pager")
    one_by_one.group_by = []
    alerts = [
        make_alert(session, town),
        make_alert(session, town, rule=AlertRule.stockout, scope="store"),
        make_alert(session, town, district=town.weidong),
    ]
    enqueue(session, [(alert.id, "firing") for alert in alerts])
    sent = [row for row in outbox(session) if row.state is DeliveryState.pending]
    pork = [row.payload for row in sent if row.webhook_id == by_product.id]
    assert len(pork) == 1 and len(pork[0]["alerts"]) == 3
    assert pork[0]["groupKey"] == '{}:{product="pork"}'
    alone = [row.payload for row in sent if row.webhook_id == one_by_one.id]
    assert [payload["groupKey"] for payload in alone] == [
        f'{{}}:{{fingerprint="{alert.fingerprint}"}}' for alert in alerts
    ]
