"""Suppliers schema: suppliers and their feeds, supplier products, price history, price
alerts, sync runs, supplier orders and their lines.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(18, 4)


def upgrade() -> None:
    op.create_table(
        "suppliers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("feed_format", sa.String(10), nullable=False),
        sa.Column("feed_url", sa.String(1000), nullable=False),
        sa.Column("feed_config", JSONB, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("contact_email", sa.String(320), nullable=False),
        sa.Column("schedule", JSONB, nullable=False),
        sa.Column("feed_etag", sa.String(500)),
        sa.Column("feed_last_modified", sa.String(100)),
        sa.Column("last_sync_at", TS),
        sa.Column("last_sync_status", sa.String(12)),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    # One supplier per name, whatever the case.
    op.create_index("uq_suppliers_name", "suppliers", [sa.text("lower(name)")], unique=True)

    op.create_table(
        "supplier_products",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("supplier_id", sa.String(36), sa.ForeignKey("suppliers.id"), nullable=False),
        sa.Column("supplier_sku", sa.String(100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("sku", sa.String(64)),
        sa.Column("in_stock", sa.Boolean, nullable=False),
        sa.Column("stock_quantity", sa.BigInteger),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("price_changed_at", TS, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint(
            "supplier_id", "supplier_sku", name="uq_supplier_products_supplier_sku"
        ),
        sa.CheckConstraint("price > 0", name="ck_supplier_products_price_positive"),
    )
    op.create_index("ix_supplier_products_sku", "supplier_products", ["sku"])

    op.create_table(
        "price_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "supplier_product_id",
            sa.String(36),
            sa.ForeignKey("supplier_products.id"),
            nullable=False,
        ),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("in_stock", sa.Boolean, nullable=False),
        sa.Column("stock_quantity", sa.BigInteger),
        sa.Column("change_pct", sa.Numeric(12, 2)),
        sa.Column("sync_run_id", sa.String(36)),
        sa.Column("observed_at", TS, nullable=False),
    )
    op.create_index(
        "ix_price_history_product", "price_history", ["supplier_product_id", sa.text("id DESC")]
    )

    op.create_table(
        "price_alerts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("supplier_id", sa.String(36), sa.ForeignKey("suppliers.id"), nullable=False),
        sa.Column("supplier_sku", sa.String(100), nullable=False),
        sa.Column("sku", sa.String(64)),
        sa.Column("old_price", MONEY, nullable=False),
        sa.Column("new_price", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("change_pct", sa.Numeric(12, 2), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("sync_run_id", sa.String(36), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("acknowledged_at", TS),
    )
    op.create_index("ix_price_alerts_created", "price_alerts", ["created_at", "id"])

    op.create_table(
        "sync_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("supplier_id", sa.String(36), sa.ForeignKey("suppliers.id"), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("trigger", sa.String(12), nullable=False),
        sa.Column("slot", TS),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("items_seen", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("items_new", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("items_changed", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("items_unmapped", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("error_count", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("price_alerts_raised", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("errors", JSONB, nullable=False),
    )
    op.create_index("ix_sync_runs_supplier", "sync_runs", ["supplier_id", "started_at", "id"])
    # One run per supplier per schedule slot, however many replicas try.
    op.create_index(
        "uq_sync_runs_slot",
        "sync_runs",
        ["supplier_id", "slot"],
        unique=True,
        postgresql_where=sa.text("slot IS NOT NULL"),
    )
    # At most one running scrape per supplier.
    op.create_index(
        "uq_sync_runs_running",
        "sync_runs",
        ["supplier_id"],
        unique=True,
        postgresql_where=sa.text("status = 'RUNNING'"),
    )

    op.create_table(
        "supplier_orders",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("supplier_id", sa.String(36), sa.ForeignKey("suppliers.id"), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("expected_date", sa.Date),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("idempotency_key", sa.String(200), unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("received_at", TS),
    )
    op.create_index("ix_supplier_orders_created", "supplier_orders", ["created_at", "id"])
    op.create_index("ix_supplier_orders_order", "supplier_orders", ["order_id"])

    op.create_table(
        "supplier_order_lines",
        sa.Column(
            "supplier_order_id",
            sa.String(36),
            sa.ForeignKey("supplier_orders.id"),
            primary_key=True,
        ),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("supplier_sku", sa.String(100), nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("warehouse", sa.String(10), nullable=False),
        sa.Column("received_quantity", sa.BigInteger, nullable=False),
        sa.CheckConstraint(
            "received_quantity >= 0 AND received_quantity <= quantity",
            name="ck_supplier_order_lines_received",
        ),
    )
    op.create_index("ix_supplier_order_lines_sku", "supplier_order_lines", ["sku"])


def downgrade() -> None:
    for table in (
        "supplier_order_lines",
        "supplier_orders",
        "sync_runs",
        "price_alerts",
        "price_history",
        "supplier_products",
        "suppliers",
    ):
        op.drop_table(table)
