"""Composition root of the pricing service: `pricing serve` / `pricing migrate`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli
from cypher_runtime.clock import Clock, SystemClock
from pricing import jobs
from pricing.cache import PriceCache
from pricing.consumers import EventHandlers, listen_for_invalidations
from pricing.grpc_api import PricingServicer
from pricing.service import PricingService
from pricing.settings import PricingSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = pricing_pb2.DESCRIPTOR.services_by_name["PricingService"].full_name


@dataclass(frozen=True)
class PricingApp:
    runtime: Runtime
    service: PricingService


def assemble(
    settings: PricingSettings, *, clock: Clock | None = None, queue_prefix: str | None = None
) -> PricingApp:
    """Everything wired; tests inject a clock and an isolated queue prefix (None = the
    CYPHER_QUEUE_PREFIX setting, which the e2e stack uses)."""
    clock = clock or SystemClock()
    runtime = Runtime("pricing", settings, queue_prefix=queue_prefix)
    cache = PriceCache(maxsize=settings.cache_size, ttl=settings.cache_ttl_seconds)
    service = PricingService(runtime.db, clock=clock, settings=settings, cache=cache)
    servicer = PricingServicer(service)
    runtime.add_grpc(
        SERVICE_NAME,
        lambda server: pricing_pb2_grpc.add_PricingServiceServicer_to_server(servicer, server),
    )
    handlers = EventHandlers(service, clock)
    runtime.add_consumer(
        "supplier-prices", handlers.supplier_subscriptions(), after_commit=handlers.after_commit
    )
    runtime.add_consumer(
        "customer-spend", handlers.order_subscriptions(), after_commit=handlers.after_commit
    )
    runtime.add_consumer(
        "customers", handlers.customer_subscriptions(), after_commit=handlers.after_commit
    )
    runtime.add_job("promotion-boundaries", jobs.promotion_boundaries(service))
    runtime.add_job("tier-sweep", jobs.tier_sweep(service))
    runtime.add_job("cache-invalidation", lambda: listen_for_invalidations(runtime.broker, cache))
    return PricingApp(runtime, service)


def build(
    settings: PricingSettings, *, clock: Clock | None = None, queue_prefix: str | None = None
) -> Runtime:
    return assemble(settings, clock=clock, queue_prefix=queue_prefix).runtime


def cli() -> None:
    run_cli(name="pricing", settings_cls=PricingSettings, build=build, migrations_dir=MIGRATIONS)
