"""silence muting recorded: when the alerts a silence mutes got their ``silenced`` event,
so a pending silence writes it once when it starts.

Revision ID: silence_muting_recorded_20261206
Revises: monitor_state_unlogged_20261206
Create Date: 2026-12-07 00:05:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "silence_muting_recorded_20261206"
down_revision: str | None = "monitor_state_unlogged_20261206"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "silences", sa.Column("muting_recorded_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("silences", "muting_recorded_at")
