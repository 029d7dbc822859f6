"""The tables of the orders database (the migrations create them; this is their shape).

An order is stored as one row: its lines, shipments and returns are JSONB documents
inside it (`db.documents`). Why: the aggregate is always loaded and saved whole under a
row lock (`FOR UPDATE`), so one row read and one row write per change is both simplest
and fastest, and no query of this service needs to look inside lines. Status history,
the saga log, the saga owners' heartbeats and the per-year number counters are tables
of their own.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import SQLModel

metadata = SQLModel.metadata

customers = Table(
    "customers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("email_lower", Text, nullable=False, unique=True),
    Column("company", Text, nullable=False, server_default=""),
    Column("vat_code", Text, nullable=False, server_default=""),
    Column("reg_com", Text, nullable=False, server_default=""),
    Column("address", JSONB, nullable=True),
    Column("phone", Text, nullable=False, server_default=""),
    Column("version", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_customers_name_id", customers.c.name, customers.c.id)

orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", Text, nullable=True, unique=True),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    # NULL until the order is visible (confirmed, or a quote request).
    Column("status", Text, nullable=True),
    Column("source", Text, nullable=False),
    Column("placement", Text, nullable=True),
    Column("saga_owner", Text, nullable=True),
    Column("saga_error", JSONB, nullable=True),
    Column("idempotency_key", Text, nullable=True, unique=True),
    Column("request_hash", Text, nullable=True),
    Column("quotation_id", Text, nullable=True, unique=True),
    Column("lines", JSONB, nullable=False),
    Column("shipments", JSONB, nullable=False),
    Column("returns", JSONB, nullable=False),
    Column("currency", Text, nullable=False),
    Column("allow_backorder", Boolean, nullable=False),
    Column("notes", Text, nullable=False),
    Column("shipping_address", JSONB, nullable=True),
    Column("reservation_id", Text, nullable=True),
    Column("pricing_date", Text, nullable=True),
    Column("net_total", Numeric(14, 2), nullable=False),
    Column("vat_total", Numeric(14, 2), nullable=False),
    Column("gross_total", Numeric(14, 2), nullable=False),
    Column("invoice_id", Text, nullable=True),
    Column("amount_paid", Numeric(14, 2), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
)
Index("ix_orders_visible_created", orders.c.created_at, orders.c.id)
Index("ix_orders_customer_created", orders.c.customer_id, orders.c.created_at)
Index(
    "ix_orders_saga_open",
    orders.c.placement,
    postgresql_where=text("placement IN ('PENDING', 'COMPENSATING')"),
)

status_history = Table(
    "order_status_history",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id"), nullable=False, index=True),
    Column("from_status", Text, nullable=True),
    Column("to_status", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

saga_log = Table(
    "saga_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id"), nullable=False, index=True),
    Column("step", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("detail", JSONB, nullable=True),
    Column("owner", Text, nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("duration_ms", Numeric(12, 3), nullable=True),
)

order_number_counters = Table(
    "order_number_counters",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

saga_instances = Table(
    "saga_instances",
    metadata,
    Column("id", Text, primary_key=True),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
)
