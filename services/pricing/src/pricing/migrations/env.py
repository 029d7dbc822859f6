"""Alembic environment of the pricing service (its own database only)."""

from sqlmodel import SQLModel

import pricing.db.tables  # noqa: F401  - registers the pricing tables on SQLModel.metadata
from cypher_runtime.migrations import run_env

run_env(SQLModel.metadata)
