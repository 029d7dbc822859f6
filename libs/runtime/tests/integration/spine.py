"""Two minimal services on the runtime for the spine tests: a producer writing orders
with their events in one transaction, and a consumer applying them through its inbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text

from cypher.common.v1 import money_pb2
from cypher.orders.v1 import events_pb2
from cypher_runtime.db import Database, UnitOfWork
from cypher_runtime.messaging.envelope import Event, ReceivedEvent
from cypher_runtime.messaging.outbox_store import messaging_metadata

CONFIRMED = "orders.order.confirmed.v1"
POISON_ORDER = "poison"


async def create_producer_schema(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(messaging_metadata.create_all)
        await conn.execute(
            text("CREATE TABLE demo_orders (id text PRIMARY KEY, total numeric NOT NULL)")
        )


async def create_consumer_schema(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(messaging_metadata.create_all)
        # No unique key on purpose: a second application of an event would show up.
        await conn.execute(text("CREATE TABLE effects (order_id text NOT NULL, total numeric)"))
        await conn.execute(
            text(
                "CREATE TABLE order_state (order_id text PRIMARY KEY, "
                "total numeric NOT NULL, version bigint NOT NULL)"
            )
        )


async def place_order(
    db: Database, total: str, *, order_id: str | None = None, version: int = 1
) -> str:
    """The producer's use case: state change and event in one transaction."""
    order_id = order_id or uuid.uuid4().hex
    async with db.unit_of_work() as uow:
        await uow.session.execute(
            text(
                "INSERT INTO demo_orders (id, total) VALUES (:id, :t) "
                "ON CONFLICT (id) DO UPDATE SET total = excluded.total"
            ),
            {"id": order_id, "t": Decimal(total)},
        )
        uow.publish(
            Event(
                events_pb2.OrderConfirmed(
                    order_id=order_id,
                    customer_id="c-1",
                    net_total=money_pb2.Money(amount=total, currency="RON"),
                    version=version,
                ),
                aggregate_type="order",
                aggregate_id=order_id,
                version=version,
            )
        )
        await uow.commit()
    return order_id


async def apply_confirmed(uow: UnitOfWork, event: ReceivedEvent) -> None:
    """The consumer's effect."""
    message = event.message
    assert isinstance(message, events_pb2.OrderConfirmed)
    if message.order_id == POISON_ORDER:
        raise ValueError("this order can never be applied")
    await uow.session.execute(
        text("INSERT INTO effects (order_id, total) VALUES (:o, :t)"),
        {"o": message.order_id, "t": Decimal(message.net_total.amount)},
    )
    await uow.session.execute(
        text(
            "INSERT INTO order_state (order_id, total, version) VALUES (:o, :t, :v) "
            "ON CONFLICT (order_id) DO UPDATE "
            "SET total = excluded.total, version = excluded.version"
        ),
        {"o": message.order_id, "t": Decimal(message.net_total.amount), "v": message.version},
    )


@dataclass
class Counts:
    effects: int
    distinct: int


async def effect_counts(db: Database) -> Counts:
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(text("SELECT count(*), count(DISTINCT order_id) FROM effects"))
        ).one()
    return Counts(int(row[0]), int(row[1]))


async def unpublished(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int(
            (
                await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
            ).scalar_one()
        )
