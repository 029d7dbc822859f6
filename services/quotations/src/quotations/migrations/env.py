"""Alembic environment of the quotations service (its own database only)."""

from cypher_runtime.migrations import run_env
from quotations.db import metadata

run_env(metadata)
