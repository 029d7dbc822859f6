"""Composition root of the suppliers service: `suppliers serve` / `suppliers migrate`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import httpx

from cypher.suppliers.v1 import suppliers_pb2, suppliers_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli
from cypher_runtime.clock import Clock, SystemClock
from suppliers.consumers import Handlers
from suppliers.domain.feed import PriceBounds
from suppliers.domain.supplier import SyncSchedule
from suppliers.feeds.fetch import FetchLimits
from suppliers.grpc_api import SuppliersServicer
from suppliers.jobs import scheduler
from suppliers.scrape import ScrapeLimits, Scraper
from suppliers.service import Policy, SuppliersService
from suppliers.settings import SuppliersSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = suppliers_pb2.DESCRIPTOR.services_by_name["SuppliersService"].full_name


@dataclass(frozen=True)
class SuppliersApp:
    runtime: Runtime
    service: SuppliersService
    scraper: Scraper


def policy_of(settings: SuppliersSettings) -> Policy:
    return Policy(
        alert_threshold_pct=settings.price_alert_threshold_pct,
        default_schedule=SyncSchedule(
            interval_minutes=settings.sync_interval_minutes,
            window_start_hour=settings.sync_window_start_hour,
            window_end_hour=settings.sync_window_end_hour,
        ),
        bounds=PriceBounds(minimum=settings.min_price, maximum=settings.max_price),
        fx_rates=dict(settings.fx_rates),
    )


def limits_of(settings: SuppliersSettings) -> ScrapeLimits:
    return ScrapeLimits(
        fetch=FetchLimits(
            timeout_seconds=settings.request_timeout_seconds,
            retries=settings.request_retries,
            backoff_seconds=settings.retry_backoff_seconds,
            max_bytes=settings.max_page_bytes,
        ),
        max_pages=settings.max_pages,
        run_deadline_seconds=settings.run_deadline_seconds,
        apply_batch_size=settings.apply_batch_size,
    )


def assemble(
    settings: SuppliersSettings,
    *,
    clock: Clock | None = None,
    queue_prefix: str | None = None,
    limits: ScrapeLimits | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    run_scheduler: bool = True,
) -> SuppliersApp:
    """Everything wired; `limits` (short backoffs) and `run_scheduler` are test seams."""
    clock = clock or SystemClock()
    runtime = Runtime("suppliers", settings, queue_prefix=queue_prefix)
    service = SuppliersService(clock, policy_of(settings))
    scraper = Scraper(runtime.db, service, clock, limits or limits_of(settings), transport)
    servicer = SuppliersServicer(runtime.db, service, scraper)
    runtime.add_grpc(
        SERVICE_NAME,
        lambda server: suppliers_pb2_grpc.add_SuppliersServiceServicer_to_server(servicer, server),
    )
    runtime.add_consumer("backorders", Handlers(service).subscriptions())
    if run_scheduler:
        runtime.add_job("scrape-scheduler", scheduler(scraper, settings.scheduler_tick_seconds))

    async def stop_scrapes_on_shutdown() -> None:
        # Jobs are cancelled at shutdown: background manual scrapes go with them.
        try:
            await asyncio.Event().wait()
        finally:
            await scraper.stop()

    runtime.add_job("scrape-shutdown", stop_scrapes_on_shutdown)
    return SuppliersApp(runtime=runtime, service=service, scraper=scraper)


def build(settings: SuppliersSettings) -> Runtime:
    return assemble(settings).runtime


def cli() -> None:
    run_cli(
        name="suppliers", settings_cls=SuppliersSettings, build=build, migrations_dir=MIGRATIONS
    )
