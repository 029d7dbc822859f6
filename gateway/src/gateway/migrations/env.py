"""Alembic environment of the gateway (its own database only)."""

import gateway.tables  # noqa: F401 - registers the gateway's tables on SQLModel.metadata
from cypher_runtime.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
