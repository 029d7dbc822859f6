"""Alembic environment of the orders service (its own database only)."""

from sqlmodel import SQLModel

from cypher_runtime.migrations import run_env

run_env(SQLModel.metadata)
