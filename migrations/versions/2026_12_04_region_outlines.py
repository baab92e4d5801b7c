"""region outlines: a GeoJSON geometry per region, drawn under the maps' points.

The revision id carries the branch name (maps); the integrator re-chains it.

Revision ID: maps_region_outlines_20261204
Revises: passes_service_20261204
Create Date: 2026-12-04 10:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "maps_region_outlines_20261204"
down_revision: str | None = "passes_service_20261204"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "region_outlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("positions", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_region_outlines_region_id_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_outlines")),
        sa.UniqueConstraint("region_id", name=op.f("uq_region_outlines_region_id")),
    )


def downgrade() -> None:
    op.drop_table("region_outlines")
