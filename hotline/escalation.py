"""Hotline alerts through the supply alerts' lifecycle: ``ticket_sla`` when an open
ticket's clock reaches 75 % (warning) or 100 % (critical) of its target, and
``complaint_cluster`` when tickets about one product or one category gather in a
district within a day. Webhooks, silences and acknowledgement then work as for any alert.

The escalation speaks only for these two rules (``HOTLINE_RULES``): an alert whose
condition no longer holds (the ticket answered, resolved or merged, the cluster thinned
out) resolves at the next escalation, and the supply rules' alerts are left alone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.text import N_, Names, Text, phrase, text_json
from core.words import word
from hotline.queries import OPEN_STATUSES, ticket_clocks
from models import (
    Product,
    Region,
    RegionLevel,
    Ticket,
    TicketCategory,
    TicketEvent,
)
from monitors.alerting.lifecycle import (
    CANDIDATE_COLUMNS,
    HOTLINE_RULES,
    LifecycleResult,
    apply_alert_lifecycle,
    load_rule_settings,
)
from monitors.alerting.silences import record_started_silences
from monitors.computing.candidates import FINGERPRINT_LENGTH
from monitors.notifications.outbox import enqueue_notifications

CLOCK_WORDS = {"first_response": N_("first response clock"), "resolution": N_("resolution clock")}
"""A ticket's two SLA clocks, as a ticket_sla summary names them."""


@dataclass(frozen=True)
class ClusterSettings:
    """How many tickets about one thing in one district within ``hours`` make a cluster
    (twice as many make it critical)."""

    count: int = 5
    hours: int = 24


def _fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:FINGERPRINT_LENGTH]


def _sla_fingerprint(ticket_id: int, clock: str) -> str:
    return _fingerprint(f"ticket_sla|ticket|{ticket_id}|{clock}")


def sla_summary(*, number: str, clock: str, used: float, target: float) -> Text:
    """A ticket_sla alert's words as a message id and its facts: the alert stores them in
    English (the API and the webhooks say that), the pages in the reader's language."""
    return phrase(
        "ticket {number}: {clock} at {used:.0f}% of its {target:.0f} min target",
        number=number,
        clock=phrase(CLOCK_WORDS[clock]),
        used=used,
        target=target,
    )


def _district_of_regions(session: Session) -> dict[int, int]:
    """Each region's district (the region itself for a district; none above districts)."""
    rows = session.execute(select(Region.id, Region.parent_id, Region.level)).all()
    parent = {identifier: parent_id for identifier, parent_id, _ in rows}
    level = {identifier: region_level for identifier, _, region_level in rows}
    found: dict[int, int] = {}
    for identifier in parent:
        current: int | None = identifier
        for _ in range(16):
            if current is None or level.get(current) is RegionLevel.district:
                break
            current = parent.get(current)
        if current is not None:
            found[identifier] = current
    return found


