"""The checkpoint page for signed-in checkpoint staff: it names the checkpoint and its
region (what the browser verifies against), is theirs alone, and records the scans it
sends with the form's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import PassScan, Role
from tests.factories import make_enterprise, make_key, make_region
from tests.pass_office.factories import make_checkpoint, vehicle_body
from tests.service.web.helpers import make_person, sign_in


def test_checkpoint_staff_scan_on_their_page_and_no_one_else_sees_it(
    client: TestClient, session: Session
) -> None:
    region = make_region(session, code="410403")
    gate = make_checkpoint(session, code="G310-W", region=region)
    make_enterprise(session, code="LIANHUA")
    create_user(
        session,
        username="gate",
        password="gate-password",
        role=Role.checkpoint,
        checkpoint_id=gate.id,
    )
    bureau = make_key(session, Role.bureau)
    token = client.post(
        "/api/v1/passes",
        json=vehicle_body(regions=["410403"], enterprise="LIANHUA"),
        headers=bureau,
    ).json()["token"]

    make_person(session, "clerk", Role.dispatcher)
    sign_in(client, "clerk", "clerk-password")
    assert client.get("/checkpoint").status_code == 403
    client.cookies.clear()

    signed_in = sign_in(client, "gate", "gate-password")
    assert signed_in.headers["location"] == "/checkpoint"
    page = client.get("/checkpoint")
    assert page.status_code == 200
    assert 'data-region="410403"' in page.text and "G310-W" in page.text
    csrf_token = re.search(r'data-csrf="([^"]+)"', page.text)
    assert csrf_token is not None
    worker = client.get("/checkpoint/sw.js")
    assert "/static/vendor/cborg/cborg.js" in worker.text

    refused = client.post("/checkpoint/scans", json={"scans": [{"token": token}]})
    assert refused.status_code == 403
    recorded = client.post(
        "/checkpoint/scans",
        json={"scans": [{"token": token, "device_result": "valid"}]},
        headers={"X-CSRF-Token": csrf_token.group(1)},
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()[0]["result"] == "valid"
    scan = session.scalars(select(PassScan)).one()
    assert (scan.checkpoint_id, scan.device_result.value if scan.device_result else None) == (
        gate.id,
        "valid",
    )


def test_checkpoint_staff_find_their_page_in_the_menu_from_any_page(
    client: TestClient, session: Session
) -> None:
    """The menu named only the board and the bulletin: once there, the way back to the
    checkpoint was the brand name alone."""
    gate = make_checkpoint(session, code="G310-W", region=make_region(session, code="410403"))
    create_user(
        session,
        username="gate",
        password="gate-password",
        role=Role.checkpoint,
        checkpoint_id=gate.id,
    )
    sign_in(client, "gate", "gate-password")
    for page, current in (("/checkpoint", True), ("/board", False)):
        text = client.get(page, headers={"Accept-Language": "zh-CN"}).text
        nav = text[text.index("<nav") : text.index("</nav>")]
        link = re.search(r'<a href="/checkpoint"\s*(aria-current="page")?>检查站</a>', nav)
        assert link is not None, page
        assert bool(link.group(1)) is current, page
