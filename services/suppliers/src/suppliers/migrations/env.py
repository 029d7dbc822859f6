"""Alembic environment of the suppliers service (its own database only)."""

from cypher_runtime.migrations import run_env
from suppliers.db.tables import metadata

run_env(metadata)
