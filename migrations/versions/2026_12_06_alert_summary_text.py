"""alert summary text: an alert's summary as a message id and values, for pages to word
in the reader's language.

Revision ID: alert_summary_text_20261206
Revises: job_heartbeats_20261205
Create Date: 2026-12-05 19:40:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "alert_summary_text_20261206"
down_revision: str | None = "job_heartbeats_20261205"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("summary_text", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("alerts", "summary_text")
