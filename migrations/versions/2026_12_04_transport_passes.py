"""transport passes: checkpoints, vehicle passes and staff permits with their audit
trail and scan log, and the checkpoint binding of keys and users.

The revision id starts with the branch name (passes-service); the integrator re-chains it.

Revision ID: passes_service_20261204
Revises: hotline_tickets_20261204
Create Date: 2026-12-04 00:52:01.006372+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "passes_service_20261204"
down_revision: str | None = "hotline_tickets_20261204"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_checkpoints_region_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoints")),
        sa.UniqueConstraint("code", name=op.f("uq_checkpoints_code")),
    )
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkpoints_region_id"), ["region_id"], unique=False)

    op.create_table(
        "transport_passes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("vehicle", "staff", name="passkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "applied",
                "approved",
                "rejected",
                "revoked",
                name="passstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("producer_id", sa.Integer(), nullable=True),
        sa.Column("plate", sa.String(length=32), nullable=True),
        sa.Column("vehicle_type", sa.String(length=64), nullable=True),
        sa.Column("driver_name", sa.String(length=100), nullable=True),
        sa.Column("driver_phone", sa.String(length=32), nullable=True),
        sa.Column("purpose", sa.String(length=300), nullable=True),
        sa.Column("goods", sa.String(length=300), nullable=True),
        sa.Column("person_name", sa.String(length=100), nullable=True),
        sa.Column("masked_holder", sa.String(length=64), nullable=True),
        sa.Column("employer", sa.String(length=200), nullable=True),
        sa.Column("workplace", sa.String(length=200), nullable=True),
        sa.Column("home_compound", sa.String(length=200), nullable=True),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.String(length=120), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.String(length=500), nullable=True),
        sa.Column("revoked_by", sa.String(length=120), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(length=500), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signing_kid", sa.String(length=16), nullable=True),
        sa.Column("token", sa.String(length=2048), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "(kind = 'vehicle' AND plate IS NOT NULL) "
            "OR (kind = 'staff' AND masked_holder IS NOT NULL)",
            name=op.f("ck_transport_passes_subject_of_kind"),
        ),
        sa.CheckConstraint(
            "enterprise_id IS NULL OR producer_id IS NULL",
            name=op.f("ck_transport_passes_at_most_one_holder"),
        ),
        sa.CheckConstraint(
            "valid_to > valid_from", name=op.f("ck_transport_passes_validity_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_transport_passes_enterprise_id_enterprises"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["producers.id"],
            name=op.f("fk_transport_passes_producer_id_producers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transport_passes")),
        sa.UniqueConstraint("code", name=op.f("uq_transport_passes_code")),
    )
    with op.batch_alter_table("transport_passes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transport_passes_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transport_passes_masked_holder"), ["masked_holder"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transport_passes_plate"), ["plate"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_transport_passes_producer_id"), ["producer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transport_passes_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_transport_passes_valid_to"), ["valid_to"], unique=False
        )

    op.create_table(
        "pass_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pass_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "applied",
                "approved",
                "rejected",
                "revoked",
                name="passstatus",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "applied",
                "approved",
                "rejected",
                "revoked",
                name="passstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["pass_id"],
            ["transport_passes.id"],
            name=op.f("fk_pass_events_pass_id_transport_passes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_events")),
    )
    with op.batch_alter_table("pass_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pass_events_pass_id"), ["pass_id"], unique=False)

    op.create_table(
        "pass_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("pass_id", sa.Integer(), nullable=True),
        sa.Column("pass_code", sa.String(length=32), nullable=True),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column(
            "result",
            sa.Enum(
                "valid",
                "expired",
                "not_yet_valid",
                "revoked",
                "wrong_region",
                "unknown_key",
                "forged",
                "damaged",
                name="scanresult",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "device_result",
            sa.Enum(
                "valid",
                "expired",
                "not_yet_valid",
                "revoked",
                "wrong_region",
                "unknown_key",
                "forged",
                "damaged",
                name="scanresult",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["checkpoints.id"],
            name=op.f("fk_pass_scans_checkpoint_id_checkpoints"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["pass_id"],
            ["transport_passes.id"],
            name=op.f("fk_pass_scans_pass_id_transport_passes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_scans")),
    )
    with op.batch_alter_table("pass_scans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pass_scans_checkpoint_id_scanned_at", ["checkpoint_id", "scanned_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pass_scans_pass_id"), ["pass_id"], unique=False)

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkpoint_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_keys_checkpoint_id_checkpoints"),
            "checkpoints",
            ["checkpoint_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkpoint_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_users_checkpoint_id_checkpoints"),
            "checkpoints",
            ["checkpoint_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_users_checkpoint_id_checkpoints"), type_="foreignkey"
        )
        batch_op.drop_column("checkpoint_id")

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_api_keys_checkpoint_id_checkpoints"), type_="foreignkey"
        )
        batch_op.drop_column("checkpoint_id")

    with op.batch_alter_table("pass_scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pass_scans_pass_id"))
        batch_op.drop_index("ix_pass_scans_checkpoint_id_scanned_at")

    op.drop_table("pass_scans")
    with op.batch_alter_table("pass_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pass_events_pass_id"))

    op.drop_table("pass_events")
    with op.batch_alter_table("transport_passes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transport_passes_valid_to"))
        batch_op.drop_index(batch_op.f("ix_transport_passes_status"))
        batch_op.drop_index(batch_op.f("ix_transport_passes_producer_id"))
        batch_op.drop_index(batch_op.f("ix_transport_passes_plate"))
        batch_op.drop_index(batch_op.f("ix_transport_passes_masked_holder"))
        batch_op.drop_index(batch_op.f("ix_transport_passes_enterprise_id"))

    op.drop_table("transport_passes")
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkpoints_region_id"))

    op.drop_table("checkpoints")
