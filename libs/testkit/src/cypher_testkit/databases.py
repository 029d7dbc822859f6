"""Fresh, uniquely named databases on the real PostgreSQL, migrated like production."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg

from cypher_runtime.migrations import migrate
from cypher_testkit.infra import asyncpg_url, postgres_admin_url, with_database


async def create_database(prefix: str) -> str:
    """Create an empty database; returns its SQLAlchemy asyncpg URL."""
    name = f"test_{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(postgres_admin_url())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return asyncpg_url(with_database(postgres_admin_url(), name))


async def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[-1]
    conn = await asyncpg.connect(postgres_admin_url())
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()


async def migrated_database(prefix: str, migrations_dir: Path) -> str:
    url = await create_database(prefix)
    await asyncio.to_thread(migrate, migrations_dir, url)
    return url
