"""bulletin regions: a bulletin is one region's (NULL: the whole deployment).

The unique key becomes (region_id, business_date, revision), with a partial unique
index for the whole deployment's revisions (NULLs are distinct in a unique constraint).
Existing bulletins are filed under the root city when the deployment has exactly one
(its figures covered every store, which all lie below that city); with no root or
several, nothing is guessed and they stay NULL, the whole deployment, which is what
their figures covered. The downgrade fails if two regions have the same day's revision.

Revision ID: bulletin_regions_20261204
Revises: region_bound_staff_20261204
Create Date: 2026-12-04 23:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bulletin_regions_20261204"
down_revision: str | None = "region_bound_staff_20261204"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHOLE_DEPLOYMENT = sa.text("region_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_bulletins_region_id_regions"),
            "regions",
            ["region_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_index(batch_op.f("ix_bulletins_region_id"), ["region_id"], unique=False)
        batch_op.drop_constraint(batch_op.f("uq_bulletins_business_date"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_bulletins_region_id"), ["region_id", "business_date", "revision"]
        )
    op.execute(
        "UPDATE bulletins SET region_id = (SELECT MIN(id) FROM regions WHERE parent_id IS NULL)"
        " WHERE (SELECT COUNT(*) FROM regions WHERE parent_id IS NULL) = 1"
    )
    op.create_index(
        "uq_bulletins_business_date_whole_deployment",
        "bulletins",
        ["business_date", "revision"],
        unique=True,
        postgresql_where=WHOLE_DEPLOYMENT,
        sqlite_where=WHOLE_DEPLOYMENT,
    )


def downgrade() -> None:
    op.drop_index("uq_bulletins_business_date_whole_deployment", table_name="bulletins")
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_bulletins_region_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_bulletins_business_date"), ["business_date", "revision"]
        )
        batch_op.drop_index(batch_op.f("ix_bulletins_region_id"))
        batch_op.drop_constraint(batch_op.f("fk_bulletins_region_id_regions"), type_="foreignkey")
        batch_op.drop_column("region_id")
