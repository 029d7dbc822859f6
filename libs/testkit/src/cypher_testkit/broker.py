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


async def delete_scope(scope: BrokerScope, queue_names: list[str] | None = None) -> None:
    """Remove the test's queues and exchanges so the shared broker does not fill up.

    Without names: every queue this process declared under the scope's prefix.
    Quorum queues are Raft clusters; hundreds left behind slow a small broker to a halt.
    """
    from cypher_runtime.messaging.consumer import DECLARED_QUEUES

    names = queue_names
    if names is None:
        names = sorted(q for q in DECLARED_QUEUES if q.startswith(scope.queue_prefix))
    connection = await aio_pika.connect(scope.amqp_url)
    try:
        channel = await connection.channel()
        for name in names:
            try:
                await channel.queue_delete(name)
            except aio_pika.exceptions.ChannelClosed:
                channel = await connection.channel()  # a missing queue closes the channel
            DECLARED_QUEUES.discard(name)
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
