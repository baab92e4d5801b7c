"""A driver on a phone marks a stop not delivered, and the dispatcher finds the request
back in the open queue with the driver's reason (Chromium, against the demo city)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select

from core.database import create_database_engine, create_session_factory, session_scope
from models import Truck, User
from tests.demo_city import commit_one_stop
from tests.service.browser.conftest import DESKTOP, PHONE, LiveServer

REASON = "Gate sealed by the residents' committee"


def _a_stop_on_the_drivers_truck(live_server: LiveServer) -> tuple[int, int, str]:
    """A new request planned alone on the demo driver's truck and committed: its
    delivery id, request id and compound code."""
    settings = live_server.settings
    engine = create_database_engine(settings.database_url)
    with session_scope(create_session_factory(engine)) as session:
        driver = session.scalars(select(User).where(User.username == "driver")).one()
        usual = session.get_one(Truck, driver.truck_id)
        # Other stories on this server may have put the driver's truck on a route today,
        # and a truck is not booked on two committed routes of a day: the driver takes a
        # spare truck from the same depot for this stop.
        spare = Truck(
            plate=f"SPARE-{secrets.token_hex(3)}",
            capacity_kg=usual.capacity_kg,
            depot_id=usual.depot_id,
            shift_start=usual.shift_start,
            shift_end=usual.shift_end,
        )
        session.add(spare)
        session.flush()
        driver.truck_id = spare.id
        stop = commit_one_stop(session, settings, plate=spare.plate)
    engine.dispose()
    return stop.delivery_id, stop.request_id, stop.compound


def test_a_stop_not_delivered_goes_back_to_the_dispatchers_open_queue_with_its_reason(
    open_page: Any, live_server: LiveServer
) -> None:
    delivery_id, request_id, compound = _a_stop_on_the_drivers_truck(live_server)

    driver = open_page("driver", PHONE)
    stop = driver.locator(f"#delivery-{delivery_id}")
    stop.get_by_text("Could not deliver").click()
    stop.get_by_label("Why").fill(REASON)
    stop.get_by_role("button", name="Not delivered").click()
    stop = driver.locator(f"#delivery-{delivery_id}")
    stop.locator(".failure-reason").wait_for()
    assert stop.locator(".delivery-status").text_content() == "failed"
    assert REASON in (stop.locator(".failure-reason").text_content() or "")
    assert driver.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    dispatcher = open_page("dispatcher", DESKTOP)
    row = dispatcher.locator(f"#open-requests #request-{request_id}")
    assert row.count() == 1
    text = row.text_content() or ""
    assert f"({compound})" in text
    assert f"returned after a failed delivery: {REASON}" in text
