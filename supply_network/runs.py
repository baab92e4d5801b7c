"""A match run: the open board through the optimiser (``matching.match``), stored as
proposals for both sides to answer.

A run first lets every unanswered proposal of earlier runs lapse (superseded), holds back
what half-answered proposals ask (one side accepted, the other has not answered), and
then proposes afresh over what is left. Needs of districts under a recorded lockdown get
priority 1 and needs facing a critical shortage alert of their product in their district
priority 2; the matcher serves higher levels first (``docs/matching.md``). Offers of
producers in a locked-down region are left out: they cannot ship. Two runs never
overlap in their writes: PostgreSQL takes a transaction advisory lock, SQLite's writers
queue anyway. The solve itself may run outside any transaction (``read_in``): the board
is read again under the lock and the run is refused (409) if it changed meanwhile.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from core.access import Principal, require_national, require_role
from core.database import SessionFactory, mark_read_only
from core.errors import Conflict
from models import (
    Alert,
    AlertRule,
    AlertStatus,
    MatchRun,
    Producer,
    Product,
    Proposal,
    ProposalStatus,
    Role,
    Severity,
    Store,
    SupplyNeed,
    SupplyOffer,
)
from models.base import utc_now
from supply_network.board import MatchSettings
from supply_network.matching import match
from supply_network.places import locked_region_ids
from supply_network.queries.deals import MatchRunView, run_view
from supply_network.rules import changed_rows, floor_quantity

LOCKDOWN_PRIORITY = 1
CRITICAL_ALERT_PRIORITY = 2
SHORTAGE_RULES = (AlertRule.low_supply, AlertRule.stockout)
MATCH_LOCK = int.from_bytes(hashlib.sha256(b"supplywatch:match").digest()[:8], "big", signed=True)


def _one_run_at_a_time(session: Session) -> None:
    """Wait for any other run to finish (PostgreSQL; on SQLite a writer holds the file)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MATCH_LOCK})


def _held_back(session: Session) -> tuple[pd.Series, pd.Series]:
    """Quantity that half-answered proposals ask, per offer id and per need id (the
    unanswered ones lapse when a run begins, so they hold nothing back)."""
    held = pd.DataFrame(
        session.execute(
            select(Proposal.offer_id, Proposal.need_id, Proposal.quantity).where(
                Proposal.status == ProposalStatus.proposed,
                or_(Proposal.producer_answer.is_not(None), Proposal.buyer_answer.is_not(None)),
            )
        ).all(),
        columns=["offer_id", "need_id", "quantity"],
    )
    return (
        held.groupby("offer_id")["quantity"].sum(),
        held.groupby("need_id")["quantity"].sum(),
    )


def open_offers_frame(session: Session, *, today: date, locked: set[int]) -> pd.DataFrame:
    """Open offers of active producers outside locked-down regions, as the matcher reads
    them (``board.OFFER_COLUMNS``), with what is committed or held back."""
    rows = session.execute(
        select(
            SupplyOffer.id,
            Product.code,
            SupplyOffer.quantity,
            SupplyOffer.committed_quantity,
            SupplyOffer.price,
            SupplyOffer.latitude,
            SupplyOffer.longitude,
            SupplyOffer.available_from,
            SupplyOffer.available_to,
            func.coalesce(SupplyOffer.minimum_lot, 0.0),
            Producer.region_id,
        )
        .join(Product, Product.id == SupplyOffer.product_id)
        .join(Producer, Producer.id == SupplyOffer.producer_id)
        .where(
            SupplyOffer.withdrawn_at.is_(None),
            SupplyOffer.available_to >= today,
            SupplyOffer.committed_quantity < SupplyOffer.quantity,
            Producer.active.is_(True),
            Product.active.is_(True),
        )
    ).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "offer_id",
            "product",
            "quantity",
            "committed_quantity",
            "price",
            "latitude",
            "longitude",
            "available_from",
            "available_to",
            "minimum_lot",
            "region_id",
        ],
    )
    frame = frame[~frame["region_id"].isin(locked)].drop(columns="region_id")
    held_offers, _ = _held_back(session)
    held = frame["offer_id"].map(held_offers).fillna(0.0)
    frame["committed_quantity"] = np.minimum(frame["committed_quantity"] + held, frame["quantity"])
    return frame.reset_index(drop=True)


