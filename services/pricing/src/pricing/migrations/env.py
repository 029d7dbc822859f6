"""Alembic environment of the pricing service (its own database only)."""

from cypher_runtime.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
