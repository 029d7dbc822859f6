"""The outbox relay: publishes committed outbox rows with publisher confirms."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import asyncpg
from opentelemetry import context as otel_context
from opentelemetry import propagate
from sqlalchemy import delete, func, select, update

from cypher_runtime.db import Database
from cypher_runtime.messaging.broker import Broker
from cypher_runtime.messaging.envelope import amqp_message
from cypher_runtime.messaging.outbox_store import OUTBOX_CHANNEL, outbox
from cypher_runtime.metrics import (
    OUTBOX_BACKLOG,
    OUTBOX_FAILURES,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISHED,
)

log = logging.getLogger(__name__)


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


class OutboxRelay:
    """At-least-once delivery of the outbox. Several replicas may run: rows are claimed
    with `FOR UPDATE SKIP LOCKED`, and consumers de-duplicate by event id."""

    def __init__(
        self,
        db: Database,
        broker: Broker,
        *,
        service: str,
        batch_size: int = 200,
        poll_seconds: float = 1.0,
        retention: timedelta = timedelta(hours=72),
        publish_timeout: float = 10.0,
    ) -> None:
        self.db = db
        self.broker = broker
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retention = retention
        self.publish_timeout = publish_timeout
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._publish_loop(), name="outbox-relay"),
            asyncio.create_task(self._listen_loop(), name="outbox-listen"),
            asyncio.create_task(self._housekeeping_loop(), name="outbox-housekeeping"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def wake(self) -> None:
        self._wake.set()

    async def _publish_loop(self) -> None:
        backoff = 0.1
        while True:
            # Cleared before reading the batch: a commit notified while we publish then
            # wakes the next round at once instead of being lost until the next poll.
            self._wake.clear()
            try:
                published = await self.publish_batch()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or DB away: keep the rows, back off, retry
                OUTBOX_FAILURES.labels(self.service).inc()
                log.warning("outbox publish failed", extra={"error": repr(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)  # back within 2 s of the broker's return
                continue
            if published >= self.batch_size:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def publish_batch(self) -> int:
        """Publish up to one batch; returns how many rows were published."""
        exchange = await asyncio.wait_for(self.broker.exchange(), self.publish_timeout)
        async with self.db.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(outbox)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.created_at, outbox.c.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            results = await asyncio.gather(
                *(self._publish_row(exchange, row._mapping) for row in rows),
                return_exceptions=True,
            )
            ok = [row.id for row, res in zip(rows, results, strict=True) if res is None]
            failed = [
                (row.id, res) for row, res in zip(rows, results, strict=True) if res is not None
            ]
            now = datetime.now(UTC)
            if ok:
                await conn.execute(
                    update(outbox).where(outbox.c.id.in_(ok)).values(published_at=now)
                )
            for row_id, err in failed:
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row_id)
                    .values(attempts=outbox.c.attempts + 1, last_error=repr(err)[:500])
                )
        OUTBOX_PUBLISHED.labels(self.service).inc(len(ok))
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(rows)} outbox rows not confirmed")
        return len(ok)

    async def _publish_row(self, exchange: aio_pika.abc.AbstractExchange, row: Any) -> None:
        stored: dict[str, str] = dict(row["headers"] or {})
        message = amqp_message(
            body=bytes(row["payload"]),
            event_id=str(row["id"]),
            event_type=row["event_type"],
            source=f"/cypher/{self.service}",
            time=row["occurred_at"],
            subject=row["aggregate_id"],
            aggregate_type=row["aggregate_type"],
            version=row["aggregate_version"],
            traceparent=stored.get("traceparent"),
            extra_headers={k: stored[k] for k in ("x-actor", "x-request-id") if k in stored},
        )
        # Continue the trace of the request that wrote the event, not the relay's own.
        token = otel_context.attach(propagate.extract(stored))
        try:
            # Not mandatory: an event no service subscribes to (yet) is simply not routed;
            # a returned-message round trip per publish would buy nothing.
            await exchange.publish(
                message,
                routing_key=row["event_type"],
                mandatory=False,
                timeout=self.publish_timeout,
            )
        finally:
            otel_context.detach(token)

    async def _listen_loop(self) -> None:
        """LISTEN for commits that wrote outbox rows, so events leave in milliseconds."""
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(asyncpg_dsn(self.db.url), timeout=5)
                await conn.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
                self._wake.set()  # catch up on anything written while not listening
                while not conn.is_closed():
                    await asyncio.sleep(2)
                    await conn.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("outbox listener reconnecting", extra={"error": repr(exc)})
                await asyncio.sleep(1)
            finally:
                if conn is not None and not conn.is_closed():
                    conn.terminate()

    async def _housekeeping_loop(self) -> None:
        cycles = 0
        while True:
            try:
                async with self.db.engine.begin() as conn:
                    count, oldest = (
                        await conn.execute(
                            select(func.count(), func.min(outbox.c.created_at)).where(
                                outbox.c.published_at.is_(None)
                            )
                        )
                    ).one()
                    OUTBOX_BACKLOG.labels(self.service).set(count)
                    age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
                    OUTBOX_OLDEST_AGE.labels(self.service).set(max(age, 0.0))
                    if cycles % 720 == 0:
                        await conn.execute(
                            delete(outbox).where(
                                outbox.c.published_at < datetime.now(UTC) - self.retention
                            )
                        )
                cycles += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("outbox housekeeping failed", extra={"error": repr(exc)})
            await asyncio.sleep(5)
