"""An in-progress Idempotency-Key holds a lease: a replay after `lease_until` takes the
key over (the holder that wrote the row died, or its database went away before the
outcome was written), so no key blocks its client for longer than the lease.

`holder` names the attempt that holds the key: an attempt whose lease was taken over
can no longer write an outcome or release the key.

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
    op.add_column(
        "idempotency_keys", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("idempotency_keys", sa.Column("holder", sa.Uuid(), nullable=True))
    # Keys in progress before this migration get a lease that is already over: a replay
    # takes them over at once instead of waiting out the 24 h.
    op.execute("UPDATE idempotency_keys SET lease_until = created_at WHERE state = 'in_progress'")


def downgrade() -> None:
    op.drop_column("idempotency_keys", "holder")
    op.drop_column("idempotency_keys", "lease_until")
