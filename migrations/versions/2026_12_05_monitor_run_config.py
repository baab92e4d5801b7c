"""monitor run settings: each run keeps the settings it computes with, so the workers that
compute a fanned-out run's parts use them instead of their own environment's.

Revision ID: monitor_run_config_20261205
Revises: background_jobs_20261205
Create Date: 2026-12-05 06:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "monitor_run_config_20261205"
down_revision: str | None = "background_jobs_20261205"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("monitor_runs", sa.Column("config", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("monitor_runs", "config")
