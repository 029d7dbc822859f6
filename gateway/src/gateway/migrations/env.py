"""Alembic environment of the gateway (its own database only)."""

from cypher_runtime.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
