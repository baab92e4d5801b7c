"""daily_reports: a BRIN index on report_date instead of the (report_date, product_id) btree

Lines arrive in date order, so BRIN finds a day's pages for the monitor at a fraction of
the btree's upkeep on every ingested line; and the planner no longer picks the btree for
a single store's day (for a date without statistics yet), which the unique
(store_id, report_date, product_id) index serves.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:18:01.680658+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("daily_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_daily_reports_report_date_product_id"))
        batch_op.create_index(
            "ix_daily_reports_report_date", ["report_date"], unique=False, postgresql_using="brin"
        )


def downgrade() -> None:
    with op.batch_alter_table("daily_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_daily_reports_report_date", postgresql_using="brin")
        batch_op.create_index(
            batch_op.f("ix_daily_reports_report_date_product_id"),
            ["report_date", "product_id"],
            unique=False,
        )
