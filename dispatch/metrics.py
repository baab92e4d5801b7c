"""Prometheus metrics of dispatch, read from the database at scrape time.

Like the monitor's collector, it queries on each scrape so every web worker reports
the same numbers; labels are priorities and statuses only, so series stay few.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.database import SessionFactory, mark_read_only
from models import Delivery, DeliveryRequest, DeliveryStatus, RequestPriority, RequestStatus

log = logging.getLogger("supplywatch.metrics")


class DispatchCollector(Collector):
    """Open requests by priority, deliveries by status, mean request-to-delivery time."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self._session_factory = session_factory

    def describe(self) -> Iterable[Metric]:
        """The families without samples (no database query on register)."""
        return self._families(None)

    def collect(self) -> Iterable[Metric]:
        """Every family with its samples, or nothing when the database fails."""
        try:
            with self._session_factory() as session:
                mark_read_only(session)
                return self._families(session)
        except SQLAlchemyError as error:
            log.warning(
                "dispatch metrics skipped: the database could not be read",
                extra={"error": type(error).__name__},
            )
            return []

    def _families(self, session: Session | None) -> list[Metric]:
        open_requests = GaugeMetricFamily(
            "supplywatch_delivery_requests_open",
            "Delivery requests waiting for a plan (status open), by priority.",
            labels=["priority"],
        )
        deliveries = GaugeMetricFamily(
            "supplywatch_deliveries",
            "Deliveries of committed plans by status, over all history.",
            labels=["status"],
        )
        lead_time = GaugeMetricFamily(
            "supplywatch_request_to_delivery_seconds_avg",
            "Mean time from a request's creation to its last delivery, over delivered requests.",
        )
        families: list[Metric] = [open_requests, deliveries, lead_time]
        if session is None:
            return families
        open_counts = dict(
            session.execute(
                select(DeliveryRequest.priority, func.count())
                .where(DeliveryRequest.status == RequestStatus.open)
                .group_by(DeliveryRequest.priority)
            ).all()
        )
        for priority in RequestPriority:
            open_requests.add_metric([priority.value], open_counts.get(priority, 0))
        status_counts = dict(
            session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
        )
        for status in DeliveryStatus:
            deliveries.add_metric([status.value], status_counts.get(status, 0))
        durations = [
            (delivered - created).total_seconds()
            for created, delivered in session.execute(
                select(DeliveryRequest.created_at, DeliveryRequest.delivered_at).where(
                    DeliveryRequest.status == RequestStatus.delivered,
                    DeliveryRequest.delivered_at.is_not(None),
                )
            )
            if delivered is not None
        ]
        if durations:
            lead_time.add_metric([], sum(durations) / len(durations))
        return families
