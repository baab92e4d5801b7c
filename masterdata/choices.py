"""Choices for a type-ahead field: the things of one kind whose code starts with, or whose
name holds, what someone typed, among those they may read.

Forms take codes (a store's PDS-0042, a district's 410403); people know names. A picker
offers both: the code is what the form sends, the name (and where the thing is) what people
read. Who reads what follows the forms' own writes: staff bound to a region see only what
lies inside it; the public (the hotline's form) only active districts, towns, communities
and stores; compounds, enterprises and producers only the staff whose forms name them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, exists, func, null, or_, select
from sqlalchemy.orm import Session, aliased

from core.access import Principal, require_role, within_region
from core.errors import NotFound, Unauthenticated
from core.text import Names
from models import (
    Compound,
    Enterprise,
    Producer,
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    Role,
    Store,
)

MAX_CHOICES = 20
"""Suggestions a field offers at once: a few more than a list shows without scrolling."""
MAX_TYPED = 64
"""The longest text matched (a code or a name is shorter); the rest is ignored."""


class ChoiceKind(enum.StrEnum):
    region = "region"
    store = "store"
    compound = "compound"
    product = "product"
    category = "category"
    enterprise = "enterprise"
    producer = "producer"


PUBLIC_KINDS = frozenset({ChoiceKind.region, ChoiceKind.store})
"""What the public may look up: where they live and the stores they buy in."""
PUBLIC_LEVELS = (RegionLevel.district, RegionLevel.township, RegionLevel.community)
"""The regions a resident names: a district, a town or street, a community (not a city)."""
STAFF_KINDS: dict[ChoiceKind, tuple[Role, ...]] = {
    ChoiceKind.compound: (Role.bureau, Role.dispatcher, Role.operator, Role.working_group),
    ChoiceKind.enterprise: (Role.bureau,),
    ChoiceKind.producer: (Role.bureau,),
}
"""Kinds only some roles look up (admins always may); any signed-in person, the rest."""
LEVEL_DEPTH = {level: depth for depth, level in enumerate(RegionLevel)}


@dataclass(frozen=True)
class Choice:
    """One suggestion: the code a form sends, the thing's name, and where it is (its
    district, a region's parent) or what it is of (a product's category)."""

    value: str
    name: Names
    place: Names | None = None


@dataclass(frozen=True)
class _Listing:
    """Where one kind's choices come from: rows of (code, name, name_zh, region id to name
    by its district, place, place_zh), the columns typed text is matched against, and the
    order before the code."""

    query: Select[*tuple[Any, ...]]
    code: Any
    names: tuple[Any, ...]
    order: tuple[Any, ...] = ()


def choices(
    *,
    session: Session,
    principal: Principal | None,
    kind: str,
    text: str = "",
    limit: int = MAX_CHOICES,
) -> list[Choice]:
    """Up to ``limit`` things of ``kind`` that ``principal`` (None: the public) may read
    and whose code starts with ``text`` or whose name holds it (any case), the exact code
    first: what a form's field suggests. An unknown kind is a 404; a kind the public may
    not read asks to sign in, one the caller's role may not read is a 403."""
    chosen = _kind(kind)
    _require_reader(chosen, principal)
    listing = LISTINGS[chosen](principal)
    typed = text.strip()[:MAX_TYPED].lower()
    query = listing.query
    order: list[Any] = []
    if typed:
        code = func.lower(listing.code)
        prefix = code.startswith(typed, autoescape=True)
        named = [func.lower(name).contains(typed, autoescape=True) for name in listing.names]
        query = query.where(or_(prefix, *named))
        order.append(case((code == typed, 0), (prefix, 1), else_=2))
    rows = session.execute(query.order_by(*order, *listing.order, listing.code).limit(limit))
    found = rows.all()
    districts = _districts(session, {row[3] for row in found if row[3] is not None})
    return [
        Choice(
            value=code,
            name=Names(name, name_zh),
            place=districts.get(region_id) if region_id is not None else _names(place, place_zh),
        )
        for code, name, name_zh, region_id, place, place_zh in found
    ]


def _kind(kind: str) -> ChoiceKind:
    """The kind asked for, or a 404 (a page only asks for its fields' kinds)."""
    if kind not in ChoiceKind.__members__:
        raise NotFound("there are no choices of {kind!r}", kind=kind[:MAX_TYPED])
    return ChoiceKind(kind)


def _require_reader(kind: ChoiceKind, principal: Principal | None) -> None:
    """Refuse the public anything but regions and stores, and a role the kind is not for."""
    if principal is None:
        if kind not in PUBLIC_KINDS:
            raise Unauthenticated("Sign in to see these choices.")
        return
    roles = STAFF_KINDS.get(kind)
    if roles:
        require_role(principal, *roles)


def _names(english: str | None, chinese: str | None) -> Names | None:
    return Names(english, chinese) if english else None


