"""region-bound staff: an admin or bureau key or person may be bound to one region.

Revision ID: region_bound_staff_20261204
Revises: partition_business_date_20261204
Create Date: 2026-12-04 23:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "region_bound_staff_20261204"
down_revision: str | None = "partition_business_date_20261204"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("api_keys", "users")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("region_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_region_id_regions"),
                "regions",
                ["region_id"],
                ["id"],
                ondelete="RESTRICT",
            )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_region_id_regions"), type_="foreignkey"
            )
            batch_op.drop_column("region_id")