def ticket_sla_candidates(*, session: Session, now: datetime) -> pd.DataFrame:
    """One candidate per open ticket and clock at or past the first escalation percent."""
    open_tickets = session.execute(
        select(
            Ticket.id, Ticket.number, Ticket.region_id, Ticket.store_id, Ticket.product_id
        ).where(Ticket.status.in_(OPEN_STATUSES))
    ).all()
    if not open_tickets:
        return pd.DataFrame(columns=list(CANDIDATE_COLUMNS))
    tickets = pd.DataFrame(
        open_tickets, columns=["ticket_id", "number", "region_id", "store_id", "product_id"]
    ).set_index("ticket_id")
    clocks = ticket_clocks(session=session, ticket_ids=None, open_only=True, now=now)
    answered = set(
        session.scalars(
            select(TicketEvent.ticket_id)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(
                Ticket.status.in_(OPEN_STATUSES),
                TicketEvent.kind.in_(("replied_to_caller", "called_back")),
            )
        )
    )
    districts = _district_of_regions(session)
    parts = []
    for clock in CLOCK_WORDS:
        level = clocks[f"{clock}_escalation_level"].to_numpy(dtype=float)
        # the first-response clock of an answered ticket has ended, met or breached
        ended = clocks.index.isin(list(answered)) & (clock == "first_response")
        hit = clocks[(level > 0) & ~ended]
        if hit.empty:
            continue
        hit = hit[hit.index.isin(tickets.index)]
        rows = tickets.loc[hit.index]
        critical = hit[f"{clock}_escalation_level"].to_numpy() >= 100
        percent = hit[f"{clock}_percent_used"].to_numpy()
        texts = [
            sla_summary(number=number, clock=clock, used=used, target=target)
            for number, used, target in zip(
                rows["number"], percent, hit[f"{clock}_target_minutes"], strict=True
            )
        ]
        parts.append(
            pd.DataFrame(
                {
                    "fingerprint": [
                        _sla_fingerprint(int(ticket_id), clock) for ticket_id in hit.index
                    ],
                    "rule": "ticket_sla",
                    "severity": np.where(critical, "critical", "warning"),
                    "scope_level": "ticket",
                    "scope_id": hit.index.to_numpy(dtype=np.int64),
                    "store_id": rows["store_id"].astype("Int64").to_numpy(),
                    "district_id": pd.array(
                        [districts.get(int(region)) for region in rows["region_id"]], dtype="Int64"
                    ),
                    "product_id": rows["product_id"].astype("Int64").to_numpy(),
                    "category_id": pd.array([None] * len(hit), dtype="Int64"),
                    "value": np.round(percent, 1),
                    "threshold": hit[f"{clock}_escalation_level"].to_numpy(dtype=float),
                    "summary": [str(text) for text in texts],
                    "summary_text": [json.dumps(text_json(text)) for text in texts],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=list(CANDIDATE_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def complaint_cluster_candidates(
    *, session: Session, now: datetime, settings: ClusterSettings
) -> pd.DataFrame:
    """Districts where tickets about one product, or of one category, reached the count
    within the window: residents often notice empty shelves before the reports show them."""
    recent = session.execute(
        select(Ticket.region_id, Ticket.product_id, Ticket.category, Product.category_id)
        .outerjoin(Product, Product.id == Ticket.product_id)
        .where(Ticket.created_at > now - timedelta(hours=settings.hours))
    ).all()
    if not recent:
        return pd.DataFrame(columns=list(CANDIDATE_COLUMNS))
    frame = pd.DataFrame(recent, columns=["region_id", "product_id", "category", "category_id"])
    districts = _district_of_regions(session)
    frame["district_id"] = frame["region_id"].map(districts)
    frame = frame.dropna(subset=["district_id"])
    frame["category"] = frame["category"].map(lambda category: category.value)
    parts = []
    by_product = (
        frame.dropna(subset=["product_id"])
        .groupby(["district_id", "product_id", "category_id"], dropna=False)
        .size()
        .rename("tickets")
        .reset_index()
    )
    by_product["key"] = "product " + by_product["product_id"].astype("int64").astype(str)
    names = {
        product_id: (code, name_zh or code)
        for product_id, code, name_zh in session.execute(
            select(Product.id, Product.code, Product.name_zh).where(
                Product.id.in_([int(product) for product in by_product["product_id"].unique()])
            )
        )
    }
    by_product["subject"] = pd.Series(
        [
            phrase("{value}", value=Names(*names[int(product)]))
            for product in by_product["product_id"]
        ],
        index=by_product.index,
        dtype=object,
    )
    by_category = frame.groupby(["district_id", "category"]).size().rename("tickets").reset_index()
    by_category["key"] = "category " + by_category["category"]
    by_category["subject"] = pd.Series(
        [
            phrase("category {category}", category=word(TicketCategory(category)))
            for category in by_category["category"]
        ],
        index=by_category.index,
        dtype=object,
    )
    for groups, with_product in ((by_product, True), (by_category, False)):
        hit = groups[groups["tickets"] >= settings.count]
        if hit.empty:
            continue
        critical = hit["tickets"].to_numpy() >= 2 * settings.count
        texts = [
            phrase(
                "{count} hotline tickets about {subject} in {hours} h",
                count=int(count),
                subject=subject,
                hours=settings.hours,
            )
            for count, subject in zip(hit["tickets"], hit["subject"], strict=True)
        ]
        parts.append(
            pd.DataFrame(
                {
                    "fingerprint": [
                        _fingerprint(f"complaint_cluster|district|{int(district)}|{key}")
                        for district, key in zip(hit["district_id"], hit["key"], strict=True)
                    ],
                    "rule": "complaint_cluster",
                    "severity": np.where(critical, "critical", "warning"),
                    "scope_level": "district",
                    "scope_id": hit["district_id"].astype("int64").to_numpy(),
                    "store_id": pd.array([None] * len(hit), dtype="Int64"),
                    "district_id": hit["district_id"].astype("Int64").to_numpy(),
                    "product_id": (
                        hit["product_id"].astype("Int64").to_numpy()
                        if with_product
                        else pd.array([None] * len(hit), dtype="Int64")
                    ),
                    "category_id": (
                        hit["category_id"].astype("Int64").to_numpy()
                        if with_product
                        else pd.array([None] * len(hit), dtype="Int64")
                    ),
                    "value": hit["tickets"].to_numpy(dtype=float),
                    "threshold": np.where(critical, 2 * settings.count, settings.count).astype(
                        float
                    ),
                    "summary": [str(text) for text in texts],
                    "summary_text": [json.dumps(text_json(text)) for text in texts],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=list(CANDIDATE_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def escalate_tickets(
    *,
    session: Session,
    now: datetime,
    business_date: date,
    cluster: ClusterSettings,
    external_url: str,
) -> dict[str, int]:
    """Raise, escalate and resolve the hotline's alerts, queue their notifications and
    record silences that started (this runs every delivery tick, so a trail says so within
    a minute); returns the lifecycle's counts. Flushes only: the caller's unit of work
    commits."""
    candidates = pd.concat(
        [
            ticket_sla_candidates(session=session, now=now),
            complaint_cluster_candidates(session=session, now=now, settings=cluster),
        ],
        ignore_index=True,
    )
    result: LifecycleResult = apply_alert_lifecycle(
        session,
        candidates=candidates.loc[:, list(CANDIDATE_COLUMNS)],
        business_date=business_date,
        now=now,
        rule_settings=load_rule_settings(session),
        rules=HOTLINE_RULES,
    )
    counts = result.as_counts()
    counts["notifications_queued"] = enqueue_notifications(
        session, changes=result.changes, now=now, external_url=external_url
    )
    counts["silenced_events"] = record_started_silences(session, now=now)
    return counts