def _regions(principal: Principal | None) -> _Listing:
    """Active regions inside the caller's (the public: below the cities), each placed in
    its parent."""
    parent = aliased(Region)
    query = (
        select(Region.code, Region.name, Region.name_zh, null(), parent.name, parent.name_zh)
        .outerjoin(parent, Region.parent_id == parent.id)
        .where(Region.active.is_(True))
    )
    if principal is None:
        query = query.where(Region.level.in_(PUBLIC_LEVELS))
    else:
        query = query.where(within_region(principal, Region.id))
    depth = case(LEVEL_DEPTH, value=Region.level, else_=len(LEVEL_DEPTH))
    return _Listing(query, Region.code, (Region.name, Region.name_zh), (depth,))


def _placed(
    model: type[Store] | type[Compound] | type[Producer],
) -> Callable[[Principal | None], _Listing]:
    """The listing of a table of places (stores, compounds, producers): its active rows
    (inside the caller's region), each placed in its district."""

    def listing(principal: Principal | None) -> _Listing:
        query = select(model.code, model.name, null(), model.region_id, null(), null())
        query = query.where(model.active.is_(True))
        if principal is not None:
            query = query.where(within_region(principal, model.region_id))
        return _Listing(query, model.code, (model.name,))

    return listing


def _enterprises(principal: Principal | None) -> _Listing:
    """Active enterprises (a national register); for staff bound to a region, those with a
    store inside it or with no store at all (a carrier, a wholesaler), not a chain whose
    stores are all a neighbour's."""
    query = select(Enterprise.code, Enterprise.name, null(), null(), null(), null())
    query = query.where(Enterprise.active.is_(True))
    if principal is not None and principal.is_region_bound:
        query = query.where(
            or_(
                exists().where(
                    Store.enterprise_id == Enterprise.id, within_region(principal, Store.region_id)
                ),
                ~exists().where(Store.enterprise_id == Enterprise.id),
            )
        )
    return _Listing(query, Enterprise.code, (Enterprise.name,))


def _products(principal: Principal | None) -> _Listing:
    """Active products of the catalogue (shared by every region), with their category."""
    query = (
        select(
            Product.code,
            Product.name,
            Product.name_zh,
            null(),
            ProductCategory.name,
            ProductCategory.name_zh,
        )
        .join(ProductCategory, Product.category_id == ProductCategory.id)
        .where(Product.active.is_(True))
    )
    return _Listing(query, Product.code, (Product.name, Product.name_zh))


def _categories(principal: Principal | None) -> _Listing:
    """The catalogue's product categories."""
    query = select(
        ProductCategory.code, ProductCategory.name, ProductCategory.name_zh, null(), null(), null()
    )
    return _Listing(query, ProductCategory.code, (ProductCategory.name, ProductCategory.name_zh))


LISTINGS: dict[ChoiceKind, Callable[[Principal | None], _Listing]] = {
    ChoiceKind.region: _regions,
    ChoiceKind.store: _placed(Store),
    ChoiceKind.compound: _placed(Compound),
    ChoiceKind.product: _products,
    ChoiceKind.category: _categories,
    ChoiceKind.enterprise: _enterprises,
    ChoiceKind.producer: _placed(Producer),
}

ABOVE_DISTRICTS = (RegionLevel.province, RegionLevel.city)


def _districts(session: Session, region_ids: Collection[int]) -> dict[int, Names]:
    """The name of the district each region lies in (itself, or the nearest district
    above it) by region id; a region with no district above it is named itself. The few
    regions of a page of choices are walked up a level a query."""
    rows: dict[int, Any] = {}
    wanted = set(region_ids)
    while wanted:
        found = session.execute(
            select(Region.id, Region.parent_id, Region.level, Region.name, Region.name_zh).where(
                Region.id.in_(sorted(wanted))
            )
        ).all()
        rows.update({row.id: row for row in found})
        wanted = {
            row.parent_id
            for row in found
            if _below_districts(row.level) and row.parent_id is not None
        } - rows.keys()

    def district(region_id: int) -> Names:
        current = rows[region_id]
        while _below_districts(current.level) and current.parent_id in rows:
            current = rows[current.parent_id]
        if current.level is not RegionLevel.district:
            current = rows[region_id]
        return Names(current.name, current.name_zh)

    return {region_id: district(region_id) for region_id in region_ids if region_id in rows}


def _below_districts(level: RegionLevel) -> bool:
    return level not in ABOVE_DISTRICTS and level is not RegionLevel.district


NAMED_BY_PEOPLE: dict[ChoiceKind, tuple[type[Region] | type[Store], tuple[Any, ...]]] = {
    ChoiceKind.region: (Region, (Region.name, Region.name_zh)),
    ChoiceKind.store: (Store, (Store.name,)),
}


def code_typed(*, session: Session, kind: ChoiceKind, typed: str) -> str:
    """The code of the region or store someone typed, by its code or by the name exactly
    one active one bears (卫东区, Weidong; any case): a resident knows names, not codes.
    Anything else stays as typed, for the form to refuse or the desk to check."""
    model, names = NAMED_BY_PEOPLE[kind]
    typed = typed.strip()
    if not typed or session.scalar(select(model.id).where(model.code == typed)) is not None:
        return typed
    lowered = typed.lower()
    named = session.scalars(
        select(model.code)
        .where(model.active.is_(True))
        .where(or_(*(func.lower(name) == lowered for name in names)))
        .limit(2)
    ).all()
    return named[0] if len(named) == 1 else typed
