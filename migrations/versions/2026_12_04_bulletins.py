"""bulletins: the daily bulletin's revisions (figures frozen as JSON, summaries, who
drafted and published them).

Revision ID: 20261204_bulletins
Revises: 20261203_supply_network
Create Date: 2026-12-04 01:20:25.884925+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_bulletins"
down_revision: str | None = "20261203_supply_network"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulletins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "published", name="bulletinstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("summary_zh", sa.Text(), nullable=False),
        sa.Column("correction_note", sa.String(length=500), nullable=True),
        sa.Column("drafted_by", sa.String(length=120), nullable=False),
        sa.Column("published_by", sa.String(length=120), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletins")),
        sa.UniqueConstraint("business_date", "revision", name=op.f("uq_bulletins_business_date")),
    )
    op.create_index(
        op.f("ix_bulletins_business_date"), "bulletins", ["business_date"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_bulletins_business_date"), table_name="bulletins")
    op.drop_table("bulletins")
