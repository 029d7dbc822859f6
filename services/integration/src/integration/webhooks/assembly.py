"""Webhooks' part of the composition root: the use cases, the consumer of the events
that become deliveries, and the dispatcher job."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import httpx

from cypher_runtime.app import Runtime
from cypher_runtime.clock import Clock
from cypher_runtime.messaging.envelope import ReceivedEvent
from integration.settings import IntegrationSettings
from integration.webhooks.consumers import WebhookHandlers
from integration.webhooks.dispatch import WebhookDispatcher
from integration.webhooks.ports import ResolverPort, SystemResolver
from integration.webhooks.service import WebhookService


@dataclass(frozen=True)
class WebhooksPart:
    service: WebhookService
    dispatcher: WebhookDispatcher


def assemble_webhooks(
    settings: IntegrationSettings,
    runtime: Runtime,
    clock: Clock,
    *,
    resolver: ResolverPort | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    run_jobs: bool = True,
) -> WebhooksPart:
    s = settings
    resolver = resolver or SystemResolver()
    allow = s.webhook_allowed_hosts()
    service = WebhookService(clock, resolver, allow)
    dispatcher = WebhookDispatcher(
        runtime.db,
        clock,
        resolver,
        schedule=s.webhook_schedule(),
        allow_hosts=allow,
        timeout_seconds=s.webhook_timeout_seconds,
        connect_timeout_seconds=s.webhook_connect_timeout_seconds,
        idle_seconds=s.webhook_idle_seconds,
        batch=s.webhook_batch,
        concurrency=s.webhook_concurrency,
        lease=timedelta(seconds=s.webhook_lease_seconds),
        transport=transport,
    )

    async def nudge(_: ReceivedEvent) -> None:
        dispatcher.nudge()

    runtime.add_consumer(
        "webhook-events", WebhookHandlers(service).subscriptions(), after_commit=nudge
    )

    async def close() -> None:
        # Lives as long as the runtime; its cancellation at stop closes the connections.
        try:
            await asyncio.Event().wait()
        finally:
            await dispatcher.close()

    runtime.add_job("webhook-clients", close)
    if run_jobs:
        runtime.add_job("webhook-dispatcher", dispatcher.run)
    return WebhooksPart(service, dispatcher)
