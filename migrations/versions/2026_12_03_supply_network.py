"""supply network: the producer registry, region lockdowns, the supply/demand board
(offers, needs, match runs, proposals, supply orders and their events), and the producer
binding of keys and users.

Offers and needs carry ``committed_quantity`` with a CHECK that it never exceeds
``quantity``: the last guard against over-committing an offer under concurrent accepts.

Revision ID: 20261203_supply_network
Revises: 0006
Create Date: 2026-12-03 21:46:25.752978+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_supply_network"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("maximum_distance_km", sa.Float(), nullable=False),
        sa.Column("price_weight", sa.Float(), nullable=False),
        sa.Column("offers", sa.Integer(), nullable=False),
        sa.Column("needs", sa.Integer(), nullable=False),
        sa.Column("proposals", sa.Integer(), nullable=False),
        sa.Column("superseded", sa.Integer(), nullable=False),
        sa.Column("total_cost", sa.Float(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("unmet", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_runs")),
    )
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_runs_business_date"), ["business_date"], unique=False
        )

    op.create_table(
        "producers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "livestock_farm",
                "vegetable_grower",
                "grain_mill",
                "edible_oil_plant",
                "wholesaler",
                "other",
                name="producerkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_phone", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name=op.f("ck_producers_latitude_range")),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name=op.f("ck_producers_longitude_range")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_producers_region_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_producers")),
        sa.UniqueConstraint("code", name=op.f("uq_producers_code")),
    )
    with op.batch_alter_table("producers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_producers_region_id"), ["region_id"], unique=False)

    op.create_table(
        "region_lockdowns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_region_lockdowns_lockdown_period_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_region_lockdowns_region_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_lockdowns")),
    )
    with op.batch_alter_table("region_lockdowns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_region_lockdowns_region_id"), ["region_id"], unique=False
        )

    op.create_table(
        "producer_products",
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("daily_capacity", sa.Float(), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("minimum_lot", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "daily_capacity > 0", name=op.f("ck_producer_products_daily_capacity_positive")
        ),
        sa.CheckConstraint(
            "lead_time_days >= 0", name=op.f("ck_producer_products_lead_time_not_negative")
        ),
        sa.CheckConstraint(
            "minimum_lot IS NULL OR minimum_lot >= 0",
            name=op.f("ck_producer_products_minimum_lot_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["producers.id"],
            name=op.f("fk_producer_products_producer_id_producers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_producer_products_product_id_products"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("producer_id", "product_id", name=op.f("pk_producer_products")),
    )
    with op.batch_alter_table("producer_products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_producer_products_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "supply_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("committed_quantity", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("minimum_lot", sa.Float(), nullable=True),
        sa.Column("available_from", sa.Date(), nullable=False),
        sa.Column("available_to", sa.Date(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=120), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "available_to >= available_from", name=op.f("ck_supply_offers_window_ordered")
        ),
        sa.CheckConstraint(
            "committed_quantity >= 0 AND committed_quantity <= quantity",
            name=op.f("ck_supply_offers_committed_within_quantity"),
        ),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90", name=op.f("ck_supply_offers_latitude_range")
        ),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name=op.f("ck_supply_offers_longitude_range")
        ),
        sa.CheckConstraint(
            "minimum_lot IS NULL OR minimum_lot >= 0",
            name=op.f("ck_supply_offers_minimum_lot_not_negative"),
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_supply_offers_price_positive")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_supply_offers_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["producers.id"],
            name=op.f("fk_supply_offers_producer_id_producers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_supply_offers_product_id_products"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_offers")),
    )
    with op.batch_alter_table("supply_offers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supply_offers_producer_id"), ["producer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supply_offers_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "supply_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "buyer_kind",
            sa.Enum("store", "chain", "district", name="buyerkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("committed_quantity", sa.Float(), nullable=False),
        sa.Column("max_price", sa.Float(), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=120), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "(buyer_kind = 'store' AND store_id IS NOT NULL)"
            " OR (buyer_kind = 'chain' AND enterprise_id IS NOT NULL AND store_id IS NULL)"
            " OR (buyer_kind = 'district' AND store_id IS NULL AND enterprise_id IS NULL)",
            name=op.f("ck_supply_needs_buyer_bound"),
        ),
        sa.CheckConstraint(
            "committed_quantity >= 0 AND committed_quantity <= quantity",
            name=op.f("ck_supply_needs_committed_within_quantity"),
        ),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90", name=op.f("ck_supply_needs_latitude_range")
        ),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name=op.f("ck_supply_needs_longitude_range")
        ),
        sa.CheckConstraint("max_price > 0", name=op.f("ck_supply_needs_max_price_positive")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_supply_needs_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_supply_needs_alert_id_alerts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["regions.id"],
            name=op.f("fk_supply_needs_district_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_supply_needs_enterprise_id_enterprises"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_supply_needs_product_id_products"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_supply_needs_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_needs")),
    )
    with op.batch_alter_table("supply_needs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supply_needs_district_id"), ["district_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supply_needs_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supply_needs_product_id"), ["product_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_supply_needs_store_id"), ["store_id"], unique=False)

    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_run_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "accepted",
                "declined",
                "superseded",
                name="proposalstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "producer_answer",
            sa.Enum("accepted", "declined", name="answer", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("producer_answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("producer_answered_by", sa.String(length=120), nullable=True),
        sa.Column(
            "buyer_answer",
            sa.Enum("accepted", "declined", name="answer", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("buyer_answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("buyer_answered_by", sa.String(length=120), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_proposals_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["match_run_id"],
            ["match_runs.id"],
            name=op.f("fk_proposals_match_run_id_match_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["supply_needs.id"],
            name=op.f("fk_proposals_need_id_supply_needs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["supply_offers.id"],
            name=op.f("fk_proposals_offer_id_supply_offers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
        sa.UniqueConstraint("match_run_id", "offer_id", "need_id", name="uq_proposals_run_pair"),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposals_match_run_id"), ["match_run_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_proposals_need_id"), ["need_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposals_offer_id"), ["offer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposals_status"), ["status"], unique=False)

    op.create_table(
        "supply_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("shipped_quantity", sa.Float(), nullable=False),
        sa.Column("received_quantity", sa.Float(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "committed", "shipped", "received", name="orderstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("committed_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_supply_orders_quantity_positive")),
        sa.CheckConstraint(
            "received_quantity >= 0 AND received_quantity <= shipped_quantity",
            name=op.f("ck_supply_orders_received_within_shipped"),
        ),
        sa.CheckConstraint(
            "shipped_quantity >= 0 AND shipped_quantity <= quantity",
            name=op.f("ck_supply_orders_shipped_within_quantity"),
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["supply_needs.id"],
            name=op.f("fk_supply_orders_need_id_supply_needs"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["supply_offers.id"],
            name=op.f("fk_supply_orders_offer_id_supply_offers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_supply_orders_proposal_id_proposals"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_orders")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_supply_orders_proposal_id")),
    )
    with op.batch_alter_table("supply_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supply_orders_business_date"), ["business_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_supply_orders_need_id"), ["need_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supply_orders_offer_id"), ["offer_id"], unique=False)

    op.create_table(
        "supply_order_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "committed", "shipped", "received", name="orderstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["supply_orders.id"],
            name=op.f("fk_supply_order_events_order_id_supply_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_order_events")),
    )
    with op.batch_alter_table("supply_order_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supply_order_events_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            "ix_supply_order_events_order_id_at", ["order_id", "at"], unique=False
        )

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("producer_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_keys_producer_id_producers"),
            "producers",
            ["producer_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("producer_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_users_producer_id_producers"),
            "producers",
            ["producer_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_producer_id_producers"), type_="foreignkey")
        batch_op.drop_column("producer_id")

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_api_keys_producer_id_producers"), type_="foreignkey"
        )
        batch_op.drop_column("producer_id")

    with op.batch_alter_table("supply_order_events", schema=None) as batch_op:
        batch_op.drop_index("ix_supply_order_events_order_id_at")
        batch_op.drop_index(batch_op.f("ix_supply_order_events_order_id"))

    op.drop_table("supply_order_events")
    with op.batch_alter_table("supply_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supply_orders_offer_id"))
        batch_op.drop_index(batch_op.f("ix_supply_orders_need_id"))
        batch_op.drop_index(batch_op.f("ix_supply_orders_business_date"))

    op.drop_table("supply_orders")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposals_status"))
        batch_op.drop_index(batch_op.f("ix_proposals_offer_id"))
        batch_op.drop_index(batch_op.f("ix_proposals_need_id"))
        batch_op.drop_index(batch_op.f("ix_proposals_match_run_id"))

    op.drop_table("proposals")
    with op.batch_alter_table("supply_needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supply_needs_store_id"))
        batch_op.drop_index(batch_op.f("ix_supply_needs_product_id"))
        batch_op.drop_index(batch_op.f("ix_supply_needs_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_supply_needs_district_id"))

    op.drop_table("supply_needs")
    with op.batch_alter_table("supply_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supply_offers_product_id"))
        batch_op.drop_index(batch_op.f("ix_supply_offers_producer_id"))

    op.drop_table("supply_offers")
    with op.batch_alter_table("producer_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_producer_products_product_id"))

    op.drop_table("producer_products")
    with op.batch_alter_table("region_lockdowns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_region_lockdowns_region_id"))

    op.drop_table("region_lockdowns")
    with op.batch_alter_table("producers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_producers_region_id"))

    op.drop_table("producers")
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_runs_business_date"))

    op.drop_table("match_runs")
