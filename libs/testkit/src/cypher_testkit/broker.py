"""Isolation on the shared RabbitMQ: a unique exchange and queue prefix per test."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import aio_pika


@dataclass(frozen=True)
class BrokerScope:
    amqp_url: str
    exchange: str
    queue_prefix: str


def new_scope(amqp_url: str) -> BrokerScope:
    tag = uuid.uuid4().hex[:10]
    return BrokerScope(amqp_url, f"cypher.events.test-{tag}", f"test-{tag}.")


async def delete_scope(scope: BrokerScope, queue_names: list[str]) -> None:
    """Remove the test's queues and exchanges so the shared broker does not fill up."""
    connection = await aio_pika.connect(scope.amqp_url)
    try:
        channel = await connection.channel()
        for name in queue_names:
            await channel.queue_delete(name)
        await channel.exchange_delete(scope.exchange)
        await channel.exchange_delete(f"{scope.exchange}.dlx")
    finally:
        await connection.close()


async def queue_depth(amqp_url: str, queue: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)
    finally:
        await connection.close()
