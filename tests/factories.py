"""Typed factories for test data; they flush, never commit (the test's transaction rolls back)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.authentication import LoginLimits, create_api_key
from models import (
    Checkpoint,
    Compound,
    Enterprise,
    EnterpriseKind,
    Producer,
    Product,
    ProductCategory,
    ProductUnitConversion,
    Region,
    RegionLevel,
    Role,
    Store,
    StoreKind,
    Ticket,
    TicketEvent,
    Truck,
)

_sequence = itertools.count(1)


def business_today() -> date:
    """Today in the default city time zone, as the service sees it."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def days_ago(days: int) -> date:
    return business_today() - timedelta(days=days)


def make_region(
    session: Session,
    *,
    code: str | None = None,
    name: str = "Xinhua",
    level: RegionLevel = RegionLevel.district,
    parent: Region | None = None,
) -> Region:
    region = Region(
        code=code or f"R{next(_sequence):05d}",
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
    )
    session.add(region)
    session.flush()
    return region


def make_enterprise(
    session: Session, *, code: str | None = None, name: str = "Chain"
) -> Enterprise:
    enterprise = Enterprise(
        code=code or f"CH-{next(_sequence):04d}", name=name, kind=EnterpriseKind.chain
    )
    session.add(enterprise)
    session.flush()
    return enterprise


def make_store(
    session: Session,
    *,
    code: str | None = None,
    region: Region | None = None,
    enterprise: Enterprise | None = None,
    active: bool = True,
) -> Store:
    region = region or make_region(session)
    store = Store(
        code=code or f"S-{next(_sequence):05d}",
        name="Store",
        kind=StoreKind.supermarket,
        region_id=region.id,
        enterprise_id=enterprise.id if enterprise else None,
        latitude=33.7,
        longitude=113.3,
        active=active,
    )
    session.add(store)
    session.flush()
    return store


def make_product(
    session: Session,
    *,
    code: str | None = None,
    category: str = "meat",
    unit: str = "kg",
    kg_per_unit: float = 1.0,
    conversions: dict[str, float] | None = None,
    active: bool = True,
) -> Product:
    category_id = session.scalar(select(ProductCategory.id).where(ProductCategory.code == category))
    assert category_id is not None, f"category {category} is seeded by the migration"
    product = Product(
        code=code or f"p{next(_sequence):05d}",
        name="Product",
        category_id=category_id,
        unit=unit,
        kg_per_unit=kg_per_unit,
        active=active,
    )
    session.add(product)
    session.flush()
    for other_unit, factor in (conversions or {}).items():
        session.add(ProductUnitConversion(product_id=product.id, unit=other_unit, factor=factor))
    session.flush()
    return product


def make_key(
    session: Session,
    role: Role = Role.admin,
    *,
    store: Store | None = None,
    enterprise: Enterprise | None = None,
    truck: Truck | None = None,
    compound: Compound | None = None,
    producer: Producer | None = None,
    checkpoint: Checkpoint | None = None,
    region: Region | None = None,
) -> dict[str, str]:
    """Authorization headers for a new key of ``role`` (an admin or bureau key may be
    bound to ``region``)."""
    _, secret = create_api_key(
        session,
        name=f"test {role.value}",
        role=role,
        store_id=store.id if store else None,
        enterprise_id=enterprise.id if enterprise else None,
        truck_id=truck.id if truck else None,
        compound_id=compound.id if compound else None,
        producer_id=producer.id if producer else None,
        checkpoint_id=checkpoint.id if checkpoint else None,
        region_id=region.id if region else None,
    )
    return {"Authorization": f"Bearer {secret}"}


LOGIN_LIMITS = LoginLimits(
    address_attempts=10,
    address_window=timedelta(minutes=15),
    account_failures=3,
    account_addresses=1,
    lockout=timedelta(minutes=5),
    longest_lockout=timedelta(hours=1),
)
"""Sign-in limits for domain tests: three failures lock an account, from any address."""


def backdate_ticket(session: Session, number: str, minutes: float) -> None:
    """Move a ticket's filing and whole trail into the past, as if it had been filed earlier."""
    ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
    ticket.created_at -= timedelta(minutes=minutes)
    for event in session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)):
        event.at -= timedelta(minutes=minutes)
    session.flush()
