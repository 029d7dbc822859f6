"""Alembic environment of the pricing service (its own database only)."""

from sqlmodel import SQLModel

from cypher_runtime.migrations import run_env

run_env(SQLModel.metadata)