def open_needs_frame(session: Session, *, today: date, locked: set[int]) -> pd.DataFrame:
    """Open needs as the matcher reads them (``board.NEED_COLUMNS``), a deactivated store's
    left out (it takes no delivery): the quantity still wanted after commitments and
    held-back proposals, and each need's priority."""
    rows = session.execute(
        select(
            SupplyNeed.id,
            Product.code,
            SupplyNeed.quantity - SupplyNeed.committed_quantity,
            SupplyNeed.max_price,
            SupplyNeed.needed_by,
            SupplyNeed.latitude,
            SupplyNeed.longitude,
            SupplyNeed.district_id,
            SupplyNeed.product_id,
        )
        .join(Product, Product.id == SupplyNeed.product_id)
        .outerjoin(Store, Store.id == SupplyNeed.store_id)
        .where(
            SupplyNeed.withdrawn_at.is_(None),
            SupplyNeed.needed_by >= today,
            SupplyNeed.committed_quantity < SupplyNeed.quantity,
            Product.active.is_(True),
            or_(SupplyNeed.store_id.is_(None), Store.active.is_(True)),
        )
    ).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "need_id",
            "product",
            "quantity",
            "max_price",
            "needed_by",
            "latitude",
            "longitude",
            "district_id",
            "product_id",
        ],
    )
    _, held_needs = _held_back(session)
    frame["quantity"] = frame["quantity"] - frame["need_id"].map(held_needs).fillna(0.0)
    frame = frame[frame["quantity"] > 0].reset_index(drop=True)
    critical = pd.DataFrame(
        session.execute(
            select(Alert.district_id, Alert.product_id)
            .where(
                Alert.status != AlertStatus.resolved,
                Alert.severity == Severity.critical,
                Alert.rule.in_(SHORTAGE_RULES),
                Alert.district_id.is_not(None),
                Alert.product_id.is_not(None),
            )
            .distinct()
        ).all(),
        columns=["district_id", "product_id"],
    ).assign(critical=True)
    flagged = frame.merge(critical, on=["district_id", "product_id"], how="left")
    frame["priority"] = np.where(
        flagged["critical"].fillna(False).to_numpy(dtype=bool),
        CRITICAL_ALERT_PRIORITY,
        np.where(frame["district_id"].isin(locked), LOCKDOWN_PRIORITY, 0),
    )
    return frame.drop(columns=["district_id", "product_id"])


@dataclass(frozen=True, eq=False)
class OpenBoard:
    """What the matcher reads: the open offers and needs and each product's weight."""

    offers: pd.DataFrame
    needs: pd.DataFrame
    kg_per_unit: dict[str, float]

    def same_as(self, other: OpenBoard) -> bool:
        """Whether ``other`` holds exactly the same offers, needs and weights, in
        whatever order the database returned them."""
        return (
            _by_id(self.offers, "offer_id").equals(_by_id(other.offers, "offer_id"))
            and _by_id(self.needs, "need_id").equals(_by_id(other.needs, "need_id"))
            and self.kg_per_unit == other.kg_per_unit
        )


