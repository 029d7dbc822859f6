"""Publishing an event in a test exactly as another service's outbox relay would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aio_pika.abc import AbstractExchange
from google.protobuf.message import Message

from cypher_runtime.messaging.envelope import amqp_message, event_type_of


async def publish_event(
    exchange: AbstractExchange,
    message: Message,
    *,
    subject: str = "x",
    aggregate_type: str = "test",
    version: int | None = None,
    event_id: str | None = None,
    source: str = "/cypher/test",
) -> str:
    """Publish `message` (an event proto) on `exchange`; returns its event id."""
    event_id = event_id or str(uuid.uuid4())
    event_type = event_type_of(message)
    await exchange.publish(
        amqp_message(
            body=message.SerializeToString(),
            event_id=event_id,
            event_type=event_type,
            source=source,
            time=datetime.now(UTC),
            subject=subject,
            aggregate_type=aggregate_type,
            version=version,
        ),
        routing_key=event_type,
    )
    return event_id
