"""Inventory schema: warehouses, skus, stock, reservations, allocations, backorders,
commits and the movement ledger.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from inventory.db import metadata

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = (
    "warehouses",
    "skus",
    "stock",
    "reservations",
    "reservation_allocations",
    "backorders",
    "reservation_commits",
    "movements",
)


def upgrade() -> None:
    # The tables as defined at this revision; later changes get their own migrations.
    bind = op.get_bind()
    for name in TABLES:
        metadata.tables[name].create(bind, checkfirst=False)


def downgrade() -> None:
    bind = op.get_bind()
    for name in reversed(TABLES):
        metadata.tables[name].drop(bind, checkfirst=True)
