"""The shop sync's part of the composition root: builds its client, guard, catalogue,
sync process and jobs from the settings and registers them on the runtime."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import httpx

from cypher_runtime.app import Runtime
from cypher_runtime.clock import Clock
from integration.settings import IntegrationSettings
from integration.shop.catalog import GrpcCatalog
from integration.shop.client import ShopConfig, WooClient
from integration.shop.consumers import ShopHandlers
from integration.shop.domain.runs import SyncMode
from integration.shop.domain.schedule import parse_time_of_day
from integration.shop.jobs import DailyRuns, Flusher
from integration.shop.ports import CatalogPort
from integration.shop.service import ShopService
from integration.shop.sync import ShopSync, SyncPolicy
from integration.smartbill.guard import Guard, Throttle, ThrottleSettings


@dataclass(frozen=True)
class ShopPart:
    service: ShopService
    sync: ShopSync
    client: WooClient
    guard: Guard
    flusher: Flusher
    daily: DailyRuns


def woo_client(
    settings: IntegrationSettings, transport: httpx.AsyncBaseTransport | None = None
) -> WooClient:
    s = settings
    guard = Guard(
        "woocommerce",
        Throttle(
            ThrottleSettings(
                budget=s.woo_calls_per_second,
                window_seconds=1.0,
                burst=max(1, s.woo_calls_per_second // 4),
                reserve=0,
            )
        ),
        fail_max=s.woo_breaker_failures,
        reset_seconds=s.woo_breaker_reset_seconds,
    )
    config = ShopConfig(
        base_url=s.woo_base_url,
        consumer_key=s.woo_consumer_key,
        consumer_secret=s.woo_consumer_secret,
        timeout_seconds=s.woo_timeout_seconds,
        connect_timeout_seconds=s.woo_connect_timeout_seconds,
        attempts=s.woo_attempts,
    )
    return WooClient(config, guard, transport=transport)


def assemble_shop(
    settings: IntegrationSettings,
    runtime: Runtime,
    clock: Clock,
    *,
    catalog: CatalogPort | None = None,
    run_jobs: bool = True,
) -> ShopPart:
    s = settings
    client = woo_client(s)
    grpc_catalog = GrpcCatalog(
        s.pricing_addr, s.inventory_addr, s.upstream_timeout_seconds, backorders=s.woo_backorders
    )
    policy = SyncPolicy(
        batch_size=s.woo_batch_size,
        coalesce=_seconds(s.woo_coalesce_seconds),
        coalesce_max=_seconds(max(s.woo_coalesce_max_seconds, s.woo_coalesce_seconds)),
        create_missing=s.woo_create_missing,
    )
    sync = ShopSync(runtime.db, catalog or grpc_catalog, client, clock, policy)
    service = ShopService(clock)
    flusher = Flusher(sync, client.guard, tick_seconds=s.woo_flush_tick_seconds)
    daily = DailyRuns(
        runtime.db,
        sync,
        clock,
        {
            SyncMode.FULL: parse_time_of_day(s.woo_full_sync_at),
            SyncMode.RETRY_FAILED: parse_time_of_day(s.woo_retry_failed_at),
        },
    )
    runtime.add_consumer("shop-changes", ShopHandlers(service).subscriptions())

    async def close() -> None:
        # Lives as long as the runtime; its cancellation at stop closes the connections.
        try:
            await asyncio.Event().wait()
        finally:
            await sync.stop()
            await client.close()
            await grpc_catalog.close()

    runtime.add_job("shop-clients", close)
    # Without a shop configured the changes are still recorded (PENDING), and go out
    # once a shop is configured; nothing polls a shop that does not exist.
    if run_jobs and s.woo_base_url:
        runtime.add_job("shop-flusher", flusher.run)
        runtime.add_job("shop-daily", daily.run)
    return ShopPart(service, sync, client, client.guard, flusher, daily)


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
