"""A key's or person's binding: codes and plates to ids, ids back to codes."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from accounts.bindings import Binding, BindingNames, binding_names, resolve_binding
from core.errors import InvalidInput
from tests.dispatch.factories import make_compound, make_depot, make_truck
from tests.factories import make_enterprise, make_store


def test_codes_and_plates_resolve_to_ids_and_back(session: Session) -> None:
    store = make_store(session, code="T-S")
    enterprise = make_enterprise(session, code="T-E")
    truck = make_truck(session, depot=make_depot(session), plate="T-PLATE")
    compound = make_compound(session, code="T-C")
    binding = resolve_binding(
        session=session, store="T-S", enterprise="T-E", truck="T-PLATE", compound="T-C"
    )
    assert binding == Binding(
        store_id=store.id, enterprise_id=enterprise.id, truck_id=truck.id, compound_id=compound.id
    )
    assert binding_names(
        session=session,
        store_id=binding.store_id,
        enterprise_id=binding.enterprise_id,
        truck_id=binding.truck_id,
        compound_id=binding.compound_id,
    ) == BindingNames(store="T-S", enterprise="T-E", truck="T-PLATE", compound="T-C")
    assert resolve_binding(session=session) == Binding()


@pytest.mark.parametrize("field", ["store", "enterprise", "truck", "compound"])
def test_an_unknown_code_is_a_422_naming_its_field(session: Session, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        resolve_binding(session=session, **{field: "NOWHERE"})
    assert refused.value.status == 422
    assert refused.value.errors is not None
    assert refused.value.errors[0]["loc"] == ["body", field]
