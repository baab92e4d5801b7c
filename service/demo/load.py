"""Write a generated city into a database: master data set-based, reports through the
real ingest path, demo users and API keys.

Only flushes: the caller's unit of work (``session_scope``) commits, so a failed load
leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from accounts.authentication import PERSONAL_ROLES, create_api_key, create_user
from core.access import Principal
from models import (
    Compound,
    Enterprise,
    Producer,
    Product,
    ProductCategory,
    ProductUnitConversion,
    Region,
    RegionLevel,
    Role,
    Store,
    Truck,
    Unit,
    User,
)
from models.base import utc_now
from pass_office.authority import PassAuthority
from passes import KeyRing, SigningKey
from reports.upsert import store_report_lines
from service.demo.dispatch import driver_truck, generate_dispatch, load_dispatch
from service.demo.generate import generate_city
from service.demo.hotline import demo_end, load_hotline
from service.demo.master import MasterFrames
from service.demo.officers import load_officers
from service.demo.outlines import load_district_outlines
from service.demo.passes import DEMO_CHECKPOINT, load_passes
from service.demo.supply_network import generate_supply, load_supply

IdMaps = dict[str, dict[str, int]]
"""Code → id per table: keys ``regions``, ``enterprises``, ``stores``, ``products``."""

DEMO_STORE = "PDS-0001"
REGION_LEVELS = ("city", "district", "township", "community")


class DemoLogin(NamedTuple):
    """A demo sign-in: username, password, role, and what it may do."""

    username: str
    password: str
    role: Role
    can: str


DEMO_LOGINS: list[DemoLogin] = [
    DemoLogin("admin", "admin-demo", Role.admin, "everything: users, keys, master data, alerts"),
    DemoLogin(
        "district",
        "district-demo",
        Role.bureau,
        "the bureau of the first sealed district: only its stores, alerts, compounds, "
        "producers, tickets and bulletin",
    ),
    DemoLogin(
        "bureau",
        "bureau-demo",
        Role.bureau,
        "read every store, the dashboard and bulletin; manage alerts and thresholds",
    ),
    DemoLogin("store", "store-demo", Role.store, f"post and read reports of store {DEMO_STORE}"),
    DemoLogin(
        "chain",
        "chain-demo",
        Role.store,
        f"post and read reports of every store of {DEMO_STORE}'s chain",
    ),
    DemoLogin(
        "dispatcher",
        "dispatcher-demo",
        Role.dispatcher,
        "plan and track deliveries to locked-down compounds",
    ),
    DemoLogin(
        "driver",
        "driver-demo",
        Role.driver,
        "move the deliveries of the busiest depot's largest truck",
    ),
    DemoLogin(
        "receiver",
        "receiver-demo",
        Role.receiver,
        "order deliveries for the first locked-down compound",
    ),
    DemoLogin(
        "producer",
        "producer-demo",
        Role.producer,
        "keep its record, post offers, answer proposals and ship orders (one farm)",
    ),
    DemoLogin(
        "operator",
        "operator-demo",
        Role.operator,
        "file hotline tickets from calls and work the hotline's queue",
    ),
    DemoLogin(
        "checkpoint",
        "checkpoint-demo",
        Role.checkpoint,
        "verify transport passes and record scans at checkpoint G310-W",
    ),
    DemoLogin(
        "officer",
        "officer-demo",
        Role.service_officer,
        f"service officer of {DEMO_STORE}'s chain, three more chains and three markets: "
        "their stores worst first, log visits (/officers/me)",
    ),
    DemoLogin(
        "officer2",
        "officer2-demo",
        Role.service_officer,
        "service officer of four chains, not visited for ten days (the bureau's coverage page)",
    ),
]


@dataclass(frozen=True)
class DemoKey:
    """A demo API key; ``secret`` is shown once (only its hash is stored)."""

    name: str
    role: Role
    bound_to: str | None
    secret: str


@dataclass(frozen=True)
class DemoSummary:
    """What ``load_demo_city`` wrote, for the CLI to print: counts (``stores`` counts
    every outlet, ``chain_stores`` + ``markets``), the reported days, when the lockdown
    and the supply disruption began and where, and the demo logins and API keys."""

    regions: int
    districts: int
    townships: int
    enterprises: int
    chains: int
    stores: int
    chain_stores: int
    markets: int
    products: int
    conversions: int
    report_lines: int
    first_date: date
    last_date: date
    lockdown_start: date | None
    disruption_start: date | None
    disrupted_districts: tuple[str, ...]
    missing_last_day: tuple[str, ...]
    logins: tuple[DemoLogin, ...]
    api_keys: tuple[DemoKey, ...]
    compounds: int = 0
    locked_compounds: int = 0
    depots: int = 0
    trucks: int = 0
    open_requests: int = 0
    urgent_requests: int = 0
    producers: int = 0
    offers: int = 0
    tickets: int = 0
    unanswered_tickets: int = 0
    needs: int = 0
    proposals: int = 0
    supply_orders: int = 0
    passes: int = 0
    revoked_pass: str | None = None
    officer_assignments: int = 0
    officer_visits: int = 0
    officer_tickets: int = 0
    pass_applications: int = 0


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values, missing values as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")  # type: ignore[return-value]


def _code_ids(session: Session, model: Any) -> dict[str, int]:
    return {str(code): int(ident) for code, ident in session.execute(select(model.code, model.id))}


def _lookup(codes: pd.Series, ids: dict[str, int], label: str) -> pd.Series:
    """Map codes to ids; a code not in ``ids`` is a bug in the frames, so say which."""
    mapped = codes.map(ids)
    unknown = codes.notna() & mapped.isna()
    if unknown.any():
        raise ValueError(f"unknown {label} codes: {sorted(set(codes[unknown]))[:5]}")
    return mapped


def _ensure_empty(session: Session) -> None:
    counts = {
        label: session.execute(select(func.count()).select_from(model)).scalar_one()
        for label, model in (
            ("stores", Store),
            ("regions", Region),
            ("enterprises", Enterprise),
            ("products", Product),
        )
    }
    present = {label: count for label, count in counts.items() if count}
    if present:
        found = ", ".join(f"{count} {label}" for label, count in present.items())
        raise ValueError(
            f"database is not empty (it has {found}); the demo loads only into a fresh database"
        )


def load_master_data(session: Session, frames: MasterFrames) -> IdMaps:
    """Insert the regions, enterprises, stores, products and unit conversions of a
    generated city or province set-based (10,000 stores in well under a second) and
    return code → id maps for the reports.

    Units and categories must already be there (the first migration seeds them); a
    database that already holds stores or other master data is refused, so the demo
    never mixes with real data.
    """
    _ensure_empty(session)
    categories = _code_ids(session, ProductCategory)
    units = set(session.scalars(select(Unit.code)))
    missing = (set(frames.products["category"]) - set(categories)) | (
        set(frames.products["unit"]) | set(frames.conversions["unit"])
    ) - units
    if missing:
        raise ValueError(
            f"categories or units {sorted(missing)} are missing: run the migrations first"
        )

    region_ids: dict[str, int] = {}
    regions = frames.regions
    for level in REGION_LEVELS:
        batch = regions[regions["level"] == level]
        if batch.empty:
            continue
        parent_id = _lookup(batch["parent_code"], region_ids, "parent region")
        rows = batch.drop(columns=["parent_code"]).assign(parent_id=parent_id)
        session.execute(insert(Region), _records(rows))
        region_ids = _code_ids(session, Region)

    session.execute(insert(Enterprise), _records(frames.enterprises))
    enterprise_ids = _code_ids(session, Enterprise)

    stores = frames.stores
    store_rows = stores.drop(
        columns=["region_code", "district_code", "enterprise_code", "size"]
    ).assign(
        region_id=_lookup(stores["region_code"], region_ids, "region"),
        enterprise_id=_lookup(stores["enterprise_code"], enterprise_ids, "enterprise"),
    )
    session.execute(insert(Store), _records(store_rows))
    store_ids = _code_ids(session, Store)

    products = frames.products
    product_rows = products.drop(columns=["category", "typical_daily_sales"]).assign(
        category_id=_lookup(products["category"], categories, "category")
    )
    session.execute(insert(Product), _records(product_rows))
    product_ids = _code_ids(session, Product)

    conversions = frames.conversions
    if not conversions.empty:
        conversion_rows = conversions.drop(columns=["product_code"]).assign(
            product_id=_lookup(conversions["product_code"], product_ids, "product")
        )
        session.execute(insert(ProductUnitConversion), _records(conversion_rows))
    session.flush()
    return {
        "regions": region_ids,
        "enterprises": enterprise_ids,
        "stores": store_ids,
        "products": product_ids,
    }


def canonical_rows(reports: pd.DataFrame, ids: IdMaps) -> pd.DataFrame:
    """Report rows by code → the id-based rows ``store_report_lines`` takes (store_id,
    report_date as ``date`` objects, product_id, float stock, sales, price, received)."""
    store_id = _lookup(reports["store_code"], ids["stores"], "store")
    product_id = _lookup(reports["product_code"], ids["products"], "product")
    return pd.DataFrame(
        {
            "store_id": store_id.astype("int64").to_numpy(),
            "report_date": reports["report_date"].astype(object).to_numpy(),
            "product_id": product_id.astype("int64").to_numpy(),
            "stock": reports["stock"].to_numpy(dtype="float64"),
            "sales": reports["sales"].to_numpy(dtype="float64"),
            "price": reports["price"].to_numpy(dtype="float64"),
            "received": reports["received"].to_numpy(dtype="float64"),
        }
    )


def load_demo_city(
    session: Session,
    *,
    seed: int = 42,
    end_date: date,
    days: int = 30,
    pass_authority: PassAuthority | None = None,
) -> DemoSummary:
    """Generate the demo city and write it: master data, ``days`` of reports ending on
    ``end_date`` (through the same upsert stores use, so revisions and constraints
    apply), the dispatch data (locked compounds, depots, 100 trucks and the day's open
    delivery requests), the supply network (about 2,000 producers, the day's board, a
    match run and a few orders), transport passes signed by ``pass_authority`` (without
    one, by a throwaway key), the ``DEMO_LOGINS`` users and one API key per login.

    Raises ValueError when the database already holds stores or master data.
    """
    city = generate_city(seed=seed, end_date=end_date, days=days)
    ids = load_master_data(session, city)
    load_district_outlines(session)
    rows = canonical_rows(city.reports, ids)
    inserted = 0
    for _, chunk in rows.groupby("report_date", sort=True):
        inserted += store_report_lines(session, chunk, submitted_by="demo").inserted

    fleet = generate_dispatch(city, seed=seed, lockdown_start=city.lockdown_start)
    load_dispatch(session, fleet, delivery_date=end_date)
    plate = driver_truck(fleet)
    locked = fleet.compounds[fleet.compounds["lockdown_status"] == "locked"]
    compound = str(locked["code"].iloc[0])
    supply = load_supply(
        session,
        generate_supply(city, seed=seed, day=end_date),
        day=end_date,
        lockdown_start=city.disruption_start,
        sealed=city.disrupted_districts,
    )

    hotline = load_hotline(
        session,
        seed=seed,
        end=demo_end(end_date),
        cluster_district=city.disrupted_districts[0] if city.disrupted_districts else None,
    )

    chain = str(city.stores.set_index("code").at[DEMO_STORE, "enterprise_code"])
    bindings: dict[str, tuple[int | None, int | None, str | None]] = {
        "store": (ids["stores"][DEMO_STORE], None, DEMO_STORE),
        "chain": (None, ids["enterprises"][chain], chain),
        "driver": (None, None, plate),
        "receiver": (None, None, compound),
    }
    dispatch_bindings = {
        "driver": (session.scalar(select(Truck.id).where(Truck.plate == plate)), None),
        "receiver": (None, session.scalar(select(Compound.id).where(Compound.code == compound))),
    }
    producer_id = session.scalar(select(Producer.id).where(Producer.code == supply.producer_code))
    bindings["producer"] = (None, None, supply.producer_code)
    districts = {
        region.code: region
        for region in session.scalars(select(Region).where(Region.level == RegionLevel.district))
    }
    sealed = [code for code in city.disrupted_districts if code in districts] or sorted(districts)
    other = next(code for code in sorted(districts) if code != sealed[0])
    passes = load_passes(
        session,
        authority=pass_authority
        or PassAuthority(issuer="CN-410400-SWB", keys=KeyRing(active=SigningKey.generate())),
        district=districts[sealed[0]],
        other_district=districts[other],
        chain=chain,
        producer=supply.producer_code,
        now=utc_now(),
    )
    bindings["checkpoint"] = (None, None, DEMO_CHECKPOINT)
    bindings["district"] = (None, None, sealed[0])
    region_bindings = {"district": districts[sealed[0]].id}
    keys = []
    for login in DEMO_LOGINS:
        store_id, enterprise_id, bound_to = bindings.get(login.username, (None, None, None))
        truck_id, compound_id = dispatch_bindings.get(login.username, (None, None))
        create_user(
            session,
            username=login.username,
            password=login.password,
            role=login.role,
            full_name=f"Demo {login.username}",
            store_id=store_id,
            enterprise_id=enterprise_id,
            truck_id=truck_id,
            compound_id=compound_id,
            producer_id=producer_id if login.role is Role.producer else None,
            checkpoint_id=passes.checkpoint_id if login.role is Role.checkpoint else None,
            region_id=region_bindings.get(login.username),
        )
        if login.role in PERSONAL_ROLES:
            continue  # they sign in for a token: a key would be no one (no assignments)
        _, secret = create_api_key(
            session,
            name=f"demo {login.username}",
            role=login.role,
            store_id=store_id,
            enterprise_id=enterprise_id,
            truck_id=truck_id,
            compound_id=compound_id,
            producer_id=producer_id if login.role is Role.producer else None,
            checkpoint_id=passes.checkpoint_id if login.role is Role.checkpoint else None,
            region_id=region_bindings.get(login.username),
            created_by="demo",
        )
        keys.append(DemoKey(f"demo {login.username}", login.role, bound_to, secret))
    session.flush()
    bureau_id = session.scalar(select(User.id).where(User.username == "bureau"))
    assert bureau_id is not None
    officers = load_officers(
        session,
        seed=seed,
        officers=("officer", "officer2"),
        demo_chain=chain,
        bureau=Principal("user", bureau_id, "bureau", Role.bureau),
        last_date=end_date,
        now=demo_end(end_date),
    )

    stores, enterprises, regions = city.stores, city.enterprises, city.regions
    district_names = regions.set_index("code")["name"]
    return DemoSummary(
        regions=len(regions),
        districts=int((regions["level"] == "district").sum()),
        townships=int((regions["level"] == "township").sum()),
        enterprises=len(enterprises),
        chains=int((enterprises["kind"] == "chain").sum()),
        stores=len(stores),
        chain_stores=int((stores["kind"] == "supermarket").sum()),
        markets=int((stores["kind"] == "farmers_market").sum()),
        products=len(city.products),
        conversions=len(city.conversions),
        report_lines=inserted,
        first_date=city.first_date,
        last_date=city.end_date,
        lockdown_start=city.lockdown_start,
        disruption_start=city.disruption_start,
        disrupted_districts=tuple(str(district_names[c]) for c in city.disrupted_districts),
        missing_last_day=city.missing_last_day,
        logins=tuple(DEMO_LOGINS),
        api_keys=tuple(keys),
        compounds=len(fleet.compounds),
        locked_compounds=len(locked),
        depots=len(fleet.depots),
        trucks=len(fleet.trucks),
        tickets=hotline.tickets,
        unanswered_tickets=hotline.unanswered,
        open_requests=len(fleet.requests),
        urgent_requests=int((fleet.requests["priority"] == "urgent").sum()),
        producers=supply.producers,
        offers=supply.offers,
        needs=supply.needs,
        proposals=supply.proposals,
        supply_orders=supply.orders,
        passes=passes.issued,
        revoked_pass=passes.revoked,
        officer_assignments=officers.assignments,
        officer_visits=officers.visits,
        officer_tickets=officers.tickets,
        pass_applications=passes.applications,
    )
