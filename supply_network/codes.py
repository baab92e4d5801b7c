"""Codes people type (product, category, region, producer, store, chain) turned into rows,
with one 422 that names every unknown one and where it was given.

Given the caller, a region, producer or store outside a region-bound caller's region is
unknown too: a filter or a form naming a neighbour's gets the same 422 as a typo.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import InvalidInput
from core.text import FieldProblem, field_problem, phrase
from models import Enterprise, Producer, Product, ProductCategory, Region, Store

MODELS: dict[str, tuple[Any, str]] = {
    "product": (Product, "product"),
    "category": (ProductCategory, "category"),
    "region": (Region, "region"),
    "around": (Region, "region"),
    "district": (Region, "region"),
    "producer": (Producer, "producer"),
    "store": (Store, "store"),
    "enterprise": (Enterprise, "enterprise"),
}


REGIONAL = {Region: "id", Producer: "region_id", Store: "region_id"}
"""The coded tables that lie in a region, and the column that says which."""


def resolve_codes(
    session: Session,
    *,
    where: str = "query",
    principal: Principal | None = None,
    **codes: str | None,
) -> dict[str, Any]:
    """The rows behind the codes given (keyed like the arguments), skipping None; one 422
    naming each unknown code at ``[where, name]``, counting as unknown a region, producer
    or store outside ``principal``'s region."""
    found: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, code in codes.items():
        if code is None:
            continue
        model, kind = MODELS[name]
        row = session.scalars(select(model).where(model.code == code)).first()
        if row is not None and principal is not None and model in REGIONAL:
            if not principal.in_region(getattr(row, REGIONAL[model])):
                row = None
        if row is None:
            problems.append(unknown(kind, code, [where, name]))
        else:
            found[name] = row
    refuse_unknown(problems)
    return found


def refuse_unknown(problems: Sequence[FieldProblem]) -> None:
    """Raise one 422 for unknown codes, or nothing."""
    if problems:
        raise InvalidInput("unknown codes: {first}", errors=list(problems), first=problems[0].text)


def product_ids_by_code(session: Session) -> dict[str, int]:
    """Every product's id by code (a small table), for checking many lines at once."""
    return {
        str(code): int(ident) for code, ident in session.execute(select(Product.code, Product.id))
    }


def unknown(kind: str, code: str, loc: Sequence[str | int]) -> FieldProblem:
    """A problem naming an unknown code of ``kind`` at ``loc``."""
    return field_problem(loc, "unknown {kind} {code!r}", kind=phrase(kind), code=code)
