"""Changes to the producer registry: add a producer, edit it, deactivate it (kept for the
orders that name it).

The bureau manages every record; a producer edits its own name, contact, place and
product lines, but not its code, kind, region or whether it is active: those are how the
bureau files it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import Forbidden
from core.lookups import add_with_unique_code, apply_changes, get_by_code
from core.text import FieldProblem, field_problem, phrase
from models import (
    Producer,
    ProducerKind,
    ProducerProduct,
    Proposal,
    ProposalStatus,
    Role,
    SupplyOffer,
)
from models.base import utc_now
from supply_network.access import require_producer
from supply_network.codes import product_ids_by_code, resolve_codes, unknown
from supply_network.queries.producers import ProducerView, producer_views
from supply_network.rules import BoardLimits, one_line_problems, quantity_problem, refuse

PRODUCER_EDITABLE = frozenset(
    {"name", "address", "latitude", "longitude", "contact_name", "contact_phone", "products"}
)
"""What a producer may change of its own record."""

MAX_LEAD_TIME_DAYS = 60


@dataclass(frozen=True)
class CapacityLine:
    """One product a producer supplies: per-day capacity, lead time, smallest lot."""

    product: str
    daily_capacity: float
    lead_time_days: int = 0
    minimum_lot: float | None = None


def capacity_problems(
    lines: Sequence[CapacityLine], *, product_ids: Mapping[str, int], limits: BoardLimits
) -> list[FieldProblem]:
    """Every problem with a producer's product lines, at ``["body", "products", i, field]``."""
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    for position, line in enumerate(lines):
        loc: list[str | int] = ["body", "products", position]
        if line.product not in product_ids:
            problems.append(unknown("product", line.product, [*loc, "product"]))
        elif line.product in seen:
            problems.append(
                field_problem(
                    [*loc, "product"], "appears more than once ({rows})", rows=seen[line.product]
                )
            )
        seen.setdefault(line.product, position)
        found = quantity_problem(
            [*loc, "daily_capacity"], line.daily_capacity, limit=limits.max_quantity
        )
        if found:
            problems.append(found)
        if not 0 <= line.lead_time_days <= MAX_LEAD_TIME_DAYS:
            problems.append(
                field_problem(
                    [*loc, "lead_time_days"], "must be from 0 to {days}", days=MAX_LEAD_TIME_DAYS
                )
            )
        if line.minimum_lot is not None:
            if not 0 <= line.minimum_lot <= limits.max_quantity:
                problems.append(
                    field_problem(
                        [*loc, "minimum_lot"],
                        "must be from 0 to {limit:g}",
                        limit=limits.max_quantity,
                    )
                )
    return problems


def _replace_lines(
    session: Session,
    producer: Producer,
    lines: Sequence[CapacityLine],
    product_ids: Mapping[str, int],
) -> None:
    """Make the producer's product lines exactly ``lines``."""
    session.execute(delete(ProducerProduct).where(ProducerProduct.producer_id == producer.id))
    session.add_all(
        ProducerProduct(
            producer_id=producer.id,
            product_id=product_ids[line.product],
            daily_capacity=line.daily_capacity,
            lead_time_days=line.lead_time_days,
            minimum_lot=line.minimum_lot,
        )
        for line in lines
    )
    session.flush()


def withdraw_offers_of_dropped_products(
    session: Session, producer_ids: Sequence[int], *, actor: str
) -> int:
    """Take off the board the open offers of products these producers' lines no longer
    name (an offer stands for what the registry says a producer supplies), as their
    owner's withdrawal would: committed stays committed, unanswered proposals lapse."""
    if not producer_ids:
        return 0
    still_supplied = (
        select(ProducerProduct.product_id)
        .where(
            ProducerProduct.producer_id == SupplyOffer.producer_id,
            ProducerProduct.product_id == SupplyOffer.product_id,
        )
        .exists()
    )
    dropped = list(
        session.scalars(
            select(SupplyOffer.id).where(
                SupplyOffer.producer_id.in_(producer_ids),
                SupplyOffer.withdrawn_at.is_(None),
                ~still_supplied,
            )
        )
    )
    if dropped:
        # proposals first, then the offers: the order an acceptance locks them in
        session.execute(
            update(Proposal)
            .where(Proposal.offer_id.in_(dropped), Proposal.status == ProposalStatus.proposed)
            .values(status=ProposalStatus.superseded)
        )
        session.execute(
            update(SupplyOffer)
            .where(SupplyOffer.id.in_(dropped))
            .values(withdrawn_at=utc_now(), withdrawn_by=actor)
        )
    return len(dropped)


