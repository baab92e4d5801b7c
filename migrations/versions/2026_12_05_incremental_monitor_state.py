"""incremental monitoring: ``report_changes`` (store-days whose lines changed since a run
read them) and ``monitor_line_states`` (each store's recent lines as packed matrices).

The state's matrices are float64 bytes that do not compress: on PostgreSQL they are
stored EXTERNAL (out of line, uncompressed), so pglz spends no CPU failing to shrink them.

Revision ID: monitor_state_20261205
Revises: plan_jobs_20261205
Create Date: 2026-12-05 02:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "monitor_state_20261205"
down_revision: str | None = "plan_jobs_20261205"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MATRICES = ("product_ids", "stock", "sales", "price")


def upgrade() -> None:
    op.create_table(
        "report_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_report_changes_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_changes")),
    )
    op.create_index(op.f("ix_report_changes_store_id"), "report_changes", ["store_id"])
    op.create_table(
        "monitor_line_states",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("through_date", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.LargeBinary(), nullable=False) for name in _MATRICES),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_monitor_line_states_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_monitor_line_states")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for name in _MATRICES:
            op.execute(f"ALTER TABLE monitor_line_states ALTER COLUMN {name} SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("monitor_line_states")
    op.drop_index(op.f("ix_report_changes_store_id"), table_name="report_changes")
    op.drop_table("report_changes")
