"""Alembic environment of the orders service (its own database only)."""

from cypher_runtime.migrations import run_env
from orders.db.tables import metadata

run_env(metadata)
