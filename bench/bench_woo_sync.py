"""A full WooCommerce sync of 10,000 products: calls made, seconds, peak memory.

Pricing, inventory and integration run as real processes (`<name> serve`, fresh
migrated PostgreSQL databases, a private exchange of the real RabbitMQ); the shop is the
fake WooCommerce (`cypher-fakes`, another process) over real HTTP. Pricing's fresh
database is seeded with the 10,000 products before it starts (SQL: the product RPC is not
what is measured); integration is started only then, so nothing is pushed before the
measured runs. Two full syncs are triggered over gRPC (`TriggerWooSync FULL`):

1. the shop is empty: every sku is looked up (`GET /products?sku=a,b,…`, 100 a call)
   and created (`POST /products/batch`, 100 a call);
2. the shop holds them all: the remembered ids are used, every product is updated in
   batches of 100, with no lookup.

Each run reads its prices from pricing (`QuoteLines`, a batch at once) and its stock from
inventory (`GetAvailability`) as production does, at the production defaults (our pace
towards the shop: `INTEGRATION_WOO_CALLS_PER_SECOND` = 20). Figures per run: the
duration integration records (started → finished), the shop calls by kind (from the
fake's request log), and integration's resident memory before the first run and its
peak (VmHWM) after each run.

Run: `uv run python bench/bench_woo_sync.py [products]`
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from cypher.integration.v1 import integration_pb2 as pb
from cypher.integration.v1 import integration_pb2_grpc
from cypher_runtime.grpc_client import make_channel
from cypher_testkit.broker import delete_scope, new_scope
from cypher_testkit.databases import drop_database, migrated_database
from cypher_testkit.fakes import Fakes, FakesProcess
from cypher_testkit.infra import amqp_url
from cypher_testkit.processes import ServiceProcess, console_script
from cypher_testkit.proxy import free_port
from integration.main import MIGRATIONS as INTEGRATION_MIGRATIONS
from inventory.main import MIGRATIONS as INVENTORY_MIGRATIONS
from pricing.main import MIGRATIONS as PRICING_MIGRATIONS

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe

LOGS = Path(tempfile.gettempdir())


def memory_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def call_kinds(requests: list[dict[str, Any]]) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for r in requests:
        path = r["path"].split("?")[0]
        if path.endswith("/products/batch"):
            kinds["POST /products/batch"] += 1
        elif r["method"] == "GET" and path.endswith("/products"):
            kinds["GET /products?sku=…"] += 1
        else:
            kinds[f"{r['method']} other (single product)"] += 1
    return kinds


class Service:
    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.grpc_port, self.http_port = free_port(), free_port()
        prefix = name.upper() + "_"
        self.env = {
            **env,
            f"{prefix}GRPC_PORT": str(self.grpc_port),
            f"{prefix}HTTP_PORT": str(self.http_port),
            f"{prefix}BIND_HOST": "127.0.0.1",
        }
        self.process = ServiceProcess(
            [*console_script(name), "serve"], self.env, LOGS / f"bench-woo-{name}.log"
        )

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    async def start(self) -> None:
        self.process.start()
        await self.process.wait_http(f"http://127.0.0.1:{self.http_port}/ready", 90)

    @property
    def pid(self) -> int:
        assert self.process.proc is not None
        return self.process.proc.pid


async def seed_products(pricing_url: str, count: int) -> None:
    """The catalogue written straight into pricing's fresh database before pricing starts
    (creating 10,000 products one RPC at a time is not what is measured here)."""
    conn = await asyncpg.connect(pricing_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(
            """
            INSERT INTO products (sku, name, category, unit, cost, margin_pct, currency,
                vat_category, supplier_id, follows_supplier_price, description, active,
                version, created_at, updated_at)
            SELECT 'BENCH-' || lpad(n::text, 5, '0'), 'Panou LED ' || n || ' W, lumină neutră',
                'panouri-' || (n % 20), 'buc', 10 + n % 500, 30, 'RON', 'STANDARD', NULL,
                false, '', true, 1, now(), now()
            FROM generate_series(0, $1 - 1) AS n
            """,
            count,
        )
    finally:
        await conn.close()


async def full_run(stub: Any) -> pb.WooSyncRun:
    started = (await stub.TriggerWooSync(pb.TriggerWooSyncRequest(mode=pb.WOO_SYNC_MODE_FULL))).run
    while True:
        status = await stub.GetWooSyncStatus(pb.GetWooSyncStatusRequest())
        if status.last_full_run.id == started.id:
            return status.last_full_run  # type: ignore[no-any-return]
        await asyncio.sleep(0.2)


def seconds(run: pb.WooSyncRun) -> float:
    return (run.finished_at.ToDatetime() - run.started_at.ToDatetime()).total_seconds()


async def bench(fakes: Fakes, fakes_pid: int, count: int) -> None:
    scope = new_scope(amqp_url())
    urls = {
        "pricing": await migrated_database("bench_woo_pricing", PRICING_MIGRATIONS),
        "inventory": await migrated_database("bench_woo_inventory", INVENTORY_MIGRATIONS),
        "integration": await migrated_database("bench_woo_integration", INTEGRATION_MIGRATIONS),
    }
    common = {
        "CYPHER_AMQP_URL": amqp_url(),
        "CYPHER_EVENTS_EXCHANGE": scope.exchange,
        "CYPHER_QUEUE_PREFIX": scope.queue_prefix,
        "CYPHER_QUEUE_EXPIRES_MS": "60000",
        "CYPHER_LOG_LEVEL": "WARNING",
        "OTEL_TRACES_EXPORTER": "none",
    }
    pricing = Service("pricing", {**common, "PRICING_DATABASE_URL": urls["pricing"]})
    inventory = Service("inventory", {**common, "INVENTORY_DATABASE_URL": urls["inventory"]})
    services = [pricing, inventory]
    try:
        await seed_products(urls["pricing"], count)
        await asyncio.gather(pricing.start(), inventory.start())

        integration = Service(
            "integration",
            {
                **common,
                **fakes.service_env(),
                "INTEGRATION_DATABASE_URL": urls["integration"],
                "CYPHER_PRICING_ADDR": pricing.addr,
                "CYPHER_INVENTORY_ADDR": inventory.addr,
                # The daily runs stay out of the way of the measured ones.
                "INTEGRATION_WOO_FULL_SYNC_AT": "03:00",
            },
        )
        services.append(integration)
        await integration.start()
        baseline = memory_mib(integration.pid, "VmRSS")
        channel = make_channel(integration.addr)
        stub: Any = integration_pb2_grpc.IntegrationServiceStub(channel)
        async with httpx.AsyncClient(base_url=fakes.woo_url, timeout=60) as shop:
            (await shop.post("/_fake/reset")).raise_for_status()
            print(f"  integration before the first run: RSS {baseline:.1f} MiB")
            for label in ("first full sync (empty shop)", "second full sync (all mapped)"):
                before = len((await shop.get("/_fake/requests")).json())
                cpu = {
                    name: cpu_seconds(pid)
                    for name, pid in (
                        ("integration", integration.pid),
                        ("pricing", pricing.pid),
                        ("inventory", inventory.pid),
                        ("fake shop", fakes_pid),
                    )
                }
                run = await full_run(stub)
                pids = {
                    "integration": integration.pid,
                    "pricing": pricing.pid,
                    "inventory": inventory.pid,
                    "fake shop": fakes_pid,
                }
                used = {name: cpu_seconds(pids[name]) - start for name, start in cpu.items()}
                requests = (await shop.get("/_fake/requests")).json()[before:]
                kinds = call_kinds(requests)
                items: Counter[str] = Counter()
                for r in requests:
                    for key in ("create", "update"):
                        items[key] += (r.get("items") or {}).get(key, 0)
                shown = len((await shop.get("/_fake/products")).json())
                status = pb.WooSyncRunStatus.Name(run.status).removeprefix("WOO_SYNC_RUN_STATUS_")
                print(
                    f"{label}: {status}, {run.items_succeeded:,}/{run.items_total:,} items, "
                    f"{seconds(run):.1f} s ({run.items_total / seconds(run):,.0f} items/s); "
                    f"{len(requests)} shop calls ({', '.join(f'{k}: {v}' for k, v in kinds.items())}"  # noqa: E501
                    f"; {items['create']:,} created, {items['update']:,} updated); "
                    f"shop holds {shown:,}; integration peak RSS "
                    f"{memory_mib(integration.pid, 'VmHWM'):.1f} MiB",
                    flush=True,
                )
                print(
                    "  CPU seconds during the run: "
                    + ", ".join(f"{name} {value:.1f}" for name, value in used.items()),
                    flush=True,
                )
        await channel.close()
    finally:
        for service in reversed(services):
            service.process.terminate()
        for url in urls.values():
            await drop_database(url)
        await delete_scope(scope)


async def main(count: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    fakes_process = FakesProcess(LOGS / "bench-woo-fakes.log")
    fakes_process.start()
    try:
        fakes = await fakes_process.wait_ready()
        print(f"WooCommerce full sync benchmark: {count:,} products; machine: {describe()}")
        assert fakes_process.process.proc is not None
        await bench(fakes, fakes_process.process.proc.pid, count)
    finally:
        fakes_process.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
