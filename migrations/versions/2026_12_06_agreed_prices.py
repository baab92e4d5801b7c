"""agreed prices: a proposal keeps the price it was made at and a supply order the price
both sides agreed, so a producer who re-prices an offer changes neither.

Revision ID: agreed_prices_20261206
Revises: alert_summary_text_20261206
Create Date: 2026-12-06 15:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "agreed_prices_20261206"
down_revision: str | None = "alert_summary_text_20261206"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("proposals", sa.Column("price", sa.Float(), nullable=True))
    op.add_column("supply_orders", sa.Column("price", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("supply_orders", "price")
    op.drop_column("proposals", "price")
