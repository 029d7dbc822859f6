"""Alembic environment of the gateway (its own database only)."""

from sqlmodel import SQLModel

import gateway.tables  # noqa: F401 - registers the gateway's tables on SQLModel.metadata
from cypher_runtime.migrations import run_env

run_env(SQLModel.metadata)
