"""The idempotent inbox consumer.

Per consumer: one durable quorum queue bound to the event types it handles, a retry
queue that sends a failed message back after a delay, and a parking (dead-letter)
queue for messages that failed every retry or cannot be decoded. The event id is
recorded in `inbox` in the same transaction as the handler's effect, and the message
is acknowledged only after that transaction commits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from google.protobuf.message import Message
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from sqlalchemy import literal_column
from sqlalchemy.dialects.postgresql import insert

from cypher_runtime.context import actor_var, request_id_var
from cypher_runtime.db import Database, UnitOfWork
from cypher_runtime.messaging.broker import Broker, declare_exchanges
from cypher_runtime.messaging.envelope import (
    AGGREGATE_TYPE_HEADER,
    AGGREGATE_VERSION_HEADER,
    ATTEMPT_HEADER,
    CE_PREFIX,
    ERROR_HEADER,
    ReceivedEvent,
    event_registry,
    event_type_of,
)
from cypher_runtime.messaging.outbox_store import inbox, inbox_versions
from cypher_runtime.metrics import CONSUME_LATENCY, EVENTS_CONSUMED, EVENTS_DEAD_LETTERED

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Handler = Callable[[UnitOfWork, ReceivedEvent], Awaitable[None]]

# Every queue this process declared: lets test fixtures remove what a test created.
DECLARED_QUEUES: set[str] = set()


@dataclass(frozen=True)
class Subscription:
    """`versioned`: skip events whose aggregate version is not newer than one applied."""

    event_type: str
    handler: Handler
    versioned: bool = False


class PoisonMessageError(Exception):
    """A message that can never be handled (undecodable, unknown type): parked at once."""


M = TypeVar("M", bound=Message)
TypedHandler = Callable[[UnitOfWork, M, ReceivedEvent], Awaitable[None]]


def on(message_cls: type[M], handler: TypedHandler[M], *, versioned: bool = False) -> Subscription:
    """A subscription whose routing key comes from the event's proto option (never typed
    by hand) and whose handler receives the message already narrowed to its class."""

    async def typed(uow: UnitOfWork, event: ReceivedEvent) -> None:
        message = event.message
        if not isinstance(message, message_cls):
            raise PoisonMessageError(
                f"{event.type}: expected {message_cls.DESCRIPTOR.full_name}, "
                f"got {type(message).__name__}"
            )
        await handler(uow, message, event)

    return Subscription(event_type_of(message_cls), typed, versioned)


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode()
    return "" if value is None else str(value)


def decode(message: AbstractIncomingMessage) -> ReceivedEvent:
    headers = {
        k: (_text(v) if isinstance(v, bytes | bytearray) else v)
        for k, v in (message.headers or {}).items()
    }
    event_type = _text(headers.get(f"{CE_PREFIX}type")) or (message.routing_key or "")
    cls = event_registry().get(event_type)
    if cls is None:
        raise PoisonMessageError(f"unknown event type {event_type!r}")
    body = cls()
    try:
        body.ParseFromString(message.body)
    except Exception as exc:
        raise PoisonMessageError(f"undecodable {event_type}: {exc}") from exc
    event_id = _text(headers.get(f"{CE_PREFIX}id")) or _text(message.message_id)
    if not event_id:
        raise PoisonMessageError("event without id")
    raw_version: Any = headers.get(AGGREGATE_VERSION_HEADER)
    return ReceivedEvent(
        id=event_id,
        type=event_type,
        source=_text(headers.get(f"{CE_PREFIX}source")),
        subject=_text(headers.get(f"{CE_PREFIX}subject")),
        aggregate_type=_text(headers.get(AGGREGATE_TYPE_HEADER)),
        version=int(raw_version) if raw_version not in (None, "") else None,
        time=_text(headers.get(f"{CE_PREFIX}time")),
        message=body,
        headers=headers,
    )


class InboxConsumer:
    def __init__(
        self,
        *,
        service: str,
        purpose: str,
        db: Database,
        broker: Broker,
        subscriptions: Sequence[Subscription],
        prefetch: int = 32,
        max_retries: int = 5,
        retry_delay_ms: int = 2000,
        delivery_limit: int = 20,
        queue_prefix: str = "",
        queue_expires_ms: int | None = None,
        after_commit: Callable[[ReceivedEvent], Awaitable[None]] | None = None,
    ) -> None:
        if not subscriptions:
            raise ValueError("a consumer needs at least one subscription")
        self.service = service
        self.db = db
        self.broker = broker
        self.queue_name = f"{queue_prefix}{service}.{purpose}"
        self.subscriptions = {s.event_type: s for s in subscriptions}
        self.prefetch = prefetch
        self.max_retries = max_retries
        self.retry_delay_ms = retry_delay_ms
        self.delivery_limit = delivery_limit
        self.after_commit = after_commit
        # Only for short-lived stacks (tests, previews): the broker deletes the queues
        # once no consumer has used them for this long. Never set in production.
        self._expires: dict[str, int] = {"x-expires": queue_expires_ms} if queue_expires_ms else {}
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._tag: str | None = None

    @property
    def retry_queue_name(self) -> str:
        # The delay is part of the name: RabbitMQ refuses to redeclare a queue with other
        # arguments, so a changed delay setting gets its own queue instead of a crash.
        return f"{self.queue_name}.retry-{self.retry_delay_ms}ms"

    @property
    def parking_queue_name(self) -> str:
        return f"{self.queue_name}.dlq"

    @property
    def queue_names(self) -> list[str]:
        return [self.queue_name, self.retry_queue_name, self.parking_queue_name]

    async def declare(self, channel: AbstractChannel) -> AbstractQueue:
        """Declare exchanges, queues and bindings idempotently."""
        exchange = await declare_exchanges(channel, self.broker.exchange_name)
        dlx = await channel.get_exchange(self.broker.dlx_name)
        queue = await channel.declare_queue(
            self.queue_name,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-dead-letter-exchange": self.broker.dlx_name,
                "x-dead-letter-routing-key": self.queue_name,
                # A message that keeps killing its consumer before the ack is parked too.
                "x-delivery-limit": self.delivery_limit,
                **self._expires,
            },
        )
        await channel.declare_queue(
            self.retry_queue_name,
            durable=True,
            arguments={
                "x-message-ttl": self.retry_delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.queue_name,
                **self._expires,
            },
        )
        parking = await channel.declare_queue(
            self.parking_queue_name,
            durable=True,
            arguments={"x-queue-type": "quorum", **self._expires},
        )
        DECLARED_QUEUES.update(self.queue_names)
        await parking.bind(dlx, routing_key=self.queue_name)
        for event_type in self.subscriptions:
            await queue.bind(exchange, routing_key=event_type)
        return queue

    async def start(self) -> None:
        conn = await self.broker.connection()
        self._channel = await conn.channel(publisher_confirms=True)
        await self._channel.set_qos(prefetch_count=self.prefetch)
        self._queue = await self.declare(self._channel)
        self._tag = await self._queue.consume(self._on_message)

    async def stop(self, timeout: float = 5.0) -> None:
        # Bounded: with the broker gone, a cancel or close would wait for a reply forever.
        try:
            async with asyncio.timeout(timeout):
                if self._queue is not None and self._tag is not None:
                    await self._queue.cancel(self._tag)
                if self._channel is not None and not self._channel.is_closed:
                    await self._channel.close()
        except Exception as exc:  # the channel may already be gone at shutdown
            log.debug("consumer stop incomplete", extra={"error": repr(exc)})

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        started = time.perf_counter()
        # Retried messages come back through the default exchange with the queue name as
        # routing key, so the event type is read from the CloudEvents header.
        event_type = _text((message.headers or {}).get(f"{CE_PREFIX}type")) or (
            message.routing_key or "?"
        )
        parent = propagate.extract({k: _text(v) for k, v in (message.headers or {}).items()})
        token = otel_context.attach(parent)
        try:
            with tracer.start_as_current_span(
                f"consume {event_type}", kind=trace.SpanKind.CONSUMER
            ) as span:
                span.set_attribute("messaging.destination.name", self.queue_name)
                outcome = await self._handle(message)
                span.set_attribute("cypher.outcome", outcome)
        finally:
            otel_context.detach(token)
        EVENTS_CONSUMED.labels(self.service, self.queue_name, event_type, outcome).inc()
        CONSUME_LATENCY.labels(self.service, self.queue_name).observe(time.perf_counter() - started)

    async def _handle(self, message: AbstractIncomingMessage) -> str:
        try:
            event = decode(message)
        except PoisonMessageError as exc:
            await self._park(message, str(exc))
            return "parked"
        subscription = self.subscriptions.get(event.type)
        if subscription is None:
            await self._park(message, f"no handler for {event.type}")
            return "parked"
        request_token = request_id_var.set(_text(event.headers.get("x-request-id")) or None)
        actor_token = actor_var.set(_text(event.headers.get("x-actor")) or None)
        try:
            outcome = await self._apply(subscription, event)
        except Exception as exc:
            log.warning(
                "event handler failed",
                extra={"event_id": event.id, "event_type": event.type, "error": repr(exc)},
            )
            return await self._retry_or_park(message, repr(exc))
        finally:
            request_id_var.reset(request_token)
            actor_var.reset(actor_token)
        if outcome == "applied" and self.after_commit is not None:
            await self.after_commit(event)
        await message.ack()
        return outcome

    async def _apply(self, subscription: Subscription, event: ReceivedEvent) -> str:
        async with self.db.unit_of_work() as uow:
            inserted: Any = await uow.session.execute(
                insert(inbox)
                .values(consumer=self.queue_name, event_id=event.id, event_type=event.type)
                .on_conflict_do_nothing()
                .returning(literal_column("1"))
            )
            if inserted.first() is None:
                return "duplicate"
            if subscription.versioned and event.version is not None:
                stmt = insert(inbox_versions).values(
                    consumer=self.queue_name,
                    aggregate_type=event.aggregate_type,
                    aggregate_id=event.subject,
                    version=event.version,
                )
                fresher: Any = await uow.session.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["consumer", "aggregate_type", "aggregate_id"],
                        set_={"version": stmt.excluded.version},
                        where=inbox_versions.c.version < stmt.excluded.version,
                    ).returning(literal_column("1"))
                )
                if fresher.first() is None:
                    await uow.commit()  # remember the id; the stale event has no effect
                    return "stale"
            await subscription.handler(uow, event)
            await uow.commit()
        return "applied"

    def _attempt(self, message: AbstractIncomingMessage) -> int:
        raw = (message.headers or {}).get(ATTEMPT_HEADER, 0)
        try:
            return int(_text(raw) or 0)
        except ValueError:
            return 0

    async def _retry_or_park(self, message: AbstractIncomingMessage, error: str) -> str:
        attempt = self._attempt(message) + 1
        if attempt > self.max_retries:
            await self._park(message, error)
            return "parked"
        assert self._channel is not None
        headers = dict(message.headers or {})
        headers[ATTEMPT_HEADER] = attempt
        headers[ERROR_HEADER] = error[:500]
        # Confirmed publish to the delay queue first, then ack: a crash in between
        # duplicates the message, which the inbox absorbs; it never loses it.
        await self._channel.default_exchange.publish(
            self._copy(message, headers), routing_key=self.retry_queue_name
        )
        await message.ack()
        return "retried"

    async def _park(self, message: AbstractIncomingMessage, error: str) -> None:
        assert self._channel is not None
        headers = dict(message.headers or {})
        headers[ERROR_HEADER] = error[:500]
        dlx = await self._channel.get_exchange(self.broker.dlx_name)
        await dlx.publish(self._copy(message, headers), routing_key=self.queue_name)
        await message.ack()
        EVENTS_DEAD_LETTERED.labels(self.service, self.queue_name).inc()
        log.error(
            "event parked in dead-letter queue",
            extra={
                "queue": self.parking_queue_name,
                "message_id": message.message_id,
                "error": error,
            },
        )

    @staticmethod
    def _copy(message: AbstractIncomingMessage, headers: dict[str, Any]) -> aio_pika.Message:
        return aio_pika.Message(
            body=message.body,
            headers=headers,
            message_id=message.message_id,
            type=message.type,
            content_type=message.content_type,
            timestamp=message.timestamp,
            app_id=message.app_id,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )


async def wait_idle(consumer: InboxConsumer, timeout: float = 10.0) -> None:
    """Test helper: wait until the consumer's queue is empty."""
    deadline = time.monotonic() + timeout
    assert consumer._channel is not None
    while time.monotonic() < deadline:
        q = await consumer._channel.declare_queue(consumer.queue_name, passive=True)
        if q.declaration_result.message_count == 0:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{consumer.queue_name} not drained")
