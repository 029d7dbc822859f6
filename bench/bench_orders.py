"""Benchmark: orders placed per second through the gateway — the full placement saga
(pricing QuoteLines → inventory Reserve → ConfirmReservation → confirm + outbox), 3
lines each — with p50/p99 at 16 concurrent clients, beside the pricing read rate
(GET /api/v1/pricing/{sku}) measured in the same run on the same stack.

    uv run python bench/bench_orders.py [--seconds 20] [--clients 16] [--sku-pool 3]

Every service and the gateway run as real processes (the e2e stack runner, fresh
databases, a private exchange; gateway rate limits off for the load). Where an order's
time goes comes from the saga log: every step is recorded with its start, end and
duration, so the profile is of the real processes under the measured load, not of a
test double. Prints the machine (cores, CPU model, Python).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from cypher_testkit.catalogue import post_when_known
from cypher_testkit.infra import amqp_url, postgres_admin_url
from cypher_testkit.stack import LocalStack, StackConfig
from machine import describe, percentile

LOG_DIR = Path(tempfile.gettempdir()) / "cypher-bench-orders"
LINES_PER_ORDER = 3


async def load(
    client: httpx.AsyncClient, seconds: float, clients: int, request: Any
) -> tuple[list[float], Counter[int], float]:
    """Run `clients` loops of `request(client)` for `seconds`; latencies in ms."""
    latencies: list[float] = []
    codes: Counter[int] = Counter()
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            reply = await request(client)
            latencies.append((time.perf_counter() - t0) * 1000)
            codes[reply.status_code] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, codes, time.perf_counter() - started


def summary(name: str, latencies: list[float], codes: Counter[int], elapsed: float) -> str:
    ok = sum(n for code, n in codes.items() if code < 300)
    return (
        f"{name:<34} {ok / elapsed:8.1f} /s   p50 {percentile(latencies, 50):7.1f} ms   "
        f"p99 {percentile(latencies, 99):7.1f} ms   "
        f"({sum(codes.values())} requests, status {dict(codes)})"
    )


async def saga_profile(stack: LocalStack, since: float) -> list[str]:
    url = stack.database_url("orders").replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(url)
    try:
        steps = await conn.fetch(
            """
            SELECT step, count(*) AS n,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99,
                   avg(duration_ms) AS mean,
                   avg((detail->>'confirm_reservation_ms')::numeric) AS confirm_res
            FROM saga_log
            WHERE started_at >= to_timestamp($1) AND state = 'SUCCEEDED'
            GROUP BY step ORDER BY min(id)
            """,
            since,
        )
        total = await conn.fetchrow(
            """
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, avg(ms) AS mean
            FROM (SELECT extract(epoch FROM max(coalesce(finished_at, started_at))
                                 - min(started_at)) * 1000 AS ms
                  FROM saga_log WHERE started_at >= to_timestamp($1)
                  GROUP BY order_id HAVING bool_or(step = 'CONFIRM')) per_order
            """,
            since,
        )
    finally:
        await conn.close()
    lines = ["saga steps (orders' own log, successful orders of the measured window):"]
    for r in steps:
        if r["step"] == "START":
            lines.append(f"  {'START (insert order + log)':<30} {r['n']:6d} orders")
            continue
        extra = ""
        if r["confirm_res"] is not None:
            extra = f"   of which inventory ConfirmReservation {float(r['confirm_res']):.1f} ms"
        lines.append(
            f"  {r['step']:<30} mean {float(r['mean']):7.1f} ms   p50 {float(r['p50']):7.1f} ms   "
            f"p99 {float(r['p99']):7.1f} ms{extra}"
        )
    if total and total["p50"] is not None:
        lines.append(
            f"  {'whole saga inside orders':<30} mean {float(total['mean']):7.1f} ms   "
            f"p50 {float(total['p50']):7.1f} ms"
        )
    return lines


async def main(seconds: float, clients: int, sku_pool: int) -> None:
    config = StackConfig(
        pg_admin_url=postgres_admin_url(),
        amqp_url=amqp_url(),
        log_dir=LOG_DIR,
        fresh=True,
        extra_env={
            "GATEWAY_RATE_LIMIT_ENABLED": "false",
            "CYPHER_LOG_LEVEL": "WARNING",
            "OTEL_TRACES_EXPORTER": "none",
        },
    )
    stack = LocalStack(config)
    await stack.create_databases()
    try:
        stack.migrate()
        stack.start()
        await stack.wait_ready()
        token = await stack.admin_token()
        limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)
        async with httpx.AsyncClient(
            base_url=f"{stack.gateway_url}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            limits=limits,
        ) as client:
            pool = max(sku_pool, LINES_PER_ORDER)
            skus = [f"BENCH-{i}-{uuid.uuid4().hex[:6].upper()}" for i in range(pool)]
            for i, sku in enumerate(skus):
                product = {
                    "sku": sku,
                    "name": f"LED {sku}",
                    "category": "led",
                    "unit": "buc",
                    "cost": f"{10 + i}.00",
                    "margin_pct": "40",
                }
                (await client.post("/products", json=product)).raise_for_status()
                receipt = {"sku": sku, "warehouse": "A", "quantity": 1_000_000}
                # Inventory learns the new product from pricing's event, a moment later.
                (
                    await post_when_known(client, "/inventory/receipts", json=receipt)
                ).raise_for_status()
            customer = await client.post(
                "/customers",
                json={"name": "Bench SRL", "email": "bench@lumina.ro", "vat_code": "RO14399840"},
            )
            customer.raise_for_status()
            customer_id = customer.json()["data"]["id"]

            async def place(c: httpx.AsyncClient) -> httpx.Response:
                # 3 lines drawn from the pool: a pool of 3 makes every order hit the same
                # stock rows (the worst case for inventory's row locks).
                chosen = random.sample(skus, LINES_PER_ORDER)
                body = {
                    "customer_id": customer_id,
                    "lines": [{"sku": s, "quantity": 1 + i} for i, s in enumerate(chosen)],
                }
                return await c.post(
                    "/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
                )

            async def price(c: httpx.AsyncClient) -> httpx.Response:
                return await c.get(f"/pricing/{skus[0]}", params={"quantity": 5})

            await load(client, 3, clients, place)  # warm-up: pools, caches, JIT-free paths
            await load(client, 2, clients, price)
            since = time.time()
            orders = await load(client, seconds, clients, place)
            prices = await load(client, seconds, clients, price)
            profile = await saga_profile(stack, since)

        print(
            f"CYPHER orders benchmark — {clients} concurrent clients, {seconds:.0f} s per target, "
            f"3 lines per order drawn from {pool} skus"
        )
        print(summary(f"POST /orders ({LINES_PER_ORDER} lines, full saga)", *orders))
        print(summary("GET /pricing/{sku}", *prices))
        order_p50, price_p50 = percentile(orders[0], 50), percentile(prices[0], 50)
        print(f"an order costs {order_p50 / price_p50:.1f}x a price read at p50")
        for line in profile:
            print(line)
        print(
            f"gateway-observed order latency p50 {order_p50:.1f} ms, "
            f"mean {statistics.fmean(orders[0]):.1f} ms (beyond the saga: gateway auth and "
            "idempotency row, gRPC hops, GetReservation for the reply)"
        )
        print(f"machine: {describe()}")
    finally:
        stack.stop()
        await stack.drop_databases()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--sku-pool", type=int, default=3, help="skus the 3 lines are drawn from (3 = one hot spot)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.clients, args.sku_pool))
