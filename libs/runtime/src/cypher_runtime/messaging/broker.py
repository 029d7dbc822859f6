"""A RabbitMQ connection that keeps trying while the broker is away.

`aio_pika.connect_robust` restores channels, exchanges, queues and consumers after a
lost connection, but its *first* connect fails outright; this wrapper retries that
first connect in the background so a service can start before its broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractRobustConnection,
)

log = logging.getLogger(__name__)


class Broker:
    def __init__(self, url: str, exchange: str, *, service: str) -> None:
        self.url = url
        self.exchange_name = exchange
        self.dlx_name = f"{exchange}.dlx"
        self.service = service
        self._connection: AbstractRobustConnection | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._lock = asyncio.Lock()
        self._closing = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._connect_forever(), name="broker-connect")

    async def _connect_forever(self) -> None:
        delay = 0.2
        while not self._closing:
            try:
                connection = await aio_pika.connect_robust(
                    self.url,
                    client_properties={"connection_name": self.service},
                    reconnect_interval=1.0,
                    fail_fast="false",
                )
                if self._closing:  # closed while the handshake was in flight
                    await connection.close()
                    return
                self._connection = connection
                self._connected.set()
                log.info("connected to broker")
                return
            except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as exc:
                log.warning("broker not reachable, retrying", extra={"error": str(exc)})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def connection(self, timeout: float | None = None) -> AbstractRobustConnection:
        self.start()
        await asyncio.wait_for(self._connected.wait(), timeout)
        assert self._connection is not None
        return self._connection

    def is_up(self) -> bool:
        conn = self._connection
        if conn is None or conn.is_closed:
            return False
        connected = getattr(conn, "connected", None)
        return bool(connected.is_set()) if isinstance(connected, asyncio.Event) else True

    async def exchange(self) -> AbstractExchange:
        """The events exchange on a publisher-confirm channel (declared idempotently)."""
        async with self._lock:
            if (
                self._exchange is None
                or self._publish_channel is None
                or self._publish_channel.is_closed
            ):
                conn = await self.connection()
                self._publish_channel = await conn.channel(publisher_confirms=True)
                self._exchange = await declare_exchanges(self._publish_channel, self.exchange_name)
            return self._exchange

    async def close(self, timeout: float = 5.0) -> None:
        self._closing = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            # A handshake to an unresponsive broker may not honour cancellation at once.
            with contextlib.suppress(BaseException):
                async with asyncio.timeout(timeout):
                    await self._task
        if self._connection is not None:
            try:
                async with asyncio.timeout(timeout):
                    await self._connection.close()
            except Exception as exc:  # an unresponsive broker must not hang shutdown
                log.warning("broker connection not closed cleanly", extra={"error": repr(exc)})


async def declare_exchanges(channel: AbstractChannel, name: str) -> AbstractExchange:
    """The topic exchange all events go through, and its dead-letter exchange."""
    await channel.declare_exchange(f"{name}.dlx", aio_pika.ExchangeType.DIRECT, durable=True)
    return await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
