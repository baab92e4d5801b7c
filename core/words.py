"""The words people read for the values the tables hold (enum members on the pages and in
problems), marked for the catalogue here because ``models`` knows nothing of ours.

The API names these values by themselves (``"firing"``); the pages and problem texts
show ``word(member)``, which the catalogue translates.
"""

from __future__ import annotations

from enum import StrEnum

from core.text import N_, Text, phrase
from models import (
    AlertRule,
    AlertStatus,
    AssignmentLevel,
    BulletinStatus,
    CallerKind,
    DeliveryStatus,
    LockdownStatus,
    PlanStatus,
    RegionLevel,
    RequestPriority,
    RequestStatus,
    Role,
    ScopeLevel,
    Severity,
    StoreKind,
    SupplyStatus,
    TicketCategory,
    TicketChannel,
    TicketPriority,
    TicketStatus,
    TruckStatus,
    UnassignedReason,
    VisitMode,
)

ENUM_WORDS: dict[type[StrEnum], tuple[str, ...]] = {
    AlertRule: (
        N_("low_supply"),
        N_("stockout"),
        N_("price_spike"),
        N_("sales_surge"),
        N_("missing_report"),
        N_("ticket_sla"),
        N_("complaint_cluster"),
    ),
    Severity: (N_("warning"), N_("critical")),
    AlertStatus: (N_("pending"), N_("firing"), N_("acknowledged"), N_("resolved")),
    SupplyStatus: (
        N_("stocked_out"),
        N_("critical"),
        N_("low"),
        N_("adequate"),
        N_("overstocked"),
        N_("no_demand"),
        N_("unknown"),
    ),
    PlanStatus: (N_("draft"), N_("committed"), N_("discarded")),
    UnassignedReason: (
        N_("too_heavy"),
        N_("window_unreachable"),
        N_("capacity_exhausted"),
        N_("time_exhausted"),
        N_("no_vehicles"),
        N_("removed_by_dispatcher"),
    ),
    DeliveryStatus: (
        N_("assigned"),
        N_("loaded"),
        N_("en_route"),
        N_("delivered"),
        N_("failed"),
        N_("cancelled"),
    ),
    RequestStatus: (
        N_("open"),
        N_("assigned"),
        N_("delivered"),
        N_("failed"),
        N_("cancelled"),
    ),
    TruckStatus: (N_("available"), N_("out_of_service")),
    RequestPriority: (N_("normal"), N_("urgent")),
    Role: (
        N_("admin"),
        N_("bureau"),
        N_("store"),
        N_("dispatcher"),
        N_("driver"),
        N_("receiver"),
        N_("producer"),
        N_("operator"),
        N_("working_group"),
        N_("checkpoint"),
        N_("service_officer"),
    ),
    StoreKind: (N_("supermarket"), N_("farmers_market"), N_("other")),
    RegionLevel: (N_("province"), N_("city"), N_("district"), N_("township"), N_("community")),
    ScopeLevel: (N_("store"), N_("district"), N_("city")),
    LockdownStatus: (N_("open"), N_("locked")),
    BulletinStatus: (N_("draft"), N_("published")),
    TicketChannel: (N_("phone"), N_("web")),
    CallerKind: (N_("resident"), N_("store"), N_("producer"), N_("driver"), N_("other")),
    TicketCategory: (
        N_("cannot_buy"),
        N_("price_complaint"),
        N_("store_closed_or_short"),
        N_("delivery_late"),
        N_("pass_or_checkpoint"),
        N_("producer_cannot_sell"),
        N_("other"),
    ),
    TicketPriority: (N_("urgent"), N_("high"), N_("normal"), N_("low")),
    TicketStatus: (
        N_("new"),
        N_("assigned"),
        N_("waiting_on_caller"),
        N_("resolved"),
        N_("merged"),
    ),
    AssignmentLevel: (N_("city"), N_("county")),
    VisitMode: (N_("on_site"), N_("phone"), N_("video"), N_("message")),
}
"""Every member of each enum people read, by value (a test checks none is missing)."""


def word(member: StrEnum) -> Text:
    """A value the tables hold, as a word the pages translate (English: the value)."""
    return phrase(member.value)
