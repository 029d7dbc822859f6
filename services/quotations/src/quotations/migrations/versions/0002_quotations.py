"""Quotations, their per-year number counters and the PDFs as sent.

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
UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    op.create_table(
        "quotations",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("number", sa.Text, nullable=False, unique=True),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("customer", pg.JSONB, nullable=False),
        sa.Column("lines", pg.JSONB, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("pricing_date", sa.Text, nullable=False),
        sa.Column("net", sa.Numeric(18, 2), nullable=False),
        sa.Column("vat", sa.Numeric(18, 2), nullable=False),
        sa.Column("gross", sa.Numeric(18, 2), nullable=False),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("recipient_email", sa.Text, nullable=False, server_default=""),
        sa.Column("send_message", sa.Text, nullable=False, server_default=""),
        sa.Column("source_order_id", UUID, nullable=True, unique=True),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("valid_until", TZ, nullable=True),
        sa.Column("reminder_offsets", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("reminders_handled", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("next_reminder_at", TZ, nullable=True),
        sa.Column("accepted_at", TZ, nullable=True),
        sa.Column("rejected_at", TZ, nullable=True),
        sa.Column("rejection_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("expired_at", TZ, nullable=True),
        sa.Column("order_id", UUID, nullable=True),
        sa.Column("order_number", sa.Text, nullable=False, server_default=""),
        sa.Column("converted_at", TZ, nullable=True),
        sa.Column("idempotency_key", sa.Text, nullable=True, unique=True),
        sa.Column("request_hash", sa.Text, nullable=False, server_default=""),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_quotations_created", "quotations", ["created_at", "id"])
    op.create_index(
        "ix_quotations_customer_created", "quotations", ["customer_id", "created_at", "id"]
    )
    op.create_index("ix_quotations_status_created", "quotations", ["status", "created_at", "id"])
    op.create_index(
        "ix_quotations_sent_valid_until",
        "quotations",
        ["valid_until"],
        postgresql_where=sa.text("status = 'SENT'"),
    )
    op.create_index(
        "ix_quotations_next_reminder",
        "quotations",
        ["next_reminder_at"],
        postgresql_where=sa.text("status = 'SENT' AND next_reminder_at IS NOT NULL"),
    )
    op.create_index(
        "ix_quotations_lines",
        "quotations",
        ["lines"],
        postgresql_using="gin",
        postgresql_ops={"lines": "jsonb_path_ops"},
    )
    op.create_table(
        "quotation_number_counters",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "quotation_documents",
        sa.Column(
            "quotation_id",
            UUID,
            sa.ForeignKey("quotations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("quotation_documents")
    op.drop_table("quotation_number_counters")
    op.drop_table("quotations")
