"""The suppliers service's tables (SQLAlchemy Core). The schema itself is created by the
migrations; these definitions are what the repositories and queries use."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()
TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(18, 4)

suppliers = sa.Table(
    "suppliers",
    metadata,
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

supplier_products = sa.Table(
    "supplier_products",
    metadata,
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
    sa.UniqueConstraint("supplier_id", "supplier_sku", name="uq_supplier_products_supplier_sku"),
)

price_history = sa.Table(
    "price_history",
    metadata,
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

price_alerts = sa.Table(
    "price_alerts",
    metadata,
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

sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("supplier_id", sa.String(36), sa.ForeignKey("suppliers.id"), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("trigger", sa.String(12), nullable=False),
    # Start of the schedule slot of a scheduled run: unique per supplier, so several
    # replicas run each slot once.
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

supplier_orders = sa.Table(
    "supplier_orders",
    metadata,
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

supplier_order_lines = sa.Table(
    "supplier_order_lines",
    metadata,
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
)
