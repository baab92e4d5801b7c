"""Prometheus metrics of dispatch, read from the database at scrape time.

Like the monitor's collector, it queries on each scrape so every web worker reports
the same numbers; labels are priorities and statuses only, so series stay few.
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.scraped import DatabaseCollector
from models import Delivery, DeliveryRequest, DeliveryStatus, RequestPriority, RequestStatus


class DispatchCollector(DatabaseCollector):
    """Open requests by priority, deliveries by status, mean request-to-delivery time."""

    subject = "dispatch"

    def families(self, session: Session | None) -> list[Metric]:
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
