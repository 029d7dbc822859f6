"""Part 2: WooCommerce sync (items: sku → shop id, pending/synced/failed; runs) and the
mail log.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "shop_items",
        sa.Column("sku", sa.Text, primary_key=True),
        sa.Column("woo_id", sa.BigInteger, nullable=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("pending_since", TZ, nullable=True),
        sa.Column("changed_at", TZ, nullable=True),
        sa.Column("claimed_until", TZ, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("synced_at", TZ, nullable=True),
        sa.Column("failed_at", TZ, nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint("state IN ('PENDING', 'SYNCED', 'FAILED')", name="shop_items_state"),
    )
    op.create_index(
        "shop_items_pending",
        "shop_items",
        ["pending_since"],
        postgresql_where=sa.text("state = 'PENDING'"),
    )
    op.create_index(
        "shop_items_failed",
        "shop_items",
        ["failed_at"],
        postgresql_where=sa.text("state = 'FAILED'"),
    )
    op.create_table(
        "shop_runs",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("mode", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("heartbeat_at", TZ, nullable=False),
        sa.Column("items_total", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("items_succeeded", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("items_failed", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("items_deferred", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("batches", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("error", sa.Text, nullable=False, server_default=sa.text("''")),
    )
    # One running full / retry run at a time, whatever the number of replicas.
    op.create_index(
        "shop_runs_one_running",
        "shop_runs",
        ["mode"],
        unique=True,
        postgresql_where=sa.text("status = 'RUNNING' AND mode <> 'INCREMENTAL'"),
    )
    op.create_index("shop_runs_newest", "shop_runs", ["mode", "started_at"])

    op.create_table(
        "mail_log",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        # One mail per key, ever: the same event (or order status) never mails twice.
        sa.Column("key", sa.Text, nullable=False, unique=True),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("to_address", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("customer_id", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("subject", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("context", postgresql.JSONB, nullable=False),
        sa.Column("attachment_name", sa.Text, nullable=True),
        sa.Column("attachment_type", sa.Text, nullable=True),
        sa.Column("attachment", sa.LargeBinary, nullable=True),
        sa.Column("quotation_pdf_of", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("next_attempt_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ, nullable=True),
        sa.CheckConstraint("status IN ('PENDING', 'SENT', 'FAILED')", name="mail_log_status"),
    )
    op.create_index(
        "mail_log_due",
        "mail_log",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_index("mail_log_event", "mail_log", ["event_id"])


def downgrade() -> None:
    op.drop_table("mail_log")
    op.drop_table("shop_runs")
    op.drop_table("shop_items")
