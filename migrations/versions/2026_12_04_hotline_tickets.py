"""hotline tickets: working groups and their members, routing rules, SLA targets per
priority, tickets and their audit trail; alert rule names widen to 32 characters for
``complaint_cluster``. Schema only: the working groups are seeded by the demo and by
``hotline.routing.ensure_defaults``.

Revision ID: hotline_tickets_20261204
Revises: alert_groups_assignee
Create Date: 2026-12-04 00:55:43.907805+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hotline_tickets_20261204"
down_revision: str | None = "alert_groups_assignee"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sla_targets",
        sa.Column(
            "priority",
            sa.Enum(
                "urgent",
                "high",
                "normal",
                "low",
                name="ticketpriority",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("first_response_minutes", sa.Float(), nullable=False),
        sa.Column("resolution_minutes", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("priority", name=op.f("pk_sla_targets")),
    )
    op.create_table(
        "working_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_groups")),
        sa.UniqueConstraint("code", name=op.f("uq_working_groups_code")),
    )
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "cannot_buy",
                "price_complaint",
                "store_closed_or_short",
                "delivery_late",
                "pass_or_checkpoint",
                "producer_cannot_sell",
                "other",
                name="ticketcategory",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("working_group_id", sa.Integer(), nullable=False),
        sa.Column(
            "level",
            sa.Enum("city", "county", name="assignmentlevel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_routing_rules_region_id_regions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_groups.id"],
            name=op.f("fk_routing_rules_working_group_id_working_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
    )
    with op.batch_alter_table("routing_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_rules_region_id"), ["region_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("phone", "web", name="ticketchannel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("caller_name", sa.String(length=200), nullable=True),
        sa.Column("caller_phone", sa.String(length=64), nullable=True),
        sa.Column(
            "caller_kind",
            sa.Enum(
                "resident",
                "store",
                "producer",
                "driver",
                "other",
                name="callerkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "category",
            sa.Enum(
                "cannot_buy",
                "price_complaint",
                "store_closed_or_short",
                "delivery_late",
                "pass_or_checkpoint",
                "producer_cannot_sell",
                "other",
                name="ticketcategory",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("delivery_request_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column(
            "priority",
            sa.Enum(
                "urgent",
                "high",
                "normal",
                "low",
                name="ticketpriority",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "assigned",
                "waiting_on_caller",
                "resolved",
                "merged",
                name="ticketstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("working_group_id", sa.Integer(), nullable=True),
        sa.Column(
            "level",
            sa.Enum("city", "county", name="assignmentlevel", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("filed_by", sa.String(length=120), nullable=False),
        sa.Column("filed_from_hash", sa.String(length=64), nullable=True),
        sa.Column("follow_token_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_tickets_alert_id_alerts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compounds.id"],
            name=op.f("fk_tickets_compound_id_compounds"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_request_id"],
            ["delivery_requests.id"],
            name=op.f("fk_tickets_delivery_request_id_delivery_requests"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["tickets.id"],
            name=op.f("fk_tickets_merged_into_id_tickets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_tickets_product_id_products"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_tickets_region_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_tickets_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_groups.id"],
            name=op.f("fk_tickets_working_group_id_working_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("follow_token_hash", name=op.f("uq_tickets_follow_token_hash")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_filed_from_hash_created_at", ["filed_from_hash", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_region_id_created_at", ["region_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_status_working_group_id", ["status", "working_group_id"], unique=False
        )

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("working_group_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_events_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_groups.id"],
            name=op.f("fk_ticket_events_working_group_id_working_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_events_ticket_id_at", ["ticket_id", "at"], unique=False)

    op.create_table(
        "working_group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("working_group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_working_group_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_groups.id"],
            name=op.f("fk_working_group_members_working_group_id_working_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_group_members")),
        sa.UniqueConstraint("working_group_id", "user_id", name="uq_working_group_members_pair"),
    )
    with op.batch_alter_table("working_group_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_working_group_members_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column(
            "rule",
            existing_type=sa.VARCHAR(length=16),
            type_=sa.Enum(
                "low_supply",
                "stockout",
                "price_spike",
                "sales_surge",
                "missing_report",
                "ticket_sla",
                "complaint_cluster",
                name="alertrule",
                native_enum=False,
                length=32,
            ),
            existing_nullable=False,
        )

    with op.batch_alter_table("rule_settings", schema=None) as batch_op:
        batch_op.alter_column(
            "rule",
            existing_type=sa.VARCHAR(length=16),
            type_=sa.Enum(
                "low_supply",
                "stockout",
                "price_spike",
                "sales_surge",
                "missing_report",
                "ticket_sla",
                "complaint_cluster",
                name="alertrule",
                native_enum=False,
                length=32,
            ),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("rule_settings", schema=None) as batch_op:
        batch_op.alter_column(
            "rule",
            existing_type=sa.Enum(
                "low_supply",
                "stockout",
                "price_spike",
                "sales_surge",
                "missing_report",
                "ticket_sla",
                "complaint_cluster",
                name="alertrule",
                native_enum=False,
                length=32,
            ),
            type_=sa.VARCHAR(length=16),
            existing_nullable=False,
        )

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column(
            "rule",
            existing_type=sa.Enum(
                "low_supply",
                "stockout",
                "price_spike",
                "sales_surge",
                "missing_report",
                "ticket_sla",
                "complaint_cluster",
                name="alertrule",
                native_enum=False,
                length=32,
            ),
            type_=sa.VARCHAR(length=16),
            existing_nullable=False,
        )

    with op.batch_alter_table("working_group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_working_group_members_user_id"))

    op.drop_table("working_group_members")
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_events_ticket_id_at")

    op.drop_table("ticket_events")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_status_working_group_id")
        batch_op.drop_index("ix_tickets_region_id_created_at")
        batch_op.drop_index("ix_tickets_filed_from_hash_created_at")

    op.drop_table("tickets")
    with op.batch_alter_table("routing_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_rules_region_id"))

    op.drop_table("routing_rules")
    op.drop_table("working_groups")
    op.drop_table("sla_targets")
