"""An applicant asking for its own pass PDF many times at once cannot stall the service.

Found on 2026-12-07: eighty parallel ``GET /api/v1/passes/{code}/pdf`` with one producer's
key drew the pass eighty times, each drawing (1-2 s) holding a database connection;
nineteen answered 500 (pool exhausted) and the bureau's pass list waited 53 s. A pass is
now drawn once and kept (keyed by everything it prints), the connection is given back
before drawing, at most the shelf's makers draw at once, and a caller holds one of its
long-work allowance while its PDF is made (a 429 past it). A real server on its own
SQLite file, so the requests really run side by side; the drawing is counted, not done.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.database import create_database_engine, create_session_factory, session_scope
from models import Role
from pass_office import printing
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.factories import make_key, make_region
from tests.pass_office.factories import vehicle_body
from tests.servers import running_server, send_at_once
from tests.supply_network.factories import make_producer

CROWD = 20


@dataclass(frozen=True)
class Office:
    url: str
    bureau: dict[str, str]
    farm: dict[str, str]
    district: str


class Drawings:
    """Stands in for the drawing of a pass: slow, counted, and says what it drew."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.drawn: list[str] = []
        self._guard = threading.Lock()

    def __call__(self, printed: printing.PrintedPass, **_: Any) -> bytes:
        time.sleep(self.pause)
        with self._guard:
            self.drawn.append(printed.code)
        return f"%PDF-1.4 {printed.code} {printed.token}".encode()


def _office(tmp_path: Path, **settings: Any) -> Iterator[Office]:
    url = f"sqlite:///{tmp_path / 'passes.db'}"
    upgrade_to_head(url)
    engine = create_database_engine(url)
    with session_scope(create_session_factory(engine)) as session:
        district = make_region(session, code="310115", name="Pudong")
        keys = {
            "bureau": make_key(session, Role.bureau),
            "farm": make_key(
                session,
                Role.producer,
                producer=make_producer(session, code="FARM-01", region=district),
            ),
        }
    engine.dispose()
    app_settings = Settings(
        database_url=url,
        log_json=False,
        log_level="WARNING",
        passes_signing_key_file=tmp_path / "signing.pem",
        **settings,
    )
    with running_server(app_settings) as server_url:
        yield Office(url=server_url, district="310115", **keys)


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    # an allowance larger than the crowd: what is measured is the shelf
    yield from _office(tmp_path, max_unfinished_jobs=CROWD * 2)


@pytest.fixture
def tight_office(tmp_path: Path) -> Iterator[Office]:
    yield from _office(tmp_path, max_unfinished_jobs=3)


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> Drawings:
    drawn = Drawings(pause=0.5)
    monkeypatch.setattr(printing, "printed_pass_pdf", drawn)
    return drawn


def _issued(office: Office) -> str:
    answer = httpx.post(
        f"{office.url}/api/v1/passes",
        json=vehicle_body(regions=[office.district], producer="FARM-01"),
        headers=office.bureau,
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    code: str = answer.json()["code"]
    return code


def _crowd(office: Office, code: str) -> list[httpx.Response]:
    url = f"{office.url}/api/v1/passes/{code}/pdf"
    return send_at_once([("GET", url, office.farm, None)] * CROWD)


def test_a_crowd_asking_for_one_pass_pdf_at_once_gets_it_drawn_once(
    office: Office, drawings: Drawings
) -> None:
    code = _issued(office)
    answers = _crowd(office, code)
    assert [answer.status_code for answer in answers] == [200] * CROWD, answers[0].text
    assert len({answer.content for answer in answers}) == 1
    assert drawings.drawn == [code]
    # kept: asked again later, it is not drawn again, and the bureau's list answers at once
    assert httpx.get(f"{office.url}/api/v1/passes/{code}/pdf", headers=office.farm).is_success
    assert drawings.drawn == [code]
    listed = httpx.get(f"{office.url}/api/v1/passes", headers=office.bureau, timeout=5)
    assert listed.status_code == 200


def test_a_revoked_pass_is_refused_not_served_from_the_shelf(
    office: Office, drawings: Drawings
) -> None:
    code = _issued(office)
    pdf = f"{office.url}/api/v1/passes/{code}/pdf"
    assert httpx.get(pdf, headers=office.farm, timeout=30).status_code == 200
    revoked = httpx.post(
        f"{office.url}/api/v1/passes/{code}/revoke",
        json={"reason": "truck sold"},
        headers=office.bureau,
        timeout=30,
    )
    assert revoked.status_code == 200, revoked.text
    refused = httpx.get(pdf, headers=office.farm, timeout=30)
    assert refused.status_code == 409, refused.text
    assert "revoked" in refused.json()["detail"]
    assert drawings.drawn == [code]


def test_two_passes_are_each_drawn_with_their_own_token(office: Office, drawings: Drawings) -> None:
    first, second = _issued(office), _issued(office)
    answers = [
        httpx.get(f"{office.url}/api/v1/passes/{code}/pdf", headers=office.farm, timeout=30)
        for code in (first, second, first)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert answers[0].content == answers[2].content != answers[1].content
    assert sorted(drawings.drawn) == sorted([first, second])


def test_one_caller_past_its_allowance_of_pdfs_at_once_hears_429(
    tight_office: Office, drawings: Drawings
) -> None:
    """Each PDF request holds a web thread while it waits for its drawing: one caller
    holds at most its long-work allowance of them, so it cannot take every thread."""
    code = _issued(tight_office)
    statuses = [answer.status_code for answer in _crowd(tight_office, code)]
    assert set(statuses) == {200, 429}, statuses
    assert statuses.count(429) >= CROWD // 2, statuses
    # the caller is served again once its requests are answered
    again = httpx.get(f"{tight_office.url}/api/v1/passes/{code}/pdf", headers=tight_office.farm)
    assert again.status_code == 200
