"""Alembic environment of the pricing service (its own database only)."""

import pricing.tables  # noqa: F401  - registers the pricing tables on SQLModel.metadata
from cypher_runtime.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
