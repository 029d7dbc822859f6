"""Alembic per service: a shared env.py body and the `migrate` command."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from cypher_runtime.messaging.outbox_store import messaging_metadata

DATABASE_URL_ATTR = "database_url"
# The advisory lock every `migrate` of a database takes for its whole transaction.
MIGRATE_LOCK_KEY = 0x6D696772  # "migr"


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.attributes[DATABASE_URL_ATTR] = database_url
    return cfg


def migrate(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (blocking; run in a thread from async code)."""
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def run_env(target_metadata: MetaData | Sequence[MetaData]) -> None:
    """The body of every service's migrations/env.py."""
    config = context.config
    url = config.attributes.get(DATABASE_URL_ATTR) or os.environ["DATABASE_URL"]
    metadata = list(target_metadata) if isinstance(target_metadata, Sequence) else [target_metadata]
    metadata.append(messaging_metadata)

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            # Replicas may run `migrate` at once (an init container per pod): the second
            # waits here for the first's commit, then finds nothing left to apply.
            connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK_KEY})"))
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())


def create_messaging_tables() -> None:
    """For a service's first migration: outbox, inbox and inbox_versions."""
    from alembic import op

    messaging_metadata.create_all(op.get_bind(), checkfirst=True)


def drop_messaging_tables() -> None:
    from alembic import op

    messaging_metadata.drop_all(op.get_bind(), checkfirst=True)
