"""Seed the warehouses: A (HQ, priority 1), B (2), C (3) unless `INVENTORY_WAREHOUSES`
names others (`CODE:Name:priority,...`). Existing rows are left as they are.

Revision ID: 0003
Revises: 0002
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DEFAULT = "A:HQ:1,B:Warehouse B:2,C:Warehouse C:3"


def parse(spec: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        code, name, priority = item.split(":")
        rows.append({"code": code.strip().upper(), "name": name.strip(), "priority": int(priority)})
    return rows


def upgrade() -> None:
    rows = parse(os.environ.get("INVENTORY_WAREHOUSES", "") or DEFAULT)
    stmt = sa.text(
        "INSERT INTO warehouses (code, name, priority, active) "
        "VALUES (:code, :name, :priority, true) ON CONFLICT DO NOTHING"
    )
    for row in rows:
        op.get_bind().execute(stmt, row)


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM warehouses"))
