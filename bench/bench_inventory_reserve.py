"""Inventory Reserve under contention vs without it.

The inventory service runs in-process (real gRPC server, outbox relay and consumers) on
a fresh migrated PostgreSQL database and a private exchange of the real RabbitMQ.
32 concurrent clients, each on its own gRPC channel, loop Reserve(1 unit) + Release of
a fresh order for a fixed time:

* hot:    every client reserves the same sku (all serialise on its lock),
* spread: each reservation picks one of 1,000 skus at random (almost no contention).

Printed: Reserve throughput (reservations/s, each followed by its Release), Reserve
latency p50/p99, the hot/spread ratios, and the machine. The clients run in a separate
process (`--drive`), so the service's event loop is not also paying for the load
generator's CPU; on a small machine both still share the cores with PostgreSQL and
RabbitMQ.

Run: `uv run python bench/bench_inventory_reserve.py [seconds_per_scenario] [clients]`
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
import time
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import grpc

from cypher.inventory.v1 import inventory_pb2 as pb
from cypher.inventory.v1 import inventory_pb2_grpc
from cypher_runtime.grpc_client import make_channel
from cypher_testkit.broker import delete_scope, new_scope
from cypher_testkit.catalogue import announce_products, when_known
from cypher_testkit.databases import drop_database, migrated_database
from cypher_testkit.infra import amqp_url
from cypher_testkit.proxy import free_port
from inventory.main import MIGRATIONS, assemble
from inventory.settings import InventorySettings

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe, percentile

SPREAD_SKUS = 1_000
WARMUP_SECONDS = 2.0


@dataclass
class Result:
    name: str
    reservations: int
    errors: int
    seconds: float
    reserve_ms: list[float]

    @property
    def throughput(self) -> float:
        return self.reservations / self.seconds

    def line(self) -> str:
        return (
            f"{self.name:<7} {self.throughput:9.1f} reserve+release/s   "
            f"reserve p50 {percentile(self.reserve_ms, 50):7.2f} ms   "
            f"p99 {percentile(self.reserve_ms, 99):7.2f} ms   "
            f"({self.reservations} in {self.seconds:.1f} s, errors {self.errors})"
        )


async def run_scenario(
    name: str, target: str, skus: list[str], clients: int, seconds: float
) -> Result:
    channels = [make_channel(target, default_timeout=30) for _ in range(clients)]
    stubs = [inventory_pb2_grpc.InventoryServiceStub(c) for c in channels]
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    measuring = False
    stop_at = time.monotonic() + WARMUP_SECONDS + seconds

    async def client(stub: inventory_pb2_grpc.InventoryServiceAsyncStub, seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < stop_at:
            order_id = str(uuid.uuid4())
            sku = skus[0] if len(skus) == 1 else rng.choice(skus)
            started = time.perf_counter()
            try:
                await stub.Reserve(
                    pb.ReserveRequest(order_id=order_id, lines=[pb.StockLine(sku=sku, quantity=1)])
                )
                elapsed = (time.perf_counter() - started) * 1000
                await stub.Release(
                    pb.ReleaseRequest(order_id=order_id, reason=pb.RELEASE_REASON_MANUAL)
                )
            except grpc.aio.AioRpcError:
                if measuring:
                    counts["errors"] += 1
                continue
            if measuring:
                latencies.append(elapsed)
                counts["ok"] += 1

    tasks = [asyncio.create_task(client(s, i)) for i, s in enumerate(stubs)]
    await asyncio.sleep(WARMUP_SECONDS)
    measuring = True
    measured_from = time.monotonic()
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - measured_from
    await asyncio.gather(*(c.close() for c in channels))
    return Result(name, counts["ok"], counts["errors"], elapsed, latencies)


def spread_skus() -> list[str]:
    return [f"SPREAD-{i:04d}" for i in range(SPREAD_SKUS)]


async def drive(name: str, target: str, skus: list[str], clients: int, seconds: float) -> None:
    """The load generator process: run one scenario, print its figures as JSON."""
    r = await run_scenario(name, target, skus, clients, seconds)
    print(
        json.dumps(
            {
                "name": r.name,
                "reservations": r.reservations,
                "errors": r.errors,
                "seconds": r.seconds,
                "reserve_ms": r.reserve_ms,
            }
        )
    )


async def scenario_in_child(
    name: str, target: str, sku_spec: str, clients: int, seconds: float
) -> Result:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--drive",
        name,
        target,
        sku_spec,
        str(clients),
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator for {name} failed ({proc.returncode})")
    data = json.loads(out.decode().strip().splitlines()[-1])
    return Result(
        data["name"], data["reservations"], data["errors"], data["seconds"], data["reserve_ms"]
    )


async def main(seconds: float, clients: int) -> None:
    logging.disable(logging.WARNING)  # the service's JSON logs would drown the figures
    url = await migrated_database("inventory_bench", MIGRATIONS)
    scope = new_scope(amqp_url())
    grpc_port = free_port()
    runtime = assemble(
        InventorySettings(
            database_url=url,
            grpc_port=grpc_port,
            http_port=free_port(),
            bind_host="127.0.0.1",
            amqp_url=scope.amqp_url,
            events_exchange=scope.exchange,
            db_pool_size=clients,
            db_max_overflow=8,
        ),
        queue_prefix=scope.queue_prefix,
    ).runtime
    await runtime.start()
    target = f"127.0.0.1:{grpc_port}"
    try:
        channel = make_channel(target, default_timeout=30)
        stub = inventory_pb2_grpc.InventoryServiceStub(channel)
        hot = f"HOT-{uuid.uuid4().hex[:6]}"
        # Stock is only booked for catalogue products: announce them as pricing would —
        # one first (resent until the consumer listens), then the other 1,000 at once.
        await announce_products(scope, [hot], timeout=60)
        await announce_products(scope, spread_skus())
        receipts = [pb.ReceiveRequest(sku=hot, warehouse="A", quantity=10_000_000)] + [
            pb.ReceiveRequest(sku=sku, warehouse="A", quantity=100_000) for sku in spread_skus()
        ]
        for receipt in receipts:
            await when_known(partial(stub.Receive, receipt), timeout=60)
        await channel.close()

        print(f"machine: {describe()}")
        print(
            f"inventory Reserve+Release, {clients} concurrent clients (own channel each), "
            f"{seconds:.0f} s per scenario after {WARMUP_SECONDS:.0f} s warm-up, "
            "load generator in its own process"
        )
        results = [
            await scenario_in_child("hot", target, hot, clients, seconds),
            await scenario_in_child("spread", target, "*spread", clients, seconds),
        ]
        for r in results:
            print(r.line())
        hot_r, spread_r = results
        print(
            f"ratio hot/spread: throughput {hot_r.throughput / spread_r.throughput:.2f}, "
            f"p50 {percentile(hot_r.reserve_ms, 50) / percentile(spread_r.reserve_ms, 50):.2f}, "
            f"p99 {percentile(hot_r.reserve_ms, 99) / percentile(spread_r.reserve_ms, 99):.2f}"
        )
    finally:
        await runtime.stop()
        await delete_scope(scope, [c.queue_name for c in runtime.consumers])
        await drop_database(url)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--drive":
        _, _, name, target, sku_spec, clients, seconds = sys.argv
        skus = spread_skus() if sku_spec == "*spread" else [sku_spec]
        asyncio.run(drive(name, target, skus, int(clients), float(seconds)))
    else:
        duration = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
        concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 32
        asyncio.run(main(duration, concurrency))
