"""Inventory schema: warehouses, skus, stock, reservations, allocations, backorders,
commits and the movement ledger.

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


def upgrade() -> None:
    op.create_table(
        "warehouses",
        sa.Column("code", sa.String(10), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False, unique=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    )
    op.create_table(
        "skus",
        sa.Column("sku", sa.String(100), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "stock",
        sa.Column("sku", sa.String(100), sa.ForeignKey("skus.sku"), nullable=False),
        sa.Column("warehouse", sa.String(10), sa.ForeignKey("warehouses.code"), nullable=False),
        sa.Column("on_hand", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("reserved", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("low_stock_threshold", sa.Integer, nullable=True),
        sa.Column(
            "low_stock_armed", sa.Boolean, nullable=False, server_default=sa.text("false")
        ),
        sa.Column("version", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("sku", "warehouse", name="pk_stock"),
        sa.CheckConstraint("reserved >= 0", name="ck_stock_reserved_not_negative"),
        sa.CheckConstraint("on_hand >= reserved", name="ck_stock_available_not_negative"),
        sa.CheckConstraint(
            "low_stock_threshold IS NULL OR low_stock_threshold >= 0", name="ck_stock_threshold"
        ),
    )
    op.create_table(
        "reservations",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("order_id", sa.String(100), nullable=False, unique=True),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column(
            "allow_backorder", sa.Boolean, nullable=False, server_default=sa.text("false")
        ),
        sa.Column("lines", postgresql.JSONB, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=True),
        sa.Column("version", sa.BigInteger, nullable=False, server_default=sa.text("1")),
    )
    op.create_index(
        "ix_reservations_due",
        "reservations",
        ["expires_at"],
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_table(
        "reservation_allocations",
        sa.Column(
            "reservation_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("reservations.id"),
            nullable=False,
        ),
        sa.Column("sku", sa.String(100), nullable=False),
        sa.Column("warehouse", sa.String(10), sa.ForeignKey("warehouses.code"), nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column(
            "committed_quantity", sa.BigInteger, nullable=False, server_default=sa.text("0")
        ),
        sa.Column(
            "released_quantity", sa.BigInteger, nullable=False, server_default=sa.text("0")
        ),
        sa.PrimaryKeyConstraint(
            "reservation_id", "sku", "warehouse", name="pk_reservation_allocations"
        ),
        sa.CheckConstraint(
            "committed_quantity >= 0 AND released_quantity >= 0"
            " AND committed_quantity + released_quantity <= quantity",
            name="ck_allocation_quantities",
        ),
    )
    op.create_index(
        "ix_allocations_sku_warehouse", "reservation_allocations", ["sku", "warehouse"]
    )
    op.create_table(
        "backorders",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "reservation_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("reservations.id"),
            nullable=False,
        ),
        sa.Column("sku", sa.String(100), nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column(
            "fulfilled_quantity", sa.BigInteger, nullable=False, server_default=sa.text("0")
        ),
        sa.Column("expected_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint(
            "quantity > 0 AND fulfilled_quantity >= 0 AND fulfilled_quantity <= quantity",
            name="ck_backorder_quantities",
        ),
    )
    op.create_index(
        "ix_backorders_open",
        "backorders",
        ["sku", "id"],
        postgresql_where=sa.text("status = 'OPEN'"),
    )
    op.create_table(
        "reservation_commits",
        sa.Column(
            "reservation_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("reservations.id"),
            nullable=False,
        ),
        sa.Column("shipment_id", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("reservation_id", "shipment_id", name="pk_reservation_commits"),
    )
    op.create_table(
        "movements",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("sku", sa.String(100), nullable=False),
        sa.Column("warehouse", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("on_hand_delta", sa.BigInteger, nullable=False),
        sa.Column("reserved_delta", sa.BigInteger, nullable=False),
        sa.Column("on_hand_after", sa.BigInteger, nullable=False),
        sa.Column("reserved_after", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("reference", sa.String(200), nullable=False, server_default=sa.text("''")),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("occurred_at", TZ, nullable=False),
    )
    op.create_index("ix_movements_sku_id", "movements", ["sku", "id"])
    op.create_index("ix_movements_sku_warehouse", "movements", ["sku", "warehouse"])


def downgrade() -> None:
    for name in (
        "movements",
        "reservation_commits",
        "backorders",
        "reservation_allocations",
        "reservations",
        "stock",
        "skus",
        "warehouses",
    ):
        op.drop_table(name)
