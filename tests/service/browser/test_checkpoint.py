"""The checkpoint page in a real browser (Chromium, SQLite, the demo city): staff at
checkpoint G310-W load the page once, lose the network, and still see a valid pass
green, a pass revoked before the last sync red, and a tampered code red; the scans made
offline are uploaded when the network returns, by the person who made them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from accounts.authentication import create_user
from core.database import create_database_engine, create_session_factory
from models import Checkpoint, PassScan, PassStatus, Region, Role, TransportPass
from tests.service.browser.conftest import PHONE, LiveServer, wait_until


def _tokens(live_server: LiveServer) -> tuple[str, str, int]:
    """A valid vehicle pass for the checkpoint's region, a revoked one, and the scans so far."""
    engine = create_database_engine(live_server.settings.database_url)
    with create_session_factory(engine)() as session:
        region = session.scalar(
            select(Region.code)
            .join(Checkpoint, Checkpoint.region_id == Region.id)
            .where(Checkpoint.code == "G310-W")
        )
        passes = session.scalars(
            select(TransportPass).where(TransportPass.plate.is_not(None)).order_by(TransportPass.id)
        ).all()
        valid = next(p for p in passes if p.status is PassStatus.approved and region in p.regions)
        revoked = next(p for p in passes if p.status is PassStatus.revoked)
        scans = int(session.scalar(select(func.count()).select_from(PassScan)) or 0)
        result = (str(valid.token), str(revoked.token), scans)
    engine.dispose()
    return result


def _check(page: Any, token: str) -> str:
    page.fill("#token", token)
    page.get_by_role("button", name="Check").click()
    wait_until(page, "(token) => document.getElementById('verdict').dataset.token === token", token)
    status: str = page.get_attribute("#verdict", "data-status") or ""
    return status


def test_the_checkpoint_verifies_passes_with_the_network_off(
    open_page: Any, live_server: LiveServer, screenshots: Path
) -> None:
    valid, revoked, scans_before = _tokens(live_server)
    page = open_page("checkpoint", PHONE)
    assert page.url.endswith("/checkpoint")
    page.wait_for_selector("#checkpoint[data-ready='1']")
    wait_until(page, "() => navigator.serviceWorker.controller !== null")
    page.reload()  # now under the service worker, which keeps the page and its files
    page.wait_for_selector("#checkpoint[data-ready='1']")
    assert "Revocation list version" in page.inner_text("#trust")

    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#checkpoint[data-ready='1']")
    assert "Revocation list version" in page.inner_text("#trust")
    assert _check(page, valid) == "valid"
    assert "Valid" in page.inner_text("#verdict")
    # valid until a day and a time to the minute, not to the second
    until = page.inner_text("#verdict-validity")
    assert re.search(r"\d{2}:\d{2}$", until) and not re.search(r"\d{2}:\d{2}:\d{2}", until), until
    page.screenshot(path=str(screenshots / "checkpoint-valid-offline.png"))
    assert _check(page, revoked) == "revoked"
    tampered = valid[:-6] + ("A" if valid[-6] != "A" else "B") + valid[-5:]
    assert _check(page, tampered) in ("forged", "damaged")
    page.screenshot(path=str(screenshots / "checkpoint-tampered-offline.png"))
    assert "3 scan(s) waiting" in page.inner_text("#queue")

    page.context.set_offline(False)
    wait_until(page, "() => document.getElementById('queue').textContent === ''")
    assert _tokens(live_server)[2] == scans_before + 3


def _sign_in(page: Any, live_server: LiveServer, username: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", f"{username}-demo")
    page.locator("#password").press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(live_server.url + "/checkpoint")
    page.wait_for_selector("#checkpoint[data-ready='1']")


def _scans_at(live_server: LiveServer) -> list[tuple[str, str]]:
    """Every scan recorded so far: (its checkpoint, who recorded it)."""
    engine = create_database_engine(live_server.settings.database_url)
    with create_session_factory(engine)() as session:
        rows = session.execute(
            select(Checkpoint.code, PassScan.recorded_by)
            .join(Checkpoint, Checkpoint.id == PassScan.checkpoint_id)
            .order_by(PassScan.id)
        ).all()
    engine.dispose()
    return [(code, who) for code, who in rows]


def test_scans_made_offline_are_never_uploaded_by_the_next_person_at_their_checkpoint(
    open_page: Any, live_server: LiveServer
) -> None:
    """Wang scans a pass at G310-W with the network off and his session ends; Li signs in
    on the same phone for another checkpoint. Li's page says a scan of another sign-in is
    waiting and uploads nothing; when Wang signs in again, the scan is recorded at G310-W
    as his."""
    engine = create_database_engine(live_server.settings.database_url)
    with create_session_factory(engine)() as session:
        gate = session.scalars(select(Checkpoint).where(Checkpoint.code == "G310-W")).one()
        other = Checkpoint(code="S88-E", name="S88 east toll gate", region_id=gate.region_id)
        session.add(other)
        session.flush()
        create_user(
            session,
            username="checkpoint-li",
            password="checkpoint-li-demo",
            role=Role.checkpoint,
            checkpoint_id=other.id,
        )
        session.commit()
    engine.dispose()
    valid, _, _ = _tokens(live_server)
    before = _scans_at(live_server)
    page = open_page("checkpoint", PHONE)
    page.wait_for_selector("#checkpoint[data-ready='1']")
    wait_until(page, "() => navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    assert _check(page, valid) == "valid"
    assert "1 scan(s) waiting" in page.inner_text("#queue")
    page.context.clear_cookies()  # his session ends before the network returns
    page.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_until(page, "() => document.getElementById('queue').textContent !== ''")

    _sign_in(page, live_server, "checkpoint-li")
    assert "1 scan(s) made by another sign-in" in page.inner_text("#queue")
    assert _scans_at(live_server) == before

    _sign_in(page, live_server, "checkpoint")
    wait_until(page, "() => document.getElementById('queue').textContent === ''")
    [(checkpoint, recorded_by)] = _scans_at(live_server)[len(before) :]
    assert checkpoint == "G310-W" and recorded_by.endswith(":checkpoint"), recorded_by


def test_checking_an_empty_code_asks_for_one_and_judges_nothing(
    open_page: Any, live_server: LiveServer
) -> None:
    """Pressing Check with nothing typed showed a red "forged or damaged" verdict (and
    recorded that scan); the field now asks for a code first."""
    _valid, _revoked, scans_before = _tokens(live_server)
    page = open_page("checkpoint", PHONE, locale="zh-CN")
    page.wait_for_selector("#checkpoint[data-ready='1']")
    page.get_by_role("button", name="核验").click()
    page.wait_for_timeout(500)
    assert page.locator("#verdict").is_hidden()
    assert page.evaluate("() => document.getElementById('token').validity.valueMissing")
    assert _tokens(live_server)[2] == scans_before
