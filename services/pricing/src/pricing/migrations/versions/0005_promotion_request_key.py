"""Promotions idempotent by key: `request_key` (the gateway's Idempotency-Key, per user;
unique) and `request_hash` (what was asked), written with the promotion, so a repeat of
the request answers with the first promotion instead of creating a second.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("promotions", sa.Column("request_key", sa.String(300), nullable=True))
    op.add_column("promotions", sa.Column("request_hash", sa.String(64), nullable=True))
    op.create_unique_constraint("uq_promotions_request_key", "promotions", ["request_key"])


def downgrade() -> None:
    op.drop_constraint("uq_promotions_request_key", "promotions", type_="unique")
    op.drop_column("promotions", "request_hash")
    op.drop_column("promotions", "request_key")