def _by_id(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows of ``frame`` ordered by ``column``, for comparing two reads."""
    return frame.sort_values(column, kind="stable").reset_index(drop=True)


def read_open_board(session: Session, *, today: date) -> OpenBoard:
    """The open board as a run on ``today`` matches it."""
    locked = locked_region_ids(session, day=today)
    return OpenBoard(
        offers=open_offers_frame(session, today=today, locked=locked),
        needs=open_needs_frame(session, today=today, locked=locked),
        kg_per_unit={
            str(code): float(weight)
            for code, weight in session.execute(select(Product.code, Product.kg_per_unit))
        },
    )


def run_matching(
    *,
    session: Session,
    principal: Principal,
    today: date,
    settings: MatchSettings | None = None,
    read_in: SessionFactory | None = None,
) -> MatchRunView:
    """Propose supply for every open need from the open offers, optimally (priority
    levels first, then the fewest kg x road km, plus the price term if weighted); the
    national staff's: a run supersedes and proposes over every region's board, so staff
    bound to a region may not start one.

    With ``read_in`` the board is read in a short read-only transaction of its own and
    matched outside any transaction, so a long HiGHS solve holds no write lock;
    ``session`` then reads the board again and writes only if it is unchanged (409 and
    nothing stored otherwise: an offer or need changed while the matcher ran)."""
    require_role(principal, Role.bureau)
    require_national(principal)
    settings = settings or MatchSettings()
    started = time.perf_counter()
    if read_in is None:
        _one_run_at_a_time(session)
        board = read_open_board(session, today=today)
    else:
        with read_in() as reading:
            mark_read_only(reading)
            board = read_open_board(reading, today=today)
    offers, needs = board.offers, board.needs
    result = match(
        offers=offers, needs=needs, kg_per_unit_by_product=board.kg_per_unit, settings=settings
    )
    if read_in is not None:
        _one_run_at_a_time(session)
        if not read_open_board(session, today=today).same_as(board):
            raise Conflict(
                "the open offers or needs changed while the matcher ran; "
                "nothing was stored, run it again"
            )
    superseded = changed_rows(
        session,
        update(Proposal)
        .where(
            Proposal.status == ProposalStatus.proposed,
            Proposal.producer_answer.is_(None),
            Proposal.buyer_answer.is_(None),
        )
        .values(status=ProposalStatus.superseded),
    )
    proposals = result.proposals
    floored = np.asarray([floor_quantity(value) for value in proposals["quantity"]])
    proposals = proposals.assign(
        quantity=floored,
        cost=proposals["cost"]
        * floored
        / proposals["quantity"].where(proposals["quantity"] > 0, 1),
    )
    proposals = proposals[proposals["quantity"] > 0]
    short = result.needs[result.needs["reason"].notna()]
    run = MatchRun(
        business_date=today,
        run_at=utc_now(),
        requested_by=principal.label,
        maximum_distance_km=settings.maximum_distance_km,
        price_weight=settings.price_weight_kg_km_per_cny,
        offers=len(offers),
        needs=len(needs),
        proposals=len(proposals),
        superseded=superseded,
        total_cost=round(float(proposals["cost"].sum()), 1),
        seconds=0.0,
        unmet=[
            {
                "need_id": need_id,
                "product": product,
                "unmet_quantity": round(unmet, 3),
                "reason": reason,
            }
            for need_id, product, unmet, reason in zip(
                short["need_id"].astype(int).tolist(),
                short["product"].astype(str).tolist(),
                short["unmet_quantity"].astype(float).tolist(),
                short["reason"].astype(str).tolist(),
                strict=True,
            )
        ],
    )
    session.add(run)
    session.flush()
    if len(proposals):
        priorities = dict(
            zip(
                needs["need_id"].astype(int).tolist(),
                needs["priority"].astype(int).tolist(),
                strict=True,
            )
        )
        prices = dict(
            zip(
                offers["offer_id"].astype(int).tolist(),
                offers["price"].astype(float).tolist(),
                strict=True,
            )
        )
        session.execute(
            insert(Proposal),
            [
                {
                    "match_run_id": run.id,
                    "offer_id": offer_id,
                    "need_id": need_id,
                    "quantity": quantity,
                    "price": prices[offer_id],
                    "distance_km": distance,
                    "cost": cost,
                    "priority": priorities[need_id],
                    "status": ProposalStatus.proposed,
                }
                for offer_id, need_id, quantity, distance, cost in zip(
                    proposals["offer_id"].astype(int).tolist(),
                    proposals["need_id"].astype(int).tolist(),
                    proposals["quantity"].astype(float).tolist(),
                    proposals["distance_km"].astype(float).tolist(),
                    proposals["cost"].astype(float).tolist(),
                    strict=True,
                )
            ],
        )
    run.seconds = round(time.perf_counter() - started, 3)
    session.flush()
    return run_view(run)
