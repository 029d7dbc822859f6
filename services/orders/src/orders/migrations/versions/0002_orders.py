"""Customers, orders, status history, saga log, order number counters, saga instances.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("email_lower", sa.Text, nullable=False, unique=True),
        sa.Column("company", sa.Text, nullable=False, server_default=""),
        sa.Column("vat_code", sa.Text, nullable=False, server_default=""),
        sa.Column("address", pg.JSONB, nullable=True),
        sa.Column("phone", sa.Text, nullable=False, server_default=""),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_customers_name_id", "customers", ["name", "id"])
    op.create_table(
        "orders",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("number", sa.Text, nullable=True, unique=True),
        sa.Column("customer_id", pg.UUID(as_uuid=True), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("status", sa.Text, nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("placement", sa.Text, nullable=True),
        sa.Column("saga_owner", sa.Text, nullable=True),
        sa.Column("saga_error", pg.JSONB, nullable=True),
        sa.Column("idempotency_key", sa.Text, nullable=True, unique=True),
        sa.Column("request_hash", sa.Text, nullable=True),
        sa.Column("quotation_id", sa.Text, nullable=True, unique=True),
        sa.Column("lines", pg.JSONB, nullable=False),
        sa.Column("shipments", pg.JSONB, nullable=False),
        sa.Column("returns", pg.JSONB, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("allow_backorder", sa.Boolean, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("shipping_address", pg.JSONB, nullable=True),
        sa.Column("reservation_id", sa.Text, nullable=True),
        sa.Column("pricing_date", sa.Text, nullable=True),
        sa.Column("net_total", sa.Numeric(14, 2), nullable=False),
        sa.Column("vat_total", sa.Numeric(14, 2), nullable=False),
        sa.Column("gross_total", sa.Numeric(14, 2), nullable=False),
        sa.Column("invoice_id", sa.Text, nullable=True),
        sa.Column("amount_paid", sa.Numeric(14, 2), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("confirmed_at", TZ, nullable=True),
    )
    op.create_index("ix_orders_visible_created", "orders", ["created_at", "id"])
    op.create_index("ix_orders_customer_created", "orders", ["customer_id", "created_at"])
    op.create_index(
        "ix_orders_saga_open",
        "orders",
        ["placement"],
        postgresql_where=sa.text("placement IN ('PENDING', 'COMPENSATING')"),
    )
    op.create_table(
        "order_status_history",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("order_id", pg.UUID(as_uuid=True), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("from_status", sa.Text, nullable=True),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
    )
    op.create_index("ix_order_status_history_order_id", "order_status_history", ["order_id"])
    op.create_table(
        "saga_log",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("order_id", pg.UUID(as_uuid=True), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("step", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("detail", pg.JSONB, nullable=True),
        sa.Column("owner", sa.Text, nullable=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("duration_ms", sa.Numeric(12, 3), nullable=True),
    )
    op.create_index("ix_saga_log_order_id", "saga_log", ["order_id"])
    op.create_table(
        "order_number_counters",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "saga_instances",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("heartbeat_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "saga_instances",
        "order_number_counters",
        "saga_log",
        "order_status_history",
        "orders",
        "customers",
    ):
        op.drop_table(table)
