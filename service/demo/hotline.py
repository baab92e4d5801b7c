"""The demo city's hotline: the working groups and default rules, and a week of tickets
from calls and the public form, worked as a busy desk works them (most answered in time,
some resolved, some waiting on the caller, a few left unanswered past their SLA), with a
cluster of complaints about eggs in one district on the last day.

Tickets go through the same domain functions as the API (routing, trail, clocks), with
instants in the past; loading only flushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from core.access import Principal
from hotline.routing import ensure_defaults
from hotline.tickets import (
    PublicFiling,
    TicketInput,
    comment_on_ticket,
    file_ticket,
    resolve_ticket,
    set_waiting_on_caller,
)
from models import (
    CallerKind,
    Product,
    Region,
    RegionLevel,
    Role,
    TicketCategory,
    TicketPriority,
)
from models.base import utc_now
from service.demo.master import stage_rng

HOTLINE_STAGE = 61
TEXTS = {
    TicketCategory.cannot_buy: "{product}: none on the shelves near us since yesterday.",
    TicketCategory.price_complaint: "{product}: the price doubled overnight at the market.",
    TicketCategory.store_closed_or_short: "The supermarket at the gate closed at noon.",
    TicketCategory.delivery_late: "Our compound's delivery did not come this morning.",
    TicketCategory.pass_or_checkpoint: "The checkpoint turned back our vegetable truck.",
    TicketCategory.producer_cannot_sell: "We have 3 tonnes of cabbage and no buyer.",
    TicketCategory.other: "Where can elderly residents order groceries by phone?",
}


@dataclass(frozen=True)
class HotlineSummary:
    """What the demo hotline holds."""

    tickets: int
    unanswered: int
    resolved: int


def load_hotline(
    session: Session,
    *,
    seed: int,
    end: datetime,
    days: int = 7,
    per_day: int = 12,
    cluster_district: str | None = None,
) -> HotlineSummary:
    """Write the hotline's defaults and ``days`` of tickets ending at ``end``."""
    ensure_defaults(session=session)
    random = stage_rng(seed, HOTLINE_STAGE)
    district = aliased(Region)
    places = session.execute(
        select(Region.code, district.code)
        .join(district, district.id == Region.parent_id)
        .where(district.level == RegionLevel.district)
        .order_by(Region.code)
    ).all()
    # a caller names the product as people do (its name), the ticket carries its code
    names = dict(session.execute(select(Product.code, Product.name).order_by(Product.code)).all())
    products = list(names)
    if not places or not products:
        return HotlineSummary(tickets=0, unanswered=0, resolved=0)
    operator = Principal("user", 0, "operator-demo", Role.operator)
    categories = list(TicketCategory)
    weights = [0.3, 0.15, 0.15, 0.15, 0.08, 0.07, 0.1]
    tickets = unanswered = resolved = 0
    for day in range(days, 0, -1):
        for _ in range(per_day):
            filed_at = end - timedelta(days=day - 1, minutes=float(random.uniform(0, 24 * 60)))
            category = categories[int(random.choice(len(categories), p=weights))]
            product = products[int(random.integers(len(products)))]
            place = places[int(random.integers(len(places)))][0]
            outcome = float(random.random())
            filed = _file(
                session,
                operator,
                category=category,
                product=product,
                product_name=names[product],
                place=place,
                filed_at=filed_at,
                public=outcome < 0.3,
                priority=TicketPriority.urgent if outcome > 0.9 else TicketPriority.normal,
            )
            tickets += 1
            reply_after = timedelta(minutes=float(random.uniform(5, 180)))
            if outcome < 0.08 or filed_at + reply_after > end:
                unanswered += 1
                continue
            comment_on_ticket(
                session=session,
                principal=operator,
                number=filed,
                text="We have passed this to the district office; we will call you back.",
                to_caller=True,
                now=filed_at + reply_after,
            )
            done_at = filed_at + reply_after + timedelta(hours=float(random.uniform(1, 30)))
            if outcome < 0.2 and done_at < end:
                set_waiting_on_caller(
                    session=session,
                    principal=operator,
                    number=filed,
                    waiting=True,
                    note="Asked the caller for the store's address.",
                    now=done_at,
                )
            elif done_at < end:
                resolve_ticket(
                    session=session,
                    principal=operator,
                    number=filed,
                    resolution="The chain restocked the stores of the area; the caller confirmed.",
                    now=done_at,
                )
                resolved += 1
    if cluster_district is not None:
        in_district = [place for place, parent in places if parent == cluster_district]
        eggs = "eggs" if "eggs" in names else products[0]
        for number in range(6):
            _file(
                session,
                operator,
                category=TicketCategory.cannot_buy,
                product=eggs,
                product_name=names[eggs],
                place=in_district[number % len(in_district)] if in_district else places[0][0],
                filed_at=end - timedelta(hours=2 + 3 * number),
                public=True,
                priority=TicketPriority.high,
            )
            tickets += 1
            unanswered += 1
    session.flush()
    return HotlineSummary(tickets=tickets, unanswered=unanswered, resolved=resolved)


def _file(
    session: Session,
    operator: Principal,
    *,
    category: TicketCategory,
    product: str,
    product_name: str,
    place: str,
    filed_at: datetime,
    public: bool,
    priority: TicketPriority,
) -> str:
    """File one demo ticket at ``filed_at``, by phone or from the form; returns its number."""
    ticket, _ = file_ticket(
        session=session,
        new=TicketInput(
            category=category,
            text=TEXTS[category].format(product=product_name),
            region=place,
            product=product
            if category in (TicketCategory.cannot_buy, TicketCategory.price_complaint)
            else None,
            caller_kind=CallerKind.producer
            if category is TicketCategory.producer_cannot_sell
            else CallerKind.resident,
            caller_name="Demo caller",
            caller_phone="13800000000",
            priority=priority,
        ),
        principal=None if public else operator,
        public=PublicFiling(address=f"demo-{filed_at.isoformat()}", per_hour=1000)
        if public
        else None,
        now=filed_at,
    )
    return ticket.number


def demo_end(
    last_date: date, zone: str = "Asia/Shanghai", *, now: datetime | None = None
) -> datetime:
    """The demo's "now": the evening of its last business day in the city's zone, or the
    real now when the demo is loaded before that evening (a ticket filed after the moment
    it is read has no SLA clock and sorts last in the queue)."""
    evening = datetime.combine(last_date, time(20, 0), tzinfo=ZoneInfo(zone))
    return min(evening, now or utc_now())
