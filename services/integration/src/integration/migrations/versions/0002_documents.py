"""SmartBill documents (invoices, proformas, credit notes) and link runs.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
UUID = postgresql.UUID(as_uuid=True)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("order_id", UUID, nullable=False),
        sa.Column("customer_id", sa.Text, nullable=False),
        sa.Column("series", sa.Text, nullable=False),
        sa.Column("number", sa.Text, nullable=True),
        sa.Column("phase", sa.Text, nullable=False),
        sa.Column("source", postgresql.JSONB, nullable=False),
        sa.Column("draft", postgresql.JSONB, nullable=True),
        sa.Column("vat_date", sa.Date, nullable=False),
        sa.Column("issue_date", sa.Date, nullable=True),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("net", sa.Numeric(14, 2), nullable=True),
        sa.Column("vat", sa.Numeric(14, 2), nullable=True),
        sa.Column("gross", sa.Numeric(14, 2), nullable=True),
        sa.Column("estimate_series", sa.Text, nullable=True),
        sa.Column("estimate_number", sa.Text, nullable=True),
        sa.Column("credit_of", UUID, nullable=True),
        sa.Column("credit_of_series", sa.Text, nullable=True),
        sa.Column("credit_of_number", sa.Text, nullable=True),
        sa.Column("storno", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("return_id", sa.Text, nullable=True),
        sa.Column("number_floor", sa.Integer, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("refusals", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", TZ, nullable=True),
        sa.Column("needs_review", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("error", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("total_paid", sa.Numeric(14, 2), nullable=False, server_default=sa.text("0")),
        sa.Column("payment_status", sa.Text, nullable=False),
        sa.Column("paid_at", TZ, nullable=True),
        sa.Column("next_payment_check_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "documents_one_invoice_per_order",
        "documents",
        ["order_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'INVOICE'"),
    )
    op.create_index(
        "documents_one_proforma_per_order",
        "documents",
        ["order_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'PROFORMA'"),
    )
    op.create_index(
        "documents_one_credit_per_return",
        "documents",
        ["return_id"],
        unique=True,
        postgresql_where=sa.text("return_id IS NOT NULL"),
    )
    op.create_index(
        "documents_series_number",
        "documents",
        ["series", "number"],
        unique=True,
        postgresql_where=sa.text("number IS NOT NULL"),
    )
    op.create_index(
        "documents_to_dispatch",
        "documents",
        ["seq"],
        postgresql_where=sa.text("phase IN ('QUEUED', 'IN_FLIGHT', 'UNCERTAIN', 'FAILED')"),
    )
    op.create_index(
        "documents_payment_checks",
        "documents",
        ["next_payment_check_at"],
        postgresql_where=sa.text(
            "kind = 'INVOICE' AND phase = 'ISSUED' AND payment_status <> 'PAID'"
        ),
    )
    op.create_index("documents_by_order", "documents", ["order_id", "created_at"])
    op.create_index("documents_newest_first", "documents", ["created_at", "id"])
    op.create_table(
        "link_runs",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("last_run_at", TZ, nullable=True),
        sa.Column("last_success_at", TZ, nullable=True),
        sa.Column("last_status", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("last_error", sa.Text, nullable=False, server_default=sa.text("''")),
    )


def downgrade() -> None:
    op.drop_table("link_runs")
    op.drop_table("documents")
