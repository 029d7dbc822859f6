"""Seed the default pricing rules (BUSINESS_RULES.md): tiers, volume discounts, VAT rates.

Values are copied here on purpose: a migration is history and must not change when the
defaults in code do. Change rules later with a new data migration (or SQL by an admin).

Revision ID: 0003
Revises: 0002
"""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

tier_rules = sa.table(
    "tier_rules",
    sa.column("tier", sa.String),
    sa.column("min_spend", sa.Numeric),
    sa.column("discount_pct", sa.Numeric),
)
volume_rules = sa.table(
    "volume_rules", sa.column("min_quantity", sa.Integer), sa.column("discount_pct", sa.Numeric)
)
vat_rates = sa.table(
    "vat_rates",
    sa.column("vat_category", sa.String),
    sa.column("rate_pct", sa.Numeric),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
)

START = date(2000, 1, 1)
LAST_OLD = date(2025, 7, 31)
CHANGE = date(2025, 8, 1)


def upgrade() -> None:
    op.bulk_insert(
        tier_rules,
        [
            {"tier": "STANDARD", "min_spend": Decimal(0), "discount_pct": Decimal(0)},
            {"tier": "TIER_1", "min_spend": Decimal(5000), "discount_pct": Decimal(5)},
            {"tier": "TIER_2", "min_spend": Decimal(15000), "discount_pct": Decimal(10)},
            {"tier": "TIER_3", "min_spend": Decimal(30000), "discount_pct": Decimal(15)},
        ],
    )
    op.bulk_insert(
        volume_rules,
        [
            {"min_quantity": 0, "discount_pct": Decimal(0)},
            {"min_quantity": 10, "discount_pct": Decimal(2)},
            {"min_quantity": 50, "discount_pct": Decimal(5)},
            {"min_quantity": 100, "discount_pct": Decimal(8)},
        ],
    )
    op.bulk_insert(
        vat_rates,
        [
            {"vat_category": "STANDARD", "rate_pct": Decimal(19), "valid_from": START,
             "valid_to": LAST_OLD},
            {"vat_category": "STANDARD", "rate_pct": Decimal(21), "valid_from": CHANGE,
             "valid_to": None},
            {"vat_category": "REDUCED", "rate_pct": Decimal(9), "valid_from": START,
             "valid_to": LAST_OLD},
            {"vat_category": "REDUCED", "rate_pct": Decimal(11), "valid_from": CHANGE,
             "valid_to": None},
            {"vat_category": "SUPER_REDUCED", "rate_pct": Decimal(5), "valid_from": START,
             "valid_to": LAST_OLD},
            {"vat_category": "SUPER_REDUCED", "rate_pct": Decimal(11), "valid_from": CHANGE,
             "valid_to": None},
            {"vat_category": "EXEMPT", "rate_pct": Decimal(0), "valid_from": START,
             "valid_to": None},
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM vat_rates")
    op.execute("DELETE FROM volume_rules")
    op.execute("DELETE FROM tier_rules")
