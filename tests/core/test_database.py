"""SQLite is configured for a service: WAL, foreign keys enforced, writers wait."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.database import create_database_engine, create_session_factory, session_scope
from models import Store
from service.migrate import upgrade_to_head


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/service.db"
    upgrade_to_head(url)
    engine = create_database_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    with pytest.raises(IntegrityError):
        with session_scope(create_session_factory(engine)) as session:
            session.add(Store(code="S", name="s", kind="supermarket", region_id=999))
    engine.dispose()
