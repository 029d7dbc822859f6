"""Alembic environment of the inventory service (its own database only)."""

from cypher_runtime.migrations import run_env
from inventory.db import metadata

run_env(metadata)
