"""The bureau manages regions, enterprises, stores and products; others may only read
(a chain's contacts only the staff who deal with chains, and a store its own chain)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import Role, Store
from tests.factories import make_enterprise, make_key, make_region, make_store


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    return make_key(session, Role.bureau)


@pytest.fixture
def district(session: Session) -> None:
    city = make_region(session, code="410400", name="Pingdingshan")
    from models import RegionLevel

    make_region(session, code="410402", name="Xinhua", parent=city, level=RegionLevel.district)


RESOURCES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "regions",
        {"code": "410402001", "name": "Kuanglu Street", "level": "township", "parent": "410402"},
        {"name": "Kuanglu"},
    ),
    (
        "enterprises",
        {"code": "CH-77", "name": "Dennis Supermarket", "kind": "chain"},
        {"name": "D"},
    ),
    (
        "stores",
        {
            "code": "PDS-0777",
            "name": "Dennis Xinhua",
            "region": "410402",
            "latitude": 33.74,
            "longitude": 113.28,
        },
        {"name": "Dennis Xinhua 2", "key_supplier": True},
    ),
    (
        "products",
        {
            "code": "lamb_chops",
            "name": "Lamb chops",
            "category": "meat",
            "unit": "kg",
            "kg_per_unit": 1,
            "conversions": {"jin": 0.5},
        },
        {"typical_price": 60.5},
    ),
]


@pytest.mark.usefixtures("district")
@pytest.mark.parametrize(("resource", "created", "changes"), RESOURCES)
def test_bureau_creates_reads_updates_lists_and_deactivates(
    client: TestClient,
    bureau: dict[str, str],
    resource: str,
    created: dict[str, Any],
    changes: dict[str, Any],
) -> None:
    base = f"/api/v1/{resource}"
    response = client.post(base, json=created, headers=bureau)
    assert response.status_code == 201, response.text
    code = created["code"]
    assert client.get(f"{base}/{code}", headers=bureau).json()["code"] == code
    updated = client.patch(f"{base}/{code}", json=changes, headers=bureau)
    assert updated.status_code == 200, updated.text
    for key, value in changes.items():
        assert updated.json()[key] == value
    listed = client.get(base, params={"q": code, "limit": 10}, headers=bureau).json()
    assert [item["code"] for item in listed["items"]] == [code]
    assert listed["total"] == 1
    gone = client.delete(f"{base}/{code}", headers=bureau)
    assert gone.status_code == 200 and gone.json()["active"] is False
    inactive = client.get(base, params={"active": False}, headers=bureau).json()
    assert code in [item["code"] for item in inactive["items"]]


@pytest.mark.usefixtures("district")
@pytest.mark.parametrize(("resource", "created", "_changes"), RESOURCES)
def test_a_code_is_unique(
    client: TestClient,
    bureau: dict[str, str],
    resource: str,
    created: dict[str, Any],
    _changes: dict[str, Any],
) -> None:
    assert client.post(f"/api/v1/{resource}", json=created, headers=bureau).status_code == 201
    again = client.post(f"/api/v1/{resource}", json=created, headers=bureau)
    assert again.status_code == 409
    assert created["code"] in again.json()["detail"]


@pytest.mark.usefixtures("district")
@pytest.mark.parametrize(
    ("resource", "created", "_changes"),
    [resource for resource in RESOURCES if resource[1]["code"].swapcase() != resource[1]["code"]],
)
def test_a_code_differing_only_in_case_from_an_existing_one_is_refused(
    client: TestClient,
    bureau: dict[str, str],
    resource: str,
    created: dict[str, Any],
    _changes: dict[str, Any],
) -> None:
    assert client.post(f"/api/v1/{resource}", json=created, headers=bureau).status_code == 201
    variant = created["code"].swapcase()  # region codes are digits: no variant to try
    again = client.post(f"/api/v1/{resource}", json={**created, "code": variant}, headers=bureau)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"] == "application/problem+json"
    assert "differs only in case" in again.json()["detail"]
    listed = client.get(f"/api/v1/{resource}", params={"limit": 100}, headers=bureau).json()
    assert variant not in [item["code"] for item in listed["items"]]


@pytest.mark.usefixtures("district")
@pytest.mark.parametrize(("resource", "created", "changes"), RESOURCES)
@pytest.mark.parametrize("role", [Role.store, Role.dispatcher, Role.driver])
def test_only_admin_and_bureau_change_master_data(
    client: TestClient,
    session: Session,
    bureau: dict[str, str],
    resource: str,
    created: dict[str, Any],
    changes: dict[str, Any],
    role: Role,
) -> None:
    store = make_store(session) if role is Role.store else None
    headers = make_key(session, role, store=store)
    base = f"/api/v1/{resource}"
    assert client.post(base, json=created, headers=headers).status_code == 403
    assert client.post(base, json=created, headers=bureau).status_code == 201
    code = created["code"]
    assert client.patch(f"{base}/{code}", json=changes, headers=headers).status_code == 403
    assert client.delete(f"{base}/{code}", headers=headers).status_code == 403
    assert client.get(f"{base}/{code}", headers=bureau).json()["active"] is True


@pytest.mark.usefixtures("district")
def test_bad_master_data_is_refused_with_the_field_named(
    client: TestClient, bureau: dict[str, str]
) -> None:
    cases = [
        ("stores", {"code": "S1", "name": "x", "region": "nowhere"}, ["body", "region"]),
        (
            "stores",
            {"code": "S1", "name": "x", "region": "410402", "latitude": 91},
            ["body", "latitude"],
        ),
        ("stores", {"code": "S 1", "name": "x", "region": "410402"}, ["body", "code"]),
        (
            "stores",
            {"code": "S1", "name": "x", "region": "410402", "owner": "me"},
            ["body", "owner"],
        ),
        (
            "products",
            {"code": "p", "name": "x", "category": "toys", "unit": "kg", "kg_per_unit": 1},
            ["body", "category"],
        ),
        (
            "products",
            {"code": "p", "name": "x", "category": "meat", "unit": "kg", "kg_per_unit": 0},
            ["body", "kg_per_unit"],
        ),
        (
            "products",
            {"code": "p", "name": "x", "category": "meat", "unit": "bushel", "kg_per_unit": 1},
            ["body", "unit"],
        ),
        ("regions", {"code": "R9", "name": "x", "level": "galaxy"}, ["body", "level"]),
    ]
    for resource, body, loc in cases:
        response = client.post(f"/api/v1/{resource}", json=body, headers=bureau)
        assert response.status_code == 422, (resource, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert any(e["loc"] == loc for e in response.json()["errors"]), response.json()


@pytest.mark.usefixtures("district")
def test_a_region_cannot_be_moved_below_itself(client: TestClient, bureau: dict[str, str]) -> None:
    response = client.patch("/api/v1/regions/410400", json={"parent": "410402"}, headers=bureau)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "parent"]


def test_store_listing_filters_by_region_subtree_and_enterprise(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    city = make_region(session, code="C")
    east = make_region(session, code="E", parent=city)
    east_town = make_region(session, code="E1", parent=east)
    west = make_region(session, code="W", parent=city)
    chain = make_enterprise(session, code="CH-9")
    make_store(session, code="S-E", region=east, enterprise=chain)
    make_store(session, code="S-E1", region=east_town)
    make_store(session, code="S-W", region=west, enterprise=chain)

    def codes(**params: Any) -> list[str]:
        body = client.get("/api/v1/stores", params=params, headers=bureau).json()
        return [item["code"] for item in body["items"]]

    assert codes(region="E") == ["S-E", "S-E1"]
    assert codes(region="C") == ["S-E", "S-E1", "S-W"]
    assert codes(enterprise="CH-9") == ["S-E", "S-W"]
    assert codes(region="E", enterprise="CH-9") == ["S-E"]


def test_listings_are_paginated_and_page_size_is_capped(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    region = make_region(session)
    for number in range(5):
        make_store(session, code=f"P-{number}", region=region)
    first = client.get("/api/v1/stores", params={"limit": 2, "offset": 0}, headers=bureau).json()
    second = client.get("/api/v1/stores", params={"limit": 2, "offset": 2}, headers=bureau).json()
    assert first["total"] == 5 and len(first["items"]) == 2
    assert {i["code"] for i in first["items"]}.isdisjoint({i["code"] for i in second["items"]})
    too_big = client.get("/api/v1/stores", params={"limit": 501}, headers=bureau)
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["loc"] == ["query", "limit"]


def test_a_store_key_sees_only_its_own_store(client: TestClient, session: Session) -> None:
    own = make_store(session, code="OWN-1")
    other: Store = make_store(session, code="OTHER-1")
    headers = make_key(session, Role.store, store=own)
    listed = client.get("/api/v1/stores", headers=headers).json()
    assert [item["code"] for item in listed["items"]] == ["OWN-1"]
    assert client.get("/api/v1/stores/OWN-1", headers=headers).status_code == 200
    assert client.get(f"/api/v1/stores/{other.code}", headers=headers).status_code == 403


def test_a_chains_contacts_are_read_by_the_staff_and_its_own_stores_not_by_a_driver(
    client: TestClient, session: Session
) -> None:
    """A chain's contact person and phone are for the staff who call it; a store's account
    reads its own chain, not a competitor's; drivers, receivers, producers and checkpoints
    (the same rule: not staff) are refused."""
    own = make_enterprise(session, code="CH-OWN")
    make_enterprise(session, code="CH-RIVAL")
    store_key = make_key(session, Role.store, store=make_store(session, enterprise=own))
    refused = client.get("/api/v1/enterprises", headers=make_key(session, Role.driver))
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    listed = client.get("/api/v1/enterprises", headers=store_key).json()
    assert [item["code"] for item in listed["items"]] == ["CH-OWN"]
    assert client.get("/api/v1/enterprises/CH-OWN", headers=store_key).status_code == 200
    assert client.get("/api/v1/enterprises/CH-RIVAL", headers=store_key).status_code == 404
    for staff in (Role.operator, Role.dispatcher, Role.bureau):
        read = client.get("/api/v1/enterprises/CH-RIVAL", headers=make_key(session, staff))
        assert read.status_code == 200, (staff, read.text)


def test_a_search_matches_percent_and_underscore_as_typed_not_as_wildcards(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    make_store(session, code="PDS-0100")
    make_store(session, code="PDS_0200")
    for resource in ("stores", "regions", "enterprises", "products", "producers", "compounds"):
        for typed in ("%", "\\", "S_0"):
            listed = client.get(f"/api/v1/{resource}", params={"q": typed}, headers=bureau)
            assert listed.status_code == 200, (resource, listed.text)
            expected = ["PDS_0200"] if (resource, typed) == ("stores", "S_0") else []
            assert [item["code"] for item in listed.json()["items"]] == expected, (resource, typed)


def test_everyone_signed_in_reads_the_product_catalogue_units_and_categories(
    client: TestClient, session: Session
) -> None:
    headers = make_key(session, Role.driver)
    assert client.get("/api/v1/products", headers=headers).status_code == 200
    units = {u["code"]: u for u in client.get("/api/v1/units", headers=headers).json()}
    assert units["jin"]["to_base"] == 0.5 and units["jin"]["dimension"] == "mass"
    categories = [c["code"] for c in client.get("/api/v1/categories", headers=headers).json()]
    assert categories == ["grain", "edible_oil", "meat", "eggs", "vegetables", "fruit", "dairy"]


@pytest.mark.usefixtures("district")
def test_a_name_with_line_breaks_or_control_characters_is_refused_with_the_field_named(
    client: TestClient, bureau: dict[str, str]
) -> None:
    cases = [
        ("regions/410402", {"name": "Xin" + "\n" * 150 + "hua"}, ["body", "name"]),
        ("regions/410402", {"name_zh": "新华\r\n区"}, ["body", "name_zh"]),
        ("regions/410402", {"name": "Xin\x85hua"}, ["body", "name"]),
        ("regions/410402", {"name": "Xin\u2028hua"}, ["body", "name"]),
    ]
    for path, body, loc in cases:
        response = client.patch(f"/api/v1/{path}", json=body, headers=bureau)
        assert response.status_code == 422, (body, response.text)
        assert [e["loc"] for e in response.json()["errors"]] == [loc], response.json()
    store = client.post(
        "/api/v1/stores",
        json={"code": "S1", "name": "Corner\tshop", "region": "410402"},
        headers=bureau,
    )
    assert store.status_code == 422, store.text
    assert store.json()["errors"][0]["loc"] == ["body", "name"]
    assert client.get("/api/v1/regions/410402", headers=bureau).json()["name"] == "Xinhua"


@pytest.mark.usefixtures("district")
def test_a_blank_name_or_a_contact_broken_over_lines_is_refused_with_the_field_named(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    """A name of only zero-width marks shows as nothing; an address, a contact or a crew
    is one line of a table or a manifest, like a name."""
    make_enterprise(session, code="CH-1")
    make_store(session, code="S-1")
    session.commit()
    cases = [
        ("stores/S-1", {"name": "\u200b\u200d\ufeff"}, ["body", "name"]),
        ("enterprises/CH-1", {"name": " \u200b "}, ["body", "name"]),
        ("enterprises/CH-1", {"contact_name": "Zhang\u202eWei"}, ["body", "contact_name"]),
        ("enterprises/CH-1", {"contact_phone": "138\n0000"}, ["body", "contact_phone"]),
        ("stores/S-1", {"address": "No. 1\u2028Road"}, ["body", "address"]),
    ]
    for path, body, loc in cases:
        response = client.patch(f"/api/v1/{path}", json=body, headers=bureau)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["loc"] for e in response.json()["errors"]] == [loc], response.json()
    assert client.get("/api/v1/enterprises/CH-1", headers=bureau).json()["contact_name"] is None
    admin = make_key(session, Role.admin)
    invisible = {"name": "\u200b\ufeff", "role": "bureau"}
    for path in ("keys", "webhooks"):  # a key's or a webhook's name heads its list
        body = invisible if path == "keys" else {"name": "\u200b", "url": "https://chat.example"}
        refused = client.post(f"/api/v1/{path}", json=body, headers=admin)
        assert refused.status_code == 422, (path, refused.text)
        assert [e["loc"] for e in refused.json()["errors"]] == [["body", "name"]]
