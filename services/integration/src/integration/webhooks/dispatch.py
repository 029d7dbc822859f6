"""The webhook dispatcher: POSTs the recorded deliveries.

Each round claims due PENDING deliveries in a short transaction (FOR UPDATE SKIP
LOCKED; their next attempt is moved a lease ahead, so another replica leaves them
alone), then sends them concurrently (at most `concurrency` at once) and records each
outcome in its own transaction. Before each send the endpoint's host is resolved again
and every address must be public (a name re-pointed inside after registration is
refused; the delivery parks). Redirects are not followed.

Crash guarantees: a delivery is DELIVERED only after the endpoint answered 2xx; a crash
between the answer and the save sends it again after the lease — at least once, and
the `Webhook-Id` header (the body's `id`, the same on every attempt) lets the receiver
drop the duplicate. A non-2xx answer, a timeout or a refused connection is a failed
attempt: retried after the schedule's next delay, PARKED past its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import timedelta

import httpx
from prometheus_client import Counter, Histogram

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, UnitOfWork, in_transaction
from integration.webhooks.db import Deliveries, Endpoints
from integration.webhooks.domain.hooks import (
    Delivery,
    DeliveryStatus,
    Endpoint,
    InvalidWebhook,
    RetrySchedule,
    check_resolved,
    check_url,
    signature_header,
)
from integration.webhooks.ports import ResolverPort

log = logging.getLogger(__name__)

ATTEMPTS = Counter("integration_webhook_attempts_total", "Webhook delivery attempts", ["outcome"])
LATENCY = Histogram(
    "integration_webhook_attempt_seconds",
    "Duration of one webhook POST",
    buckets=(
        0.01,
        0.05,
        0.1,
        0.25,
        0.5,
        1,
        2.5,
        5,
        10,
    ),
)
USER_AGENT = "CYPHER-Webhooks/1"


def body_bytes(delivery: Delivery) -> bytes:
    return json.dumps(delivery.body(), separators=(",", ":"), ensure_ascii=False).encode()


def headers_for(
    endpoint: Endpoint, delivery: Delivery, body: bytes, timestamp: int
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Webhook-Id": str(delivery.id),
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature_header(endpoint.secret, timestamp, body),
    }


class WebhookDispatcher:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        resolver: ResolverPort,
        *,
        schedule: RetrySchedule,
        allow_hosts: tuple[str, ...],
        timeout_seconds: float,
        connect_timeout_seconds: float,
        idle_seconds: float,
        batch: int,
        concurrency: int,
        lease: timedelta,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.resolver = resolver
        self.schedule = schedule
        self.allow_hosts = allow_hosts
        self.idle = idle_seconds
        self.batch = batch
        self.lease = lease
        self._limit = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds, connect=connect_timeout_seconds),
            follow_redirects=False,
            transport=transport,
            limits=httpx.Limits(max_connections=concurrency * 2),
        )

    def nudge(self) -> None:
        self._wake.set()

    async def close(self) -> None:
        await self.http.aclose()

    async def run(self) -> None:
        while True:
            # Cleared before the round: a row recorded during it wakes the next at once.
            self._wake.clear()
            try:
                claimed = await self.round()
            except Exception:
                log.exception("webhook round failed")
                claimed = 0
            if claimed < self.batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle)

    async def round(self) -> int:
        """One claim and its sends; how many deliveries were claimed."""
        now = self.clock.now()

        async def claim(uow: UnitOfWork) -> tuple[list[Delivery], dict[uuid.UUID, Endpoint]]:
            deliveries = await Deliveries(uow).claim_due(now, self.lease, self.batch)
            if not deliveries:
                return [], {}
            return deliveries, await Endpoints(uow).secrets({d.endpoint_id for d in deliveries})

        deliveries, endpoints = await in_transaction(self.db, claim)
        await asyncio.gather(*(self._deliver(d, endpoints.get(d.endpoint_id)) for d in deliveries))
        return len(deliveries)

    async def _deliver(self, delivery: Delivery, endpoint: Endpoint | None) -> None:
        async with self._limit:
            if endpoint is None:
                return  # deleted meanwhile: its deliveries went with it
            await self._attempt(delivery, endpoint)
        await in_transaction(self.db, lambda uow: Deliveries(uow).save(delivery))
        if delivery.status == DeliveryStatus.PARKED:
            log.warning(
                "webhook delivery parked",
                extra={"delivery_id": str(delivery.id), "error": delivery.last_error},
            )

    async def _attempt(self, delivery: Delivery, endpoint: Endpoint) -> None:
        try:
            target = check_url(endpoint.url, self.allow_hosts)
            if not target.allow_listed:
                check_resolved(target, await self.resolver.resolve(target.host, target.port))
        except InvalidWebhook as exc:
            ATTEMPTS.labels("refused").inc()
            delivery.refused(f"address refused: {exc.message}", self.clock.now())
            return
        body = body_bytes(delivery)
        timestamp = int(self.clock.now().timestamp())
        headers = headers_for(endpoint, delivery, body, timestamp)
        try:
            with LATENCY.time():
                reply = await self.http.post(endpoint.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            ATTEMPTS.labels("error").inc()
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            delivery.failed(error, 0, self.clock.now(), self.schedule)
            return
        if 200 <= reply.status_code < 300:
            ATTEMPTS.labels("delivered").inc()
            delivery.succeeded(reply.status_code, self.clock.now())
        else:
            ATTEMPTS.labels("failed").inc()
            delivery.failed(
                f"HTTP {reply.status_code}: {reply.text[:200]}",
                reply.status_code,
                self.clock.now(),
                self.schedule,
            )
