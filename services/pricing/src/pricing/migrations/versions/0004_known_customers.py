"""Known customers: the customers pricing has learned of from orders' events
(customer.upserted, order.confirmed/cancelled), so a tier override can name only an
existing customer. Only the id and the customer's version are kept: pricing needs to
know that a customer exists, not its billing data.

Customers with orders already recorded are known from the start.

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
        "known_customers",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO known_customers (customer_id, version, updated_at) "
        "SELECT customer_id, 0, max(updated_at) FROM customer_orders GROUP BY customer_id"
    )


def downgrade() -> None:
    op.drop_table("known_customers")
