"""Documents that never change once made, made once per process and kept.

A published bulletin revision is frozen, yet its PDF took one to two seconds of a worker
each time it was asked for: thirty strangers asking at once took every worker and every
database connection, and the hotline's desk and escalations failed meanwhile. A shelf
keeps the most recently used documents, makes each one once however many ask for it at
the same moment, and makes at most ``makers`` at a time: a caller who waits longer than
``wait_seconds`` for a turn gets a 503 with ``Retry-After`` instead of holding a worker.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from core.errors import ServiceBusy

RETRY_AFTER_SECONDS = 5


class DocumentShelf:
    """A bounded, most-recently-used store of made documents, keyed by what fixes their
    content (a revision and a language, never a mutable row)."""

    def __init__(self, *, capacity: int, makers: int, wait_seconds: float) -> None:
        self._capacity = capacity
        self._wait_seconds = wait_seconds
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()
        self._guard = threading.Lock()
        self._in_making: dict[Hashable, threading.Lock] = {}
        self._turns = threading.BoundedSemaphore(makers)

    def _kept_copy(self, key: Hashable) -> bytes | None:
        with self._guard:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def get(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        """The document under ``key``, made by ``make`` only when no copy is kept."""
        kept = self._kept_copy(key)
        if kept is not None:
            return kept
        with self._guard:
            one_maker = self._in_making.setdefault(key, threading.Lock())
        if not one_maker.acquire(timeout=self._wait_seconds):
            raise _busy()
        try:
            kept = self._kept_copy(key)  # made by the caller this one waited for
            if kept is not None:
                return kept
            if not self._turns.acquire(timeout=self._wait_seconds):
                raise _busy()
            try:
                made = make()
            finally:
                self._turns.release()
            with self._guard:
                self._kept[key] = made
                while len(self._kept) > self._capacity:
                    self._kept.popitem(last=False)
            return made
        finally:
            with self._guard:
                self._in_making.pop(key, None)
            one_maker.release()


def _busy() -> ServiceBusy:
    return ServiceBusy(
        "too many documents are being made right now; try again in a few seconds",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
