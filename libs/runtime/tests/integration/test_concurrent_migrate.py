"""Every replica may run `migrate` at once (an init container per pod on Kubernetes):
they serialize on one advisory lock and the schema is applied exactly once."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

from cypher_runtime.migrations import MIGRATE_LOCK_KEY
from cypher_testkit.infra import postgres_admin_url, with_database
from cypher_testkit.polling import eventually
from cypher_testkit.processes import console_script


async def test_concurrent_migrate_processes_wait_for_the_lock_and_apply_once(
    database_factory: Callable[[str, Path | None], Awaitable[str]],
) -> None:
    url = await database_factory("migrate_race", None)
    libpq = with_database(postgres_admin_url(), url.rsplit("/", 1)[-1])
    env = {
        **os.environ,
        "PRICING_DATABASE_URL": url,
        "PRICING_GRPC_PORT": "1",
        "PRICING_HTTP_PORT": "1",
    }
    holder = await asyncpg.connect(libpq)
    await holder.execute(f"SELECT pg_advisory_lock({MIGRATE_LOCK_KEY})")  # a migrate running
    procs = [
        await asyncio.create_subprocess_exec(
            *console_script("pricing"),
            "migrate",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(3)
    ]

    async def waiting_on_the_lock() -> int:
        return int(
            await holder.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
        )

    await eventually(waiting_on_the_lock, lambda n: n == 3, timeout=90, what="3 migrators waiting")
    assert all(p.returncode is None for p in procs)  # none applied anything meanwhile
    assert await holder.fetchval("SELECT to_regclass('alembic_version') IS NULL")

    await holder.execute(f"SELECT pg_advisory_unlock({MIGRATE_LOCK_KEY})")
    outputs = [(await p.communicate())[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[-800:] for o in outputs]
    versions = await holder.fetch("SELECT version_num FROM alembic_version")
    assert len(versions) == 1
    assert await holder.fetchval("SELECT to_regclass('outbox') IS NOT NULL")
    await holder.close()
