"""Pricing schema: products, price history, promotions and their boundaries, rules,
customer tiers and per-order spend.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("cost", sa.Numeric(18, 4), nullable=False),
        sa.Column("margin_pct", sa.Numeric(9, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("vat_category", sa.String(20), nullable=False),
        sa.Column("supplier_id", sa.String(100), nullable=True),
        sa.Column("follows_supplier_price", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("cost >= 0", name="ck_products_cost_non_negative"),
        sa.CheckConstraint("margin_pct >= 0", name="ck_products_margin_non_negative"),
    )
    op.create_index("ix_products_category", "products", ["category"])
    op.create_index("ix_products_supplier_id", "products", ["supplier_id"])

    op.create_table(
        "price_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("old_cost", sa.Numeric(18, 4), nullable=True),
        sa.Column("new_cost", sa.Numeric(18, 4), nullable=False),
        sa.Column("old_list_price", sa.Numeric(18, 2), nullable=True),
        sa.Column("new_list_price", sa.Numeric(18, 2), nullable=False),
        sa.Column("old_margin_pct", sa.Numeric(9, 4), nullable=True),
        sa.Column("new_margin_pct", sa.Numeric(9, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("reason_detail", sa.Text, nullable=False, server_default=""),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
    )
    op.create_index("ix_price_history_sku", "price_history", ["sku", "id"])

    op.create_table(
        "promotions",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sku", sa.String(64), nullable=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("discount_pct", sa.Numeric(5, 2), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.CheckConstraint(
            "(sku IS NULL) <> (category IS NULL)", name="ck_promotions_one_target"
        ),
        sa.CheckConstraint(
            "discount_pct > 0 AND discount_pct < 100", name="ck_promotions_discount_range"
        ),
        sa.CheckConstraint("ends_at >= starts_at", name="ck_promotions_window"),
    )
    op.create_index("ix_promotions_sku", "promotions", ["sku"])
    op.create_index("ix_promotions_category", "promotions", ["category"])
    op.create_index("ix_promotions_ends_at", "promotions", ["ends_at"])
    op.create_index("ix_promotions_starts_at_id", "promotions", ["starts_at", "id"])

    op.create_table(
        "promotion_boundaries",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "promotion_id",
            sa.Uuid,
            sa.ForeignKey("promotions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("emitted_at", TS, nullable=True),
        sa.UniqueConstraint("promotion_id", "kind", name="uq_promotion_boundaries_kind"),
        sa.CheckConstraint("kind IN ('START', 'END')", name="ck_promotion_boundaries_kind"),
    )
    op.create_index(
        "ix_promotion_boundaries_due",
        "promotion_boundaries",
        ["due_at", "id"],
        postgresql_where=sa.text("emitted_at IS NULL"),
    )

    op.create_table(
        "tier_rules",
        sa.Column("tier", sa.String(20), primary_key=True),
        sa.Column("min_spend", sa.Numeric(18, 2), nullable=False),
        sa.Column("discount_pct", sa.Numeric(5, 2), nullable=False),
        sa.CheckConstraint("min_spend >= 0", name="ck_tier_rules_min_spend"),
        sa.CheckConstraint(
            "discount_pct >= 0 AND discount_pct < 100", name="ck_tier_rules_discount"
        ),
    )
    op.create_table(
        "volume_rules",
        sa.Column("min_quantity", sa.Integer, primary_key=True),
        sa.Column("discount_pct", sa.Numeric(5, 2), nullable=False),
        sa.CheckConstraint("min_quantity >= 0", name="ck_volume_rules_min_quantity"),
        sa.CheckConstraint(
            "discount_pct >= 0 AND discount_pct < 100", name="ck_volume_rules_discount"
        ),
    )
    op.create_table(
        "vat_rates",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("vat_category", sa.String(20), nullable=False),
        sa.Column("rate_pct", sa.Numeric(5, 2), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.UniqueConstraint("vat_category", "valid_from", name="uq_vat_rates_from"),
        sa.CheckConstraint("rate_pct >= 0 AND rate_pct < 100", name="ck_vat_rates_rate"),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name="ck_vat_rates_window"
        ),
    )

    op.create_table(
        "customer_tiers",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("computed_tier", sa.String(20), nullable=False),
        sa.Column("override_tier", sa.String(20), nullable=True),
        sa.Column("monthly_spend", sa.Numeric(18, 2), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "customer_orders",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("net_total", sa.Numeric(18, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.Column("cancelled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index(
        "ix_customer_orders_customer_confirmed", "customer_orders", ["customer_id", "confirmed_at"]
    )


def downgrade() -> None:
    for table in (
        "customer_orders",
        "customer_tiers",
        "vat_rates",
        "volume_rules",
        "tier_rules",
        "promotion_boundaries",
        "promotions",
        "price_history",
        "products",
    ):
        op.drop_table(table)
