"""service officers: assignments of bureau users to key enterprises and stores (one officer
each), their visit and contact log, and the hotline tickets a visit raised. Schema only:
the role ``service_officer`` needs no change (roles are stored as strings), and the
stores' free-text ``service_officer`` column stays (``officers.assignments`` adopts it).

Revision ID: officers_20261204
Revises: maps_region_outlines_20261204
Create Date: 2026-12-04 10:20:16.168554+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "officers_20261204"
down_revision: str | None = "maps_region_outlines_20261204"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "officer_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "(enterprise_id IS NULL) != (store_id IS NULL)",
            name=op.f("ck_officer_assignments_one_enterprise_or_store"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_officer_assignments_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["users.id"],
            name=op.f("fk_officer_assignments_officer_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_officer_assignments_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_assignments")),
        sa.UniqueConstraint("enterprise_id", name=op.f("uq_officer_assignments_enterprise_id")),
        sa.UniqueConstraint("store_id", name=op.f("uq_officer_assignments_store_id")),
    )
    with op.batch_alter_table("officer_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officer_assignments_officer_id"), ["officer_id"], unique=False
        )

    op.create_table(
        "officer_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "on_site",
                "phone",
                "video",
                "message",
                name="visitmode",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_officer_visits_enterprise_id_enterprises"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["users.id"],
            name=op.f("fk_officer_visits_officer_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_officer_visits_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_visits")),
    )
    with op.batch_alter_table("officer_visits", schema=None) as batch_op:
        batch_op.create_index("ix_officer_visits_enterprise_id", ["enterprise_id"], unique=False)
        batch_op.create_index(
            "ix_officer_visits_officer_id_visit_date", ["officer_id", "visit_date"], unique=False
        )
        batch_op.create_index("ix_officer_visits_store_id", ["store_id"], unique=False)

    op.create_table(
        "officer_visit_problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_officer_visit_problems_ticket_id_tickets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["officer_visits.id"],
            name=op.f("fk_officer_visit_problems_visit_id_officer_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_visit_problems")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_officer_visit_problems_ticket_id")),
    )
    with op.batch_alter_table("officer_visit_problems", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officer_visit_problems_visit_id"), ["visit_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("officer_visit_problems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_visit_problems_visit_id"))

    op.drop_table("officer_visit_problems")
    with op.batch_alter_table("officer_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_officer_visits_store_id")
        batch_op.drop_index("ix_officer_visits_officer_id_visit_date")
        batch_op.drop_index("ix_officer_visits_enterprise_id")

    op.drop_table("officer_visits")
    with op.batch_alter_table("officer_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_assignments_officer_id"))

    op.drop_table("officer_assignments")
