"""An admin edits an existing store and picks its region from a list of names, never a
typed code (issue 13, point 11)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from models import Role, Store
from tests.factories import make_enterprise, make_region, make_store
from tests.service.web.helpers import csrf, make_person, sign_in


def _admin_and_store(client: TestClient, session: Session) -> Store:
    west = make_region(session, code="WEST", name="Xigong")
    make_region(session, code="EAST", name="Laocheng")
    store = make_store(session, code="PDS-0007", region=west, enterprise=make_enterprise(session))
    sign_in(client, "root", make_person(session, "root", Role.admin))
    return store


def _edit(client: TestClient, **changes: str) -> Response:
    """Post the edit form of PDS-0007: renamed, moved to EAST, with ``changes``."""
    form = {
        "csrf_token": csrf(client, "/admin/stores/PDS-0007/edit"),
        "name": "Renamed",
        "kind": "supermarket",
        "region": "EAST",
        "latitude": "33.8",
        "longitude": "113.4",
        **changes,
    }
    return client.post("/admin/stores/PDS-0007/edit", data=form)


def test_the_store_forms_offer_regions_by_name_to_choose_from(
    client: TestClient, session: Session
) -> None:
    _admin_and_store(client, session)
    create = client.get("/admin/stores").text
    assert '<select id="f-region" name="region"' in create
    assert '<option value="EAST" >Laocheng (EAST)</option>' in create
    assert '<a href="/admin/stores/PDS-0007/edit">PDS-0007</a>' in create
    edit = client.get("/admin/stores/PDS-0007/edit").text
    assert '<option value="WEST" selected>Xigong (WEST)</option>' in edit


def test_an_admin_moves_a_store_to_another_region_and_unbinds_its_chain(
    client: TestClient, session: Session
) -> None:
    store = _admin_and_store(client, session)
    response = _edit(client, enterprise="", address="1 Market Street")
    assert response.status_code == 200, response.text
    assert 'id="saved"' in response.text
    session.refresh(store)
    assert (store.name, store.enterprise_id, store.address) == ("Renamed", None, "1 Market Street")
    assert '<option value="EAST" selected>' in client.get("/admin/stores/PDS-0007/edit").text


def test_a_bad_edit_shows_the_problem_beside_its_field_and_changes_nothing(
    client: TestClient, session: Session
) -> None:
    store = _admin_and_store(client, session)
    response = _edit(client, region="", latitude="95")
    assert response.status_code == 422
    assert 'id="f-latitude-error"' in response.text
    session.refresh(store)
    assert store.name == "Store"
