"""Alembic environment of the integration service (its own database only)."""

from cypher_runtime.migrations import run_env
from integration.db.tables import metadata

run_env(metadata)
