"""alert groups: who is handling an alert (its assignee and since when), so a whole
situation can be assigned to one bureau user; a webhook's ``group_by`` (the labels whose
alerts share one notification).

Revision ID: alert_groups_assignee
Revises: harden_access_login_throttle
Create Date: 2026-12-04 01:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "alert_groups_assignee"
down_revision: str | None = "harden_access_login_throttle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("assignee", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(sa.Column("group_by", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.drop_column("group_by")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("assigned_at")
        batch.drop_column("assignee")