CONTACT_FIELDS = ("address", "contact_name", "contact_phone")
"""Typed one-line texts of a producer's record besides its name (a ``Name`` already)."""


def create_producer(
    *,
    session: Session,
    principal: Principal,
    code: str,
    name: str,
    kind: ProducerKind,
    region: str,
    latitude: float,
    longitude: float,
    address: str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    products: Sequence[CapacityLine] = (),
    limits: BoardLimits,
) -> ProducerView:
    """Register a producer in a region (by code) with its product lines; the bureau's. A
    taken code is a 409, an unknown region or product a 422 naming the field (a region
    outside a region-bound caller's is unknown)."""
    require_role(principal, Role.bureau)
    found_region = resolve_codes(session, where="body", principal=principal, region=region)[
        "region"
    ]
    product_ids = product_ids_by_code(session)
    refuse(
        [
            *one_line_problems(
                {"address": address, "contact_name": contact_name, "contact_phone": contact_phone}
            ),
            *capacity_problems(products, product_ids=product_ids, limits=limits),
        ],
        what=phrase("producer"),
    )
    producer = Producer(
        code=code,
        name=name,
        kind=kind,
        region_id=found_region.id,
        address=address,
        latitude=latitude,
        longitude=longitude,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    add_with_unique_code(session, producer, label=phrase("producer"))
    _replace_lines(session, producer, products, product_ids)
    return producer_views(session, [producer.id])[0]


def update_producer(
    *,
    session: Session,
    principal: Principal,
    code: str,
    changes: Mapping[str, Any],
    limits: BoardLimits,
) -> ProducerView:
    """Change the fields a caller sent; ``products`` (a list of ``CapacityLine``) replaces
    every product line. A producer may change only its own contact, place, name and lines."""
    producer = get_by_code(session, Producer, code, label=phrase("producer"))
    require_producer(principal, producer)
    changes = dict(changes)
    if principal.role is Role.producer:
        refused = sorted(set(changes) - PRODUCER_EDITABLE)
        if refused:
            raise Forbidden(
                "a producer may not change {fields} of its record; ask the bureau",
                errors=[
                    field_problem(["body", name], "only the bureau changes this")
                    for name in refused
                ],
                fields=", ".join(refused),
            )
    refuse(
        one_line_problems({name: changes.get(name) for name in CONTACT_FIELDS}),
        what=phrase("producer"),
    )
    if "region" in changes:
        region = changes.pop("region")
        if region is None:
            apply_changes(producer, {"region": None}, required=("region",))
        producer.region_id = resolve_codes(
            session, where="body", principal=principal, region=region
        )["region"].id
    lines = changes.pop("products", None)
    apply_changes(producer, changes, required=("name", "kind", "latitude", "longitude", "active"))
    if lines is not None:
        product_ids = product_ids_by_code(session)
        refuse(
            capacity_problems(lines, product_ids=product_ids, limits=limits),
            what=phrase("producer"),
        )
        _replace_lines(session, producer, lines, product_ids)
        withdraw_offers_of_dropped_products(session, [producer.id], actor=principal.label)
    session.flush()
    return producer_views(session, [producer.id])[0]


def deactivate_producer(*, session: Session, principal: Principal, code: str) -> ProducerView:
    """Mark a producer inactive: it leaves the candidate lists and the matcher, and its
    record and orders stay for history; the bureau's."""
    require_role(principal, Role.bureau)
    producer = get_by_code(session, Producer, code, label=phrase("producer"))
    require_producer(principal, producer)
    producer.active = False
    session.flush()
    return producer_views(session, [producer.id])[0]
