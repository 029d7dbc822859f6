"""Pricing QuoteLines with 50 lines: latency and throughput, cached and uncached.

The pricing service runs in-process (real gRPC server, outbox relay, consumers) on a
fresh migrated PostgreSQL database and a private exchange of the real RabbitMQ. 1,000
products are seeded (two categories carry a running promotion) and one customer, made
known by an orders customer.upserted event, gets a tier override. Each call prices 50
random skus for that customer.

Scenarios (each after a warm-up):
* cached,   1 client:  price inputs served from the in-process cache (the common case),
* cached,   8 clients: the same, concurrent (throughput),
* uncached, 1 client:  cache TTL ~0, so every call does its one batched DB read,
* uncached, 8 clients.

Printed: p50/p99 latency, calls/s, the machine; then a cProfile of the service-side hot
path (quote use case + response building, no transport) with the top functions.
Clients share the service's process and event loop: figures include client CPU.

Run: `uv run python bench/bench_quote_lines.py [seconds_per_scenario]`
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import logging
import pstats
import random
import sys
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import aio_pika
import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from cypher.common.v1 import money_pb2
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.pricing.v1 import pricing_pb2 as pb
from cypher.pricing.v1 import pricing_pb2_grpc
from cypher_runtime.grpc_client import make_channel
from cypher_runtime.messaging.broker import declare_exchanges
from cypher_testkit.broker import BrokerScope, delete_scope, new_scope
from cypher_testkit.databases import drop_database, migrated_database
from cypher_testkit.events import publish_event
from cypher_testkit.infra import amqp_url
from cypher_testkit.proxy import free_port
from pricing.main import MIGRATIONS, PricingApp, assemble
from pricing.service import PricingService
from pricing.settings import PricingSettings
from pricing.wire.api import quote_pb

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe, percentile

PRODUCTS = 1_000
LINES = 50
WARMUP_SECONDS = 1.5
CUSTOMER = str(uuid.uuid4())


@dataclass
class Result:
    name: str
    calls: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def line(self) -> str:
        return (
            f"{self.name:<20} {self.rate:8.1f} calls/s   "
            f"p50 {percentile(self.latencies_ms, 50):7.2f} ms   "
            f"p99 {percentile(self.latencies_ms, 99):7.2f} ms   "
            f"({self.calls} calls, {self.calls * LINES} lines in {self.seconds:.1f} s, "
            f"errors {self.errors})"
        )


def random_request(rng: random.Random, skus: list[str]) -> pb.QuoteLinesRequest:
    return pb.QuoteLinesRequest(
        customer_id=CUSTOMER,
        lines=[
            pb.QuoteLineInput(sku=sku, quantity=rng.choice((1, 5, 12, 60, 150)))
            for sku in rng.sample(skus, LINES)
        ],
    )


async def run_scenario(
    name: str, target: str, skus: list[str], clients: int, seconds: float
) -> Result:
    channels = [make_channel(target, default_timeout=30) for _ in range(clients)]
    stubs = [pricing_pb2_grpc.PricingServiceStub(c) for c in channels]
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    measuring = False
    stop_at = time.monotonic() + WARMUP_SECONDS + seconds

    async def client(stub: pricing_pb2_grpc.PricingServiceAsyncStub, seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < stop_at:
            request = random_request(rng, skus)
            started = time.perf_counter()
            try:
                response = await stub.QuoteLines(request)
            except Exception:
                if measuring:
                    counts["errors"] += 1
                continue
            elapsed = (time.perf_counter() - started) * 1000
            assert len(response.lines) == LINES
            if measuring:
                latencies.append(elapsed)
                counts["ok"] += 1

    tasks = [asyncio.create_task(client(s, i)) for i, s in enumerate(stubs)]  # type: ignore[arg-type]
    await asyncio.sleep(WARMUP_SECONDS)
    measuring = True
    measured_from = time.monotonic()
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - measured_from
    await asyncio.gather(*(c.close() for c in channels))
    return Result(name, counts["ok"], counts["errors"], elapsed, latencies)


async def seed(target: str, scope: BrokerScope) -> list[str]:
    channel = make_channel(target, default_timeout=30)
    stub = pricing_pb2_grpc.PricingServiceStub(channel)
    rng = random.Random(7)
    skus = [f"LED-{i:05d}" for i in range(PRODUCTS)]
    for i, sku in enumerate(skus):
        await stub.CreateProduct(
            pb.CreateProductRequest(
                sku=sku,
                name=f"LED product {i}",
                category=f"cat-{i % 10}",
                unit="buc",
                cost=money_pb2.Money(
                    amount=str(Decimal(rng.randint(100, 50_000)) / 100), currency="RON"
                ),
                margin_pct=str(rng.choice((10, 25, 35, 50))),
                vat_category=pb.VAT_CATEGORY_STANDARD,
            )
        )
    start, end = Timestamp(), Timestamp()
    start.GetCurrentTime()
    end.FromSeconds(start.seconds + 86_400)
    start.FromSeconds(start.seconds - 60)
    for category, pct in (("cat-1", "10"), ("cat-2", "15")):
        await stub.CreatePromotion(
            pb.CreatePromotionRequest(
                name=f"{category} sale",
                category=category,
                discount_pct=pct,
                starts_at=start,
                ends_at=end,
            )
        )
    await override_when_known(stub, scope)
    await channel.close()
    return skus


async def override_when_known(
    stub: pricing_pb2_grpc.PricingServiceAsyncStub, scope: BrokerScope
) -> None:
    """Orders announces the customer (customer.upserted); once pricing consumed it, the
    customer gets its TIER_2 override."""
    connection = await aio_pika.connect(scope.amqp_url)
    try:
        exchange = await declare_exchanges(await connection.channel(), scope.exchange)
        await publish_event(
            exchange,
            orders_events.CustomerUpserted(customer_id=CUSTOMER, name="Bench", version=1),
            subject=CUSTOMER,
            aggregate_type="customer",
            version=1,
            source="/cypher/orders",
        )
    finally:
        await connection.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            await stub.SetCustomerTierOverride(
                pb.SetCustomerTierOverrideRequest(customer_id=CUSTOMER, tier=pb.TIER_2)
            )
            return
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def settings(url: str, scope_exchange: str, amqp: str, **extra: object) -> PricingSettings:
    return PricingSettings(
        database_url=url,
        grpc_port=free_port(),
        http_port=free_port(),
        bind_host="127.0.0.1",
        amqp_url=amqp,
        events_exchange=scope_exchange,
        db_pool_size=10,
        **extra,  # type: ignore[arg-type]
    )


async def profile_hot_path(service: PricingService, skus: list[str], calls: int) -> str:
    """cProfile of the service side of QuoteLines (use case + response), cached inputs."""
    rng = random.Random(99)
    batches = [
        [(sku, rng.choice((1, 5, 12, 60, 150))) for sku in rng.sample(skus, LINES)]
        for _ in range(calls)
    ]
    for lines in batches[:50]:  # warm the cache
        quote_pb(await service.quotes.quote(CUSTOMER, lines, ""))
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for lines in batches:
        quote_pb(await service.quotes.quote(CUSTOMER, lines, ""))
    profiler.disable()
    per_call = (time.perf_counter() - started) / calls * 1000
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(14)
    body = "\n".join(line[:150] for line in out.getvalue().splitlines() if line.strip())
    return f"service-side per call under the profiler: {per_call:.2f} ms\n{body}"


async def start(cfg: PricingSettings, prefix: str) -> PricingApp:
    app = assemble(cfg, queue_prefix=prefix)
    await app.runtime.start()
    return app


async def main(seconds: float) -> None:
    logging.disable(logging.WARNING)  # the service's JSON logs would drown the figures
    url = await migrated_database("pricing_bench", MIGRATIONS)
    scope = new_scope(amqp_url())
    apps: list[PricingApp] = []
    try:
        cached_cfg = settings(url, scope.exchange, scope.amqp_url)
        cached = await start(cached_cfg, scope.queue_prefix)
        apps.append(cached)
        cached_target = f"127.0.0.1:{cached_cfg.grpc_port}"
        skus = await seed(cached_target, scope)
        # A second service on the same database whose cache entries expire at once.
        uncached_cfg = settings(url, scope.exchange, scope.amqp_url, cache_ttl_seconds=1e-6)
        uncached = await start(uncached_cfg, scope.queue_prefix)
        apps.append(uncached)
        uncached_target = f"127.0.0.1:{uncached_cfg.grpc_port}"

        print(f"machine: {describe()}")
        print(
            f"pricing QuoteLines, {LINES} lines per call over {PRODUCTS} products, "
            f"{seconds:.0f} s per scenario after {WARMUP_SECONDS:.1f} s warm-up"
        )
        results = [
            await run_scenario("cached, 1 client", cached_target, skus, 1, seconds),
            await run_scenario("cached, 8 clients", cached_target, skus, 8, seconds),
            await run_scenario("uncached, 1 client", uncached_target, skus, 1, seconds),
            await run_scenario("uncached, 8 clients", uncached_target, skus, 8, seconds),
        ]
        for r in results:
            print(r.line())
        print()
        print(await profile_hot_path(cached.service, skus, 300))
    finally:
        try:
            for app in apps:
                await app.runtime.stop()
            await delete_scope(scope)  # every queue declared under the scope's prefix
        finally:
            await drop_database(url)  # even when the broker is away at the end


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 8.0))
