"""Engines and sessions: one commit point per unit of work.

SQLite runs in WAL mode with foreign keys on and takes its write lock at BEGIN, so
concurrent writers wait for each other instead of failing half-way; they wait a bounded
time (``lock_wait_s``), after which the request is refused as busy. Long work (solving a
plan) reads in a transaction of its own and holds no lock while it runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

SessionFactory = sessionmaker[Session]
T = TypeVar("T")
SQLITE_BEGIN_OPTION = "supplywatch_sqlite_begin"
DEFAULT_LOCK_WAIT_S = 30.0
"""How long a writer waits for another's write lock when no setting says otherwise."""
_LOCK_TIMEOUT_MESSAGES = ("database is locked", "database table is locked", "database is busy")
_POSTGRES_LOCK_NOT_AVAILABLE = "55P03"
_POSTGRES_UNIQUE_VIOLATION = "23505"


def mark_read_only(session: Session) -> None:
    """Let a session that only reads begin a deferred SQLite transaction (no write lock)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={SQLITE_BEGIN_OPTION: "DEFERRED"})


def is_lock_timeout(error: BaseException) -> bool:
    """Whether ``error`` is a writer giving up on another's lock (SQLite's busy timeout,
    PostgreSQL's lock_timeout): a busy service, not a failure of the request."""
    if not isinstance(error, OperationalError):
        return False
    if getattr(error.orig, "sqlstate", None) == _POSTGRES_LOCK_NOT_AVAILABLE:
        return True
    return any(message in str(error.orig).lower() for message in _LOCK_TIMEOUT_MESSAGES)


def is_unique_violation(error: BaseException) -> bool:
    """Whether ``error`` is a write refused by a unique key: two requests that each found
    no row and both inserted one (a user name, a bulletin's revision), a conflict to
    retry rather than a failure of the service."""
    if not isinstance(error, IntegrityError):
        return False
    if getattr(error.orig, "sqlstate", None) == _POSTGRES_UNIQUE_VIOLATION:
        return True
    return "unique constraint failed" in str(error.orig).lower()


def read_apart(session: Session, read: Callable[[], T]) -> T:
    """``read()`` (looking up the caller) in a read-only transaction of its own when the
    session has not begun one, so the request's work begins its own transaction after it:
    on SQLite the write lock is then taken for the work, not while the caller is found.
    On PostgreSQL too: an endpoint that works for minutes outside any transaction (a plan
    solved, a file checked) must not hold one open from finding its caller."""
    if session.in_transaction():
        return read()
    mark_read_only(session)
    try:
        return read()
    finally:
        session.rollback()


def lock_for_change(session: Session, row: Any) -> None:
    """Re-read ``row`` under a row lock before a state check that decides a change.

    On PostgreSQL two requests that read the same status could both pass the check and
    both write (approve and reject of one pass, a cancel racing a commit). ``FOR UPDATE``
    makes the second wait for the first to commit and then read what it wrote, so its
    check fails with the 409 it gets when sent later. SQLite's writers already queue.
    What this session already changed is flushed first, so the re-read keeps it."""
    session.flush()
    session.refresh(row, with_for_update=True)


def serialize_on(session: Session, *, space: int, name: str) -> None:
    """Make the requests that decide on the same ``name`` (a caller, an address, a store's
    product) take their turns until this transaction ends: on PostgreSQL a transaction
    advisory lock in ``space`` (a 4-byte tag per kind of decision); SQLite's writers
    already go one at a time. For checks that count or sum rows before adding one, which
    no row lock can cover because the row they would lock does not exist yet."""
    if session.get_bind().dialect.name != "postgresql":
        return
    slot = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big", signed=True)
    session.execute(
        text("SELECT pg_advisory_xact_lock(:space, :slot)"), {"space": space, "slot": slot}
    )


def create_database_engine(
    url: str, *, lock_wait_s: float = DEFAULT_LOCK_WAIT_S, **kwargs: Any
) -> Engine:
    """Build an engine for ``url`` with the pragmas and pool this service relies on; a
    SQLite writer waits at most ``lock_wait_s`` for another's write lock."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": lock_wait_s, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine, lock_wait_ms=round(lock_wait_s * 1000))
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, *, lock_wait_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling breaks SAVEPOINT).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={lock_wait_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front (no failed lock upgrade half-way through a
        # request); sessions marked read-only begin deferred, so readers never queue.
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def create_session_factory(engine: Engine) -> SessionFactory:
    """A session factory whose sessions keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: SessionFactory) -> Iterator[Session]:
    """One unit of work: commit when the block succeeds, roll back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
