"""The integration service's tables (SQLAlchemy Core). Migration 0002 creates them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()
TZ = DateTime(timezone=True)

documents = Table(
    "documents",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    # Dispatch order: documents go to SmartBill in the order their intents were stored.
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    Column("kind", Text, nullable=False),
    Column("order_id", UUID(as_uuid=True), nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("series", Text, nullable=False),
    Column("number", Text, nullable=True),
    Column("phase", Text, nullable=False),
    Column("source", JSONB, nullable=False),
    Column("draft", JSONB, nullable=True),
    Column("vat_date", Date, nullable=False),
    Column("issue_date", Date, nullable=True),
    Column("currency", Text, nullable=False),
    Column("net", Numeric(14, 2), nullable=True),
    Column("vat", Numeric(14, 2), nullable=True),
    Column("gross", Numeric(14, 2), nullable=True),
    Column("estimate_series", Text, nullable=True),
    Column("estimate_number", Text, nullable=True),
    Column("credit_of", UUID(as_uuid=True), nullable=True),
    Column("credit_of_series", Text, nullable=True),
    Column("credit_of_number", Text, nullable=True),
    Column("storno", Boolean, nullable=False, server_default=text("false")),
    Column("return_id", Text, nullable=True),
    Column("number_floor", Integer, nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("refusals", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", TZ, nullable=True),
    Column("needs_review", Boolean, nullable=False, server_default=text("false")),
    Column("error", Text, nullable=False, server_default=text("''")),
    Column("total_paid", Numeric(14, 2), nullable=False, server_default=text("0")),
    Column("payment_status", Text, nullable=False),
    Column("paid_at", TZ, nullable=True),
    Column("next_payment_check_at", TZ, nullable=True),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    Column("version", BigInteger, nullable=False),
    # One invoice and one proforma per order, ever; one credit document per return;
    # a SmartBill number belongs to one document.
    Index(
        "documents_one_invoice_per_order",
        "order_id",
        unique=True,
        postgresql_where=text("kind = 'INVOICE'"),
    ),
    Index(
        "documents_one_proforma_per_order",
        "order_id",
        unique=True,
        postgresql_where=text("kind = 'PROFORMA'"),
    ),
    Index(
        "documents_one_credit_per_return",
        "return_id",
        unique=True,
        postgresql_where=text("return_id IS NOT NULL"),
    ),
    Index(
        "documents_series_number",
        "series",
        "number",
        unique=True,
        postgresql_where=text("number IS NOT NULL"),
    ),
    Index(
        "documents_to_dispatch",
        "seq",
        postgresql_where=text("phase IN ('QUEUED', 'IN_FLIGHT', 'UNCERTAIN', 'FAILED')"),
    ),
    Index(
        "documents_payment_checks",
        "next_payment_check_at",
        postgresql_where=text("kind = 'INVOICE' AND phase = 'ISSUED' AND payment_status <> 'PAID'"),
    ),
    Index("documents_by_order", "order_id", "created_at"),
    Index("documents_newest_first", "created_at", "id"),
)

# Last run and last success of each recurring link activity ("smartbill_invoices",
# "smartbill_payments"), shared by every replica for GET /integrations/status.
link_runs = Table(
    "link_runs",
    metadata,
    Column("name", Text, primary_key=True),
    Column("last_run_at", TZ, nullable=True),
    Column("last_success_at", TZ, nullable=True),
    Column("last_status", Text, nullable=False, server_default=text("''")),
    Column("last_error", Text, nullable=False, server_default=text("''")),
)
