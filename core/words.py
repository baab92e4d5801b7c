"""The words people read for the values the tables hold (enum members on the pages and in
problems), marked for the catalogue here because ``models`` knows nothing of ours.

The API names these values by their codes (``"en_route"``); the pages and problem texts
show ``word(member)``, whose message id is the value's English (``"en route"``), which
the catalogue translates. A code is never its own message id: English would read it.
"""

from __future__ import annotations

from enum import StrEnum

from core.text import N_, RENAMED_MESSAGES, Text, phrase
from models import (
    AlertRule,
    AlertStatus,
    Answer,
    AssignmentLevel,
    BulletinStatus,
    CallerKind,
    DeliveryStatus,
    JobStatus,
    LockdownStatus,
    OrderStatus,
    PassStatus,
    PlanStatus,
    PostingStatus,
    ProposalStatus,
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

ENUM_WORDS: dict[type[StrEnum], dict[str, str]] = {
    AlertRule: {
        AlertRule.low_supply: N_("low supply"),
        AlertRule.stockout: N_("stockout"),
        AlertRule.price_spike: N_("price spike"),
        AlertRule.sales_surge: N_("sales surge"),
        AlertRule.missing_report: N_("missing report"),
        AlertRule.ticket_sla: N_("ticket SLA"),
        AlertRule.complaint_cluster: N_("complaint cluster"),
    },
    Severity: {Severity.warning: N_("warning"), Severity.critical: N_("critical")},
    AlertStatus: {
        AlertStatus.pending: N_("pending"),
        AlertStatus.firing: N_("firing"),
        AlertStatus.acknowledged: N_("acknowledged"),
        AlertStatus.resolved: N_("resolved"),
    },
    SupplyStatus: {
        SupplyStatus.stocked_out: N_("stocked out"),
        SupplyStatus.critical: N_("critical"),
        SupplyStatus.low: N_("low"),
        SupplyStatus.adequate: N_("adequate"),
        SupplyStatus.overstocked: N_("overstocked"),
        SupplyStatus.no_demand: N_("no demand"),
        SupplyStatus.unknown: N_("no data"),
    },
    PlanStatus: {
        PlanStatus.draft: N_("draft"),
        PlanStatus.committed: N_("committed"),
        PlanStatus.discarded: N_("discarded"),
    },
    UnassignedReason: {
        UnassignedReason.too_heavy: N_("heavier than any truck carries"),
        UnassignedReason.window_unreachable: N_("its time window cannot be reached"),
        UnassignedReason.capacity_exhausted: N_("no truck has room left"),
        UnassignedReason.time_exhausted: N_("no truck has time left"),
        UnassignedReason.no_vehicles: N_("no truck available"),
        UnassignedReason.removed_by_dispatcher: N_("removed by the dispatcher"),
    },
    DeliveryStatus: {
        DeliveryStatus.assigned: N_("assigned"),
        DeliveryStatus.loaded: N_("loaded"),
        DeliveryStatus.en_route: N_("en route"),
        DeliveryStatus.delivered: N_("delivered"),
        DeliveryStatus.failed: N_("failed"),
        DeliveryStatus.cancelled: N_("cancelled"),
    },
    RequestStatus: {
        RequestStatus.open: N_("open"),
        RequestStatus.assigned: N_("assigned"),
        RequestStatus.delivered: N_("delivered"),
        RequestStatus.failed: N_("failed"),
        RequestStatus.cancelled: N_("cancelled"),
    },
    TruckStatus: {
        TruckStatus.available: N_("available"),
        TruckStatus.out_of_service: N_("out of service"),
    },
    RequestPriority: {RequestPriority.normal: N_("normal"), RequestPriority.urgent: N_("urgent")},
    Role: {
        Role.admin: N_("admin"),
        Role.bureau: N_("bureau"),
        Role.store: N_("store"),
        Role.dispatcher: N_("dispatcher"),
        Role.driver: N_("driver"),
        Role.receiver: N_("receiver"),
        Role.producer: N_("producer"),
        Role.operator: N_("operator"),
        Role.working_group: N_("working group"),
        Role.checkpoint: N_("checkpoint"),
        Role.service_officer: N_("service officer"),
    },
    StoreKind: {
        StoreKind.supermarket: N_("supermarket"),
        StoreKind.farmers_market: N_("farmers' market"),
        StoreKind.other: N_("other"),
    },
    RegionLevel: {
        RegionLevel.province: N_("province"),
        RegionLevel.city: N_("city"),
        RegionLevel.district: N_("district"),
        RegionLevel.township: N_("township"),
        RegionLevel.community: N_("community"),
    },
    ScopeLevel: {
        ScopeLevel.store: N_("store"),
        ScopeLevel.district: N_("district"),
        ScopeLevel.city: N_("city"),
    },
    LockdownStatus: {LockdownStatus.open: N_("open"), LockdownStatus.locked: N_("locked down")},
    BulletinStatus: {BulletinStatus.draft: N_("draft"), BulletinStatus.published: N_("published")},
    TicketChannel: {TicketChannel.phone: N_("phone"), TicketChannel.web: N_("web")},
    CallerKind: {
        CallerKind.resident: N_("resident"),
        CallerKind.store: N_("store"),
        CallerKind.producer: N_("producer"),
        CallerKind.driver: N_("driver"),
        CallerKind.other: N_("other"),
    },
    TicketCategory: {
        TicketCategory.cannot_buy: N_("cannot buy goods"),
        TicketCategory.price_complaint: N_("price complaint"),
        TicketCategory.store_closed_or_short: N_("store closed or short of goods"),
        TicketCategory.delivery_late: N_("delivery to a locked-down compound late or missing"),
        TicketCategory.pass_or_checkpoint: N_("pass or checkpoint problem"),
        TicketCategory.producer_cannot_sell: N_("producer cannot sell"),
        TicketCategory.other: N_("other"),
    },
    TicketPriority: {
        TicketPriority.urgent: N_("urgent"),
        TicketPriority.high: N_("high"),
        TicketPriority.normal: N_("normal"),
        TicketPriority.low: N_("low"),
    },
    TicketStatus: {
        TicketStatus.new: N_("new"),
        TicketStatus.assigned: N_("assigned"),
        TicketStatus.waiting_on_caller: N_("waiting on the caller"),
        TicketStatus.resolved: N_("solved"),
        TicketStatus.merged: N_("merged"),
    },
    AssignmentLevel: {AssignmentLevel.city: N_("city"), AssignmentLevel.county: N_("county")},
    VisitMode: {
        VisitMode.on_site: N_("on site"),
        VisitMode.phone: N_("phone"),
        VisitMode.video: N_("video"),
        VisitMode.message: N_("message"),
    },
    PostingStatus: {
        PostingStatus.open: N_("open"),
        PostingStatus.partly_matched: N_("partly matched"),
        PostingStatus.matched: N_("matched"),
        PostingStatus.expired: N_("expired"),
        PostingStatus.withdrawn: N_("withdrawn"),
    },
    ProposalStatus: {
        ProposalStatus.proposed: N_("proposed"),
        ProposalStatus.accepted: N_("accepted"),
        ProposalStatus.declined: N_("declined"),
        ProposalStatus.superseded: N_("superseded"),
    },
    PassStatus: {
        PassStatus.applied: N_("applied"),
        PassStatus.approved: N_("approved"),
        PassStatus.rejected: N_("rejected"),
        PassStatus.revoked: N_("revoked"),
    },
    JobStatus: {
        JobStatus.queued: N_("queued"),
        JobStatus.running: N_("running"),
        JobStatus.succeeded: N_("succeeded"),
        JobStatus.failed: N_("failed"),
    },
    Answer: {Answer.accepted: N_("accepted"), Answer.declined: N_("declined")},
    OrderStatus: {
        OrderStatus.committed: N_("committed"),
        OrderStatus.shipped: N_("shipped"),
        OrderStatus.received: N_("received"),
    },
}
"""The English (the message id) of every member of each enum people read; a test checks
none is missing and none is its own code."""

RENAMED_MESSAGES.update(
    {code: words for table in ENUM_WORDS.values() for code, words in table.items() if code != words}
)


def english(member: StrEnum) -> str:
    """The English words of a value the tables hold: the message id the catalogue
    translates, for a page or an export that words it."""
    return ENUM_WORDS[type(member)][member]


def word(member: StrEnum) -> Text:
    """A value the tables hold, as words the pages translate."""
    return phrase(english(member))
