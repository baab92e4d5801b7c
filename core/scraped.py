"""Prometheus collectors that read the database at scrape time, so every web worker (and
no worker's own counters) reports the same numbers; a failing read yields no family
rather than half a scrape, and never takes the service's own metrics down."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.database import SessionFactory, mark_read_only

log = logging.getLogger("supplywatch.metrics")


class DatabaseCollector(Collector):
    """A collector whose families a subclass fills from a read-only session
    (``families``); register once per registry."""

    subject = "database"
    """What the metrics are of, as the log names them when a scrape skips them."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self._session_factory = session_factory

    def describe(self) -> Iterable[Metric]:
        """The families without samples: lets the registry check names on register
        without querying the database (its auto-describe would call ``collect``)."""
        return self.families(None)

    def collect(self) -> Iterable[Metric]:
        """Every family with its samples, or nothing when the database fails."""
        try:
            with self._session_factory() as session:
                mark_read_only(session)
                return self.families(session)
        except SQLAlchemyError as error:
            log.warning(
                f"{self.subject} metrics skipped: the database could not be read",
                extra={"error": type(error).__name__},
            )
        except Exception:  # a bug here must not take the service's own metrics down
            log.exception(f"{self.subject} metrics skipped: collecting failed")
        return []

    def families(self, session: Session | None) -> list[Metric]:
        """The families, filled from ``session`` when given (empty ones describe them);
        everything is read before anything is returned."""
        raise NotImplementedError
