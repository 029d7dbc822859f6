"""The event envelope: a protobuf body plus CloudEvents AMQP headers."""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import aio_pika
from google.protobuf.message import Message

CE_PREFIX = "cloudEvents:"
AGGREGATE_VERSION_HEADER = "cloudEvents:aggregateversion"
AGGREGATE_TYPE_HEADER = "cloudEvents:aggregatetype"
ATTEMPT_HEADER = "x-cypher-attempt"
ERROR_HEADER = "x-cypher-error"


def event_type_of(message_cls: type[Message] | Message) -> str:
    """The routing key declared on the message by the `cypher.common.v1.event_type` option."""
    from cypher.common.v1 import options_pb2

    options = message_cls.DESCRIPTOR.GetOptions()
    value = str(options.Extensions[options_pb2.event_type])
    if not value:
        raise ValueError(f"{message_cls.DESCRIPTOR.full_name} is not an event message")
    return value


@cache
def event_registry() -> dict[str, type[Message]]:
    """Every event message of every generated `cypher.<domain>.v1.events_pb2`, by type."""
    import cypher

    registry: dict[str, type[Message]] = {}
    for domain in pkgutil.iter_modules(cypher.__path__):
        try:
            module = importlib.import_module(f"cypher.{domain.name}.v1.events_pb2")
        except ModuleNotFoundError:
            continue
        for name in module.DESCRIPTOR.message_types_by_name:
            cls = getattr(module, name)
            try:
                registry[event_type_of(cls)] = cls
            except ValueError:
                continue  # a helper message inside events.proto, not an event
    return registry


@dataclass(frozen=True)
class Event:
    """A fact to publish. `version` orders events of one aggregate (stale ones are ignored)."""

    message: Message
    aggregate_type: str
    aggregate_id: str
    version: int | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def type(self) -> str:
        return event_type_of(self.message)


def cloudevent_headers(
    *,
    event_id: str,
    event_type: str,
    source: str,
    time: datetime,
    subject: str,
    aggregate_type: str,
    version: int | None,
    traceparent: str | None,
) -> dict[str, Any]:
    headers: dict[str, Any] = {
        f"{CE_PREFIX}specversion": "1.0",
        f"{CE_PREFIX}id": event_id,
        f"{CE_PREFIX}type": event_type,
        f"{CE_PREFIX}source": source,
        f"{CE_PREFIX}time": time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        f"{CE_PREFIX}subject": subject,
        AGGREGATE_TYPE_HEADER: aggregate_type,
    }
    if version is not None:
        headers[AGGREGATE_VERSION_HEADER] = version
    if traceparent:
        headers["traceparent"] = traceparent
    return headers


@dataclass(frozen=True)
class ReceivedEvent:
    """What a consumer's handler gets: the decoded body and the envelope facts."""

    id: str
    type: str
    source: str
    subject: str
    aggregate_type: str
    version: int | None
    time: str
    message: Message
    headers: dict[str, Any]


def amqp_message(
    *,
    body: bytes,
    event_id: str,
    event_type: str,
    source: str,
    time: datetime,
    subject: str,
    aggregate_type: str,
    version: int | None,
    traceparent: str | None = None,
    extra_headers: dict[str, Any] | None = None,
) -> aio_pika.Message:
    """The AMQP message of one event, as every producer sends it (the relay, and tests
    standing in for another service)."""
    headers = cloudevent_headers(
        event_id=event_id,
        event_type=event_type,
        source=source,
        time=time,
        subject=subject,
        aggregate_type=aggregate_type,
        version=version,
        traceparent=traceparent,
    )
    headers.update(extra_headers or {})
    return aio_pika.Message(
        body=body,
        message_id=event_id,
        type=event_type,
        content_type="application/protobuf",
        timestamp=time,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        app_id=source.rsplit("/", 1)[-1],
        headers=headers,
    )
