"""job heartbeats: plan jobs and background jobs keep when their work last showed life,
so a job whose process died (a web thread, a worker machine) is found and sent again.

Revision ID: job_heartbeats_20261205
Revises: monitor_run_config_20261205
Create Date: 2026-12-05 09:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "job_heartbeats_20261205"
down_revision: str | None = "monitor_run_config_20261205"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("background_jobs", "plan_jobs")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "heartbeat_at")
