"""Alembic environment: migrates the database the settings (or the caller) name."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

import models
from core.database import create_database_engine
from core.partitions import is_partition_name
from models.types import UTCDateTime
from service.settings import get_settings

config = context.config
target_metadata = models.Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render our column types as plain SQLAlchemy ones, so revisions never import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave out of schema comparisons the monthly partitions, which the models do not
    declare (``core/partitions.py`` makes them)."""
    return not (type_ == "table" and is_partition_name(name))


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_migrations() -> None:
    """Run against a connection handed over by the caller, or one to the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = create_database_engine(url)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations()
