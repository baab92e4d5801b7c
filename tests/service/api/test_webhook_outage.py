"""A webhook receiver that is down for ten minutes while monitor runs raise and resolve
alerts gets every notification afterwards, each once, in the order they were queued.

The receiver is a real HTTP server on a local address; stopping it makes the port refuse
connections, as a crashed chat bridge does. The ten minutes pass on the outbox's retry
clock (an injected ``now``), not in a sleep.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import DeliveryState, Notification, RegionLevel, Role
from models.base import utc_now
from monitors.notifications.delivery import (
    NOTIFICATION_ID_HEADER,
    default_client,
    deliver_due_notifications,
)
from monitors.notifications.receivers import ReceiverPolicy
from service.settings import Settings
from tests.factories import business_today, make_key, make_product, make_region, make_store
from tests.monitors.running.test_runs import history

OUTAGE = timedelta(minutes=10)
DELIVERY_EVERY = timedelta(minutes=1)
"""How often the scheduler's delivery pass runs."""


@dataclass
class Receiver:
    """A local HTTP receiver that can be stopped (the port then refuses) and started
    again on the same port; it keeps every notification it accepted."""

    host: str = "127.0.0.1"
    port: int = 0
    received: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((int(self.headers[NOTIFICATION_ID_HEADER]), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads what was received, not a log."""

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/alerts"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """The receiver on a loopback address. When the webhook SSRF guard lands, its
    allow-list setting must name this address for the registration below to pass."""
    started = Receiver()
    started.start()
    yield started
    if started.server is not None:
        started.stop()


@dataclass
class Clock:
    """The outbox's ``now``: starts at the real time and moves only when told to."""

    now: datetime = field(default_factory=utc_now)

    def __call__(self) -> datetime:
        return self.now


LOOPBACK = ["127.0.0.0/8"]
"""The receiver lives on this machine: the webhook allow-list names it."""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The deployment allows receivers on this machine (private addresses are refused
    otherwise)."""
    return settings.model_copy(update={"webhook_allowed_networks": LOOPBACK})


def deliver(factory: sessionmaker[Session], clock: Clock) -> int:
    """One delivery pass of the scheduler at the clock's time; how many posts it tried."""
    with default_client(ReceiverPolicy.allowing(LOOPBACK)) as client:
        return deliver_due_notifications(factory, client=client, now=clock, jitter=0.0).attempted


def outbox(session: Session) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).order_by(Notification.id).execution_options(populate_existing=True)
        )
    )


def test_a_receiver_down_for_ten_minutes_gets_every_notification_afterwards_in_order(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    receiver: Receiver,
) -> None:
    city = make_region(session, code="CITY", level=RegionLevel.city)
    district = make_region(session, code="EAST", level=RegionLevel.district, parent=city)
    store = make_store(session, code="EAST-01", region=district)
    products = [make_product(session, code=code) for code in ("pork", "beef", "mutton")]
    day = business_today() - timedelta(days=1)
    for product in products:
        history(session, store, product.id, [(100, 10)] * 7, last=day - timedelta(days=1))
    bureau = make_key(session, Role.bureau)
    session.commit()

    created = client.post(
        "/api/v1/webhooks",
        # One message per alert, so every notification of the outage is counted on its own.
        json={"name": "duty chat", "url": receiver.url, "group_by": []},
        headers=bureau,
    )
    assert created.status_code == 201, created.text
    clock = Clock()
    receiver.stop()

    def report_and_run(out_of_stock: set[str]) -> list[Notification]:
        """The store reports the day (stock 0 where it ran out), the monitor runs, and the
        delivery pass, every minute while the receiver is down, finds it refusing."""
        lines = [
            {"product": p.code, "stock": 0 if p.code in out_of_stock else 90, "sales": 10,
             "price": 10}
            for p in products
        ]  # fmt: skip
        path = f"/api/v1/stores/{store.code}/reports/{day}"
        assert client.put(path, json={"lines": lines}, headers=bureau).status_code in (200, 201)
        run = client.post("/api/v1/monitor/runs", json={"date": str(day)}, headers=bureau)
        assert run.status_code == 201 and run.json()["status"] == "succeeded", run.text
        deliver(session_factory, clock)
        clock.now += DELIVERY_EVERY
        return outbox(session)

    queued = report_and_run({"pork"})
    assert queued, "the first stock-out queued no notification"
    for out_of_stock in ({"pork", "beef"}, {"beef", "mutton"}, {"mutton"}):
        before = len(queued)
        queued = report_and_run(out_of_stock)
        assert len(queued) > before, f"a run with {out_of_stock} out queued nothing new"
    statuses = {(n.alert_id, n.alert_status) for n in queued}
    assert any(status == "resolved" for _, status in statuses), "nothing resolved meanwhile"
    while clock.now - queued[0].created_at < OUTAGE:
        deliver(session_factory, clock)
        clock.now += DELIVERY_EVERY
    queued = outbox(session)
    assert receiver.received == []
    assert {n.state for n in queued} == {DeliveryState.pending}
    head = queued[0]  # retried with backoff; the others wait behind it, in order
    assert head.attempts >= 4 and "Connect" in (head.last_error or ""), head.last_error

    receiver.start()  # back, on the same address
    for _ in range(120):  # delivery passes, a minute apart, until the outbox is empty
        if all(n.state is DeliveryState.delivered for n in outbox(session)):
            break
        deliver(session_factory, clock)
        clock.now += DELIVERY_EVERY
    queued = outbox(session)
    assert {n.state for n in queued} == {DeliveryState.delivered}
    assert [notification_id for notification_id, _ in receiver.received] == [n.id for n in queued]
    assert [body for _, body in receiver.received] == [n.payload for n in queued]
    assert clock.now - queued[0].created_at < OUTAGE + timedelta(hours=1)
