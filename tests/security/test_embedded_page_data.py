"""Data a page embeds for its scripts (``<script type="application/json">``) cannot change
how the browser parses the page. Escaping ``</`` is not enough: a name holding ``<!--``
and ``<script`` puts the HTML parser into the script's "double escaped" state, where the
block's own ``</script>`` no longer ends it, and the block swallows the page up to the
next script tag (the map's data stops being JSON, the page's scripts never load)."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import Role
from tests.factories import make_key
from tests.service.web.helpers import make_person, sign_in
from tests.supply_network.factories import make_district, make_producer

HOSTILE_NAME = "Farm <!--<script>"
MAP_DATA = re.compile(
    r'<script type="application/json" id="producer-map-data">(.*?)</script>', re.DOTALL
)


def test_a_producer_cannot_break_the_bureaus_supply_page_with_its_name(
    client: TestClient, session: Session
) -> None:
    district = make_district(session, code="410403", name="Weidong")
    farm = make_producer(session, code="FARM-1", region=district, capacities={})
    producer_key = make_key(session, Role.producer, producer=farm)
    renamed = client.patch(
        f"/api/v1/producers/{farm.code}", json={"name": HOSTILE_NAME}, headers=producer_key
    )
    assert renamed.status_code == 200, renamed.text

    make_person(session, "bureau-desk", Role.bureau)
    sign_in(client, "bureau-desk", "bureau-desk-password")
    page = client.get("/supply")
    assert page.status_code == 200

    found = MAP_DATA.search(page.text)
    assert found is not None
    embedded = found.group(1)
    assert "<" not in embedded, "markup characters in a script block reach the HTML parser"
    names = [producer["name"] for producer in json.loads(embedded)["producers"]]
    assert HOSTILE_NAME in names
