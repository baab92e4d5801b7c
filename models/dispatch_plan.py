"""Dispatch plans: per-truck routes of stops and the requests left out, draft or committed.

Times on routes and stops are seconds from midnight of ``plan_date`` in the city's time
zone and distances are metres, exactly as the solver and the independent checker work,
so a stored draft can be re-timed and re-checked after a hand edit without drift.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, Enum, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utc_now
from models.types import UTCDateTime

if TYPE_CHECKING:
    from models.fleet import Truck


class PlanStatus(enum.StrEnum):
    draft = "draft"
    committed = "committed"
    discarded = "discarded"


class UnassignedReason(enum.StrEnum):
    too_heavy = "too_heavy"
    window_unreachable = "window_unreachable"
    capacity_exhausted = "capacity_exhausted"
    time_exhausted = "time_exhausted"
    no_vehicles = "no_vehicles"
    removed_by_dispatcher = "removed_by_dispatcher"
    """Taken off a draft by hand: no rule of the planner left it out."""


class DispatchPlan(Base):
    """One planning run; ``version`` grows with every edit so stale edits and commits fail."""

    __tablename__ = "dispatch_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_date: Mapped[date] = mapped_column(index=True)
    status: Mapped[PlanStatus] = mapped_column(
        Enum(PlanStatus, native_enum=False, length=16, validate_strings=True),
        default=PlanStatus.draft,
    )
    version: Mapped[int] = mapped_column(default=1)
    truck_ids: Mapped[list[int]] = mapped_column(JSON)
    """Every truck the plan could use (also those left at the depot), for hand edits."""
    time_limit_s: Mapped[float] = mapped_column(Float)
    service_s: Mapped[int]
    road_factor: Mapped[float] = mapped_column(Float)
    speed_kmh: Mapped[float] = mapped_column(Float)
    distance_matrix: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """A matrix the dispatcher uploaded (locations by depot and compound code)."""
    solver_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    replaces_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatch_plans.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    committed_by: Mapped[str | None] = mapped_column(String(120))
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    routes: Mapped[list[PlanRoute]] = relationship(
        "PlanRoute",
        lazy="raise",
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by="PlanRoute.id",
    )
    unassigned: Mapped[list[PlanUnassigned]] = relationship(
        "PlanUnassigned",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="PlanUnassigned.id",
    )

    __table_args__ = (CheckConstraint("version > 0", name="version_positive"),)


class PlanRoute(Base):
    """One truck's trip in a plan: leaves its depot at ``start_s``, back at ``end_s``."""

    __tablename__ = "plan_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_plans.id", ondelete="CASCADE"), index=True
    )
    truck_id: Mapped[int] = mapped_column(ForeignKey("trucks.id", ondelete="RESTRICT"))
    start_s: Mapped[int]
    end_s: Mapped[int]
    return_distance_m: Mapped[int]

    plan: Mapped[DispatchPlan] = relationship("DispatchPlan", lazy="raise", back_populates="routes")
    truck: Mapped[Truck] = relationship("Truck", lazy="raise")
    stops: Mapped[list[PlanStop]] = relationship(
        "PlanStop",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="PlanStop.sequence",
    )

    __table_args__ = (UniqueConstraint("plan_id", "truck_id", name="plan_truck"),)


class PlanStop(Base):
    """A stop on a route: one delivery (``part`` when the request was split)."""

    __tablename__ = "plan_stops"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(
        ForeignKey("plan_routes.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int]
    request_id: Mapped[int] = mapped_column(
        ForeignKey("delivery_requests.id", ondelete="RESTRICT"), index=True
    )
    part: Mapped[int | None]
    load_kg: Mapped[int]
    arrival_s: Mapped[int]
    wait_s: Mapped[int]
    departure_s: Mapped[int]
    distance_m: Mapped[int]


class PlanUnassigned(Base):
    """A request the plan does not serve (in full), and why."""

    __tablename__ = "plan_unassigned"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_plans.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int] = mapped_column(ForeignKey("delivery_requests.id", ondelete="RESTRICT"))
    reason: Mapped[UnassignedReason] = mapped_column(
        Enum(UnassignedReason, native_enum=False, length=32, validate_strings=True)
    )
