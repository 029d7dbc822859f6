"""The catalogue inventory knows (`known_products`), learned from pricing's
`product.upserted` events. Skus already stocked are carried over (version 0, so the
first event of the product replaces the row): they were stocked before receipts
required a known product, and refusing them now would freeze their stock.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_products",
        sa.Column("sku", sa.String(100), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO known_products (sku, version, learned_at) "
        "SELECT sku, 0, created_at FROM skus ON CONFLICT DO NOTHING"
    )


def downgrade() -> None:
    op.drop_table("known_products")
