"""Running and checking Alembic migrations from code (CLI, start-up, readiness, tests)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

import migrations


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic config pointing at our migrations, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    """Bring the database at ``database_url`` to the newest schema."""
    command.upgrade(alembic_config(database_url), "head")


def upgrade_connection(connection: Connection) -> None:
    """Bring the database behind an open connection to the newest schema."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


@lru_cache
def head_revisions() -> frozenset[str]:
    """The revision ids the code expects the database to be at."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    """The revision ids the database says it is at."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())
