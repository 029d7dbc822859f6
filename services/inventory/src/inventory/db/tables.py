"""Inventory tables (SQLAlchemy Core).

Core rather than ORM models: every stock write is a set-based conditional UPDATE
(`... WHERE on_hand + :d >= reserved ...`), which an identity map would only get in
the way of. The CHECK constraints are the last guard: whatever a bug does, the
database refuses a negative `available`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()

warehouses = Table(
    "warehouses",
    metadata,
    Column("code", String(10), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("priority", Integer, nullable=False, unique=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
)

# One row per sku ever stocked: the per-sku lock every stock writer takes first (in sku
# order) and the per-sku stock version carried by inventory.stock_changed.
skus = Table(
    "skus",
    metadata,
    Column("sku", String(100), primary_key=True),
    Column("version", BigInteger, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

stock = Table(
    "stock",
    metadata,
    Column("sku", String(100), ForeignKey("skus.sku"), nullable=False),
    Column("warehouse", String(10), ForeignKey("warehouses.code"), nullable=False),
    Column("on_hand", BigInteger, nullable=False, server_default=text("0")),
    Column("reserved", BigInteger, nullable=False, server_default=text("0")),
    Column("low_stock_threshold", Integer, nullable=True),
    # True while available >= threshold: the next fall below it raises one alert.
    Column("low_stock_armed", Boolean, nullable=False, server_default=text("false")),
    # Per sku×warehouse version, bumped on each change of this row.
    Column("version", BigInteger, nullable=False, server_default=text("0")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("sku", "warehouse", name="pk_stock"),
    CheckConstraint("reserved >= 0", name="ck_stock_reserved_not_negative"),
    CheckConstraint("on_hand >= reserved", name="ck_stock_available_not_negative"),
    CheckConstraint(
        "low_stock_threshold IS NULL OR low_stock_threshold >= 0", name="ck_stock_threshold"
    ),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", String(100), nullable=False, unique=True),
    Column("status", String(30), nullable=False),
    Column("allow_backorder", Boolean, nullable=False, server_default=text("false")),
    # Canonical requested lines [[sku, qty], ...]: a replay must name the same ones.
    Column("lines", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("version", BigInteger, nullable=False, server_default=text("1")),
    Index("ix_reservations_due", "expires_at", postgresql_where=text("status = 'PENDING'")),
)

reservation_allocations = Table(
    "reservation_allocations",
    metadata,
    Column("reservation_id", UUID(as_uuid=True), ForeignKey("reservations.id"), nullable=False),
    Column("sku", String(100), nullable=False),
    Column("warehouse", String(10), ForeignKey("warehouses.code"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("committed_quantity", BigInteger, nullable=False, server_default=text("0")),
    Column("released_quantity", BigInteger, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("reservation_id", "sku", "warehouse", name="pk_reservation_allocations"),
    CheckConstraint(
        "committed_quantity >= 0 AND released_quantity >= 0"
        " AND committed_quantity + released_quantity <= quantity",
        name="ck_allocation_quantities",
    ),
    Index("ix_allocations_sku_warehouse", "sku", "warehouse"),
)

backorders = Table(
    "backorders",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("reservation_id", UUID(as_uuid=True), ForeignKey("reservations.id"), nullable=False),
    Column("sku", String(100), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("fulfilled_quantity", BigInteger, nullable=False, server_default=text("0")),
    Column("expected_date", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "quantity > 0 AND fulfilled_quantity >= 0 AND fulfilled_quantity <= quantity",
        name="ck_backorder_quantities",
    ),
    Index("ix_backorders_open", "sku", "id", postgresql_where=text("status = 'OPEN'")),
)

# Shipments already committed: Commit is idempotent by shipment id.
reservation_commits = Table(
    "reservation_commits",
    metadata,
    Column("reservation_id", UUID(as_uuid=True), ForeignKey("reservations.id"), nullable=False),
    Column("shipment_id", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("reservation_id", "shipment_id", name="pk_reservation_commits"),
)

movements = Table(
    "movements",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("sku", String(100), nullable=False),
    Column("warehouse", String(10), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("on_hand_delta", BigInteger, nullable=False),
    Column("reserved_delta", BigInteger, nullable=False),
    Column("on_hand_after", BigInteger, nullable=False),
    Column("reserved_after", BigInteger, nullable=False),
    Column("reason", Text, nullable=False, server_default=text("''")),
    Column("reference", String(200), nullable=False, server_default=text("''")),
    Column("actor", String(200), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Index("ix_movements_sku_id", "sku", "id"),
    Index("ix_movements_sku_warehouse", "sku", "warehouse"),
)

# The catalogue as pricing announced it (`pricing.product.upserted`): stock may only be
# booked for a sku listed here. Inventory never reads pricing's database.
known_products = Table(
    "known_products",
    metadata,
    Column("sku", String(100), primary_key=True),
    # The product version of the last event applied (0: stocked before inventory
    # learned the catalogue from events, see migration 0004).
    Column("version", BigInteger, nullable=False),
    Column("learned_at", DateTime(timezone=True), nullable=False),
)

# Receipts, adjustments and transfers applied under an idempotency key (the gateway's
# Idempotency-Key, per user): written in the same transaction as the movements, so a
# repeat finds the first run's movements instead of moving stock again.
applied_requests = Table(
    "applied_requests",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("movement_ids", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
