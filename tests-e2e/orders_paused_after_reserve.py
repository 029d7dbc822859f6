"""`orders serve` with a 60 s pause between a saga's reservation and its confirmation:
the crash window test_orders_e2e kills the process in. The pause is a test seam of
`orders.main.assemble`, never a production setting."""

from __future__ import annotations

import asyncio
import uuid

from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli
from orders.main import MIGRATIONS, assemble
from orders.settings import OrdersSettings

PAUSE_SECONDS = 60


async def pause(order_id: uuid.UUID) -> None:
    await asyncio.sleep(PAUSE_SECONDS)


def build(settings: OrdersSettings) -> Runtime:
    return assemble(settings, after_reserve=pause).runtime


if __name__ == "__main__":
    run_cli(name="orders", settings_cls=OrdersSettings, build=build, migrations_dir=MIGRATIONS)
