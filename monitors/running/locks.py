"""Run guards: two monitor runs never write at once.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held by one
connection for the whole run. SQLite: a lease row in ``run_locks``, taken in its own
transaction, so a crashed holder stops blocking once its lease expires.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from core.database import SessionFactory
from models import RunLock
from models.base import utc_now

DEFAULT_LEASE = timedelta(hours=1)


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``name``."""
    digest = hashlib.sha256(f"supplywatch:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def holder_name() -> str:
    """Who holds a lock: host and process, for people reading ``run_locks``."""
    return f"{socket.gethostname()}:{os.getpid()}"


@contextmanager
def run_guard(
    factory: SessionFactory, name: str, *, lease: timedelta = DEFAULT_LEASE
) -> Iterator[bool]:
    """Yield True while holding the lock ``name``, or False at once when someone else
    holds it (the caller then skips its run)."""
    with factory() as probe:
        dialect = probe.get_bind().dialect.name
    if dialect == "postgresql":
        key = _advisory_key(name)
        # The lock belongs to the connection: keep this session's transaction (and so
        # its connection) open until it is released.
        with factory() as session:
            got = bool(
                session.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            )
            try:
                yield got
            finally:
                if got:
                    session.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                session.commit()
        return
    holder = holder_name()
    got = _take_lease(factory, name, holder, lease)
    try:
        yield got
    finally:
        if got:
            with factory() as session:
                session.execute(
                    delete(RunLock).where(RunLock.name == name, RunLock.holder == holder)
                )
                session.commit()


def _take_lease(factory: SessionFactory, name: str, holder: str, lease: timedelta) -> bool:
    now = utc_now()
    with factory() as session:
        current = session.scalars(select(RunLock).where(RunLock.name == name)).first()
        if current is not None:
            if current.expires_at > now:
                session.rollback()
                return False
            session.delete(current)
            session.flush()
        session.add(RunLock(name=name, holder=holder, acquired_at=now, expires_at=now + lease))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True
