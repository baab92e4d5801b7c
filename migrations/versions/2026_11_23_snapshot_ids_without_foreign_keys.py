"""Supply snapshots keep category, district and run ids without foreign keys, and lose
the (business_date, scope_level) index the unique constraint already covers.

The monitor rewrites a province's ~600,000 snapshots every run; PostgreSQL checked
three keys per row, which tripled the time to store them. The run reads those ids
from their tables in the same transaction that writes the snapshots.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:44:34.754961+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("supply_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supply_snapshots_business_date_scope_level"))
        batch_op.drop_constraint(
            batch_op.f("fk_supply_snapshots_district_id_regions"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_supply_snapshots_category_id_product_categories"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_supply_snapshots_run_id_monitor_runs"), type_="foreignkey"
        )


def downgrade() -> None:
    with op.batch_alter_table("supply_snapshots", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_supply_snapshots_run_id_monitor_runs"),
            "monitor_runs",
            ["run_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_supply_snapshots_category_id_product_categories"),
            "product_categories",
            ["category_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_supply_snapshots_district_id_regions"),
            "regions",
            ["district_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_supply_snapshots_business_date_scope_level"),
            ["business_date", "scope_level"],
            unique=False,
        )
