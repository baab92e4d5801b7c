"""Products with their units: conversions are checked against the unit catalogue."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import InvalidInput
from masterdata.products import (
    create_product,
    list_categories,
    list_products,
    list_units,
    update_product,
)
from models import Role

BUREAU = Principal("user", 1, "bureau", Role.bureau)


def test_a_product_keeps_its_conversions_and_refuses_unknown_or_canonical_units(
    session: Session,
) -> None:
    created = create_product(
        session=session,
        principal=BUREAU,
        code="t-pork",
        name="Pork",
        category="meat",
        unit="kg",
        kg_per_unit=1.0,
        conversions={"jin": 0.5},
    )
    assert (created.category, created.conversions) == ("meat", {"jin": 0.5})
    listed = list_products(session=session, contains="t-pork", limit=10, offset=0)
    assert [(p.code, p.conversions) for p in listed.items] == [("t-pork", {"jin": 0.5})]

    with pytest.raises(InvalidInput, match="unknown unit"):
        update_product(
            session=session, principal=BUREAU, code="t-pork", changes={"conversions": {"x": 2}}
        )
    with pytest.raises(InvalidInput, match="canonical unit"):
        update_product(
            session=session, principal=BUREAU, code="t-pork", changes={"conversions": {"kg": 1}}
        )
    with pytest.raises(InvalidInput, match="unknown unit"):
        create_product(
            session=session,
            principal=BUREAU,
            code="t-odd",
            name="Odd",
            category="meat",
            unit="parsec",
            kg_per_unit=1.0,
        )


def test_the_catalogue_lists_the_seeded_categories_and_units(session: Session) -> None:
    assert {"grain", "meat", "vegetables"} <= {c.code for c in list_categories(session=session)}
    units = {unit.code: unit for unit in list_units(session=session)}
    assert units["jin"].to_base == pytest.approx(0.5 * units["kg"].to_base)
