"""Customers: the trade register number (Nr. Reg. Com.) that invoices print.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "customers", sa.Column("reg_com", sa.Text, nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("customers", "reg_com")
