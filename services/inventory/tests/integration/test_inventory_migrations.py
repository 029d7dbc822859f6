"""The migrations build exactly the schema the code's tables describe, and seed the
three warehouses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from cypher_runtime.messaging.outbox_store import messaging_metadata
from inventory.db import metadata
from inventory.main import MIGRATIONS
from services.inventory.tests.integration.inventory_harness import DatabaseFactory


async def test_migrated_schema_matches_the_tables_in_code(
    database_factory: DatabaseFactory,
) -> None:
    url = await database_factory("inventory", Path(MIGRATIONS))
    engine = create_async_engine(url)

    # The runtime's messaging tables (and alembic's own) are not in `inventory.db.metadata`.
    foreign = {*messaging_metadata.tables, "alembic_version"}

    def ours(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return getattr(table, "name", name) not in foreign

    def diff(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": ours}
        )
        return list(compare_metadata(context, metadata))

    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(diff)
            warehouses = (
                await conn.exec_driver_sql(
                    "SELECT code, name, priority FROM warehouses ORDER BY priority"
                )
            ).all()
    finally:
        await engine.dispose()
    assert differences == []
    assert [tuple(w) for w in warehouses] == [
        ("A", "HQ", 1),
        ("B", "Warehouse B", 2),
        ("C", "Warehouse C", 3),
    ]
