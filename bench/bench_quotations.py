"""Benchmark: 20-line quotations created and sent (priced by pricing, customer from
orders, PDF rendered, stored and put in quotation.sent) per second through the gateway,
with p50/p99 of the create+send pair; and the PDF render time p50/p99 of a 20-line
quotation measured in this process.

    uv run python bench/bench_quotations.py [--seconds 15] [--clients 4] [--renders 200]

Every service and the gateway run as real processes (the e2e stack runner, fresh
databases, a private exchange; gateway rate limits off for the load). Prints the
machine (cores, CPU model, Python).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

from cypher_testkit.infra import amqp_url, postgres_admin_url
from cypher_testkit.stack import LocalStack, StackConfig
from machine import describe, percentile
from quotations.domain.model import (
    Address,
    CustomerSnapshot,
    LinePrice,
    Quotation,
    new_quotation,
)
from quotations.main import company_of
from quotations.pdf import render_quotation
from quotations.settings import QuotationsSettings

LOG_DIR = Path(tempfile.gettempdir()) / "cypher-bench-quotations"
LINES = 20


def sample_quotation(lines: int = LINES) -> Quotation:
    now = datetime.now(UTC)
    priced = []
    for i in range(1, lines + 1):
        unit = Decimal("12.35") * i
        net = unit * (5 * i)
        vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))
        priced.append(
            LinePrice(
                sku=f"BENCH-{i:03d}",
                quantity=5 * i,
                name=f"Bandă LED țesătură {i}, 5 m, 4000 K",
                unit="buc",
                unit_cost=Decimal("8.00"),
                list_price=unit * Decimal("1.1"),
                tier="TIER_1",
                tier_discount_pct=Decimal("5"),
                volume_discount_pct=Decimal("2"),
                promotion_discount_pct=Decimal("0"),
                unit_net=unit,
                vat_rate=Decimal("21"),
                unit_gross=(unit * Decimal("1.21")).quantize(Decimal("0.01")),
                line_net=net,
                line_vat=vat,
                line_gross=net + vat,
                margin_pct=Decimal("10"),
                margin_floor_applied=False,
                currency="RON",
                promotion_id="",
                vat_category="STANDARD",
                pricing_date=now.date().isoformat(),
            )
        )
    q = new_quotation(
        quotation_id=uuid.uuid4(),
        number="OF-2026-0001",
        customer_id=uuid.uuid4(),
        customer=CustomerSnapshot(
            name="Ion Popescu",
            email="ion@lumina.ro",
            company="Lumină Și Țară SRL",
            vat_code="RO14399840",
            address=Address(line1="Str. Ștefan cel Mare 3", city="Iași", county="Iași"),
        ),
        priced=priced,
        pricing_date=now.date().isoformat(),
        at=now,
    )
    q.send(now, validity=timedelta(days=15), reminders=[timedelta(days=7)])
    return q


def render_times(renders: int) -> list[float]:
    settings = QuotationsSettings()
    company, terms = company_of(settings), settings.quotation_terms
    q = sample_quotation()
    render_quotation(q, company, terms)  # fonts registered once
    times = []
    for _ in range(renders):
        t0 = time.perf_counter()
        render_quotation(q, company, terms)
        times.append((time.perf_counter() - t0) * 1000)
    return times


async def main(seconds: float, clients: int, renders: int) -> None:
    renders_ms = render_times(renders)
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
            timeout=60,
            limits=limits,
        ) as client:
            skus = [f"BENCH-{i:02d}-{uuid.uuid4().hex[:6].upper()}" for i in range(LINES)]
            for i, sku in enumerate(skus):
                product = {
                    "sku": sku,
                    "name": f"Corp LED {i} — oțel, 4000 K",
                    "category": "led",
                    "unit": "buc",
                    "cost": f"{10 + i}.00",
                    "margin_pct": "40",
                }
                (await client.post("/products", json=product)).raise_for_status()
            customer = await client.post(
                "/customers",
                json={
                    "name": "Ion Popescu",
                    "company": "Lumină Și Țară SRL",
                    "email": "bench@lumina.ro",
                    "vat_code": "RO14399840",
                },
            )
            customer.raise_for_status()
            body = {
                "customer_id": customer.json()["data"]["id"],
                "lines": [{"sku": s, "quantity": 1 + i} for i, s in enumerate(skus)],
            }

            latencies: list[float] = []
            codes: Counter[int] = Counter()

            async def worker(deadline: float, record: bool) -> None:
                while time.perf_counter() < deadline:
                    t0 = time.perf_counter()
                    created = await client.post(
                        "/quotations", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
                    )
                    status = created.status_code
                    if status == 201:
                        qid = created.json()["data"]["id"]
                        status = (await client.post(f"/quotations/{qid}/send")).status_code
                    if record:
                        latencies.append((time.perf_counter() - t0) * 1000)
                        codes[status] += 1

            warm = time.perf_counter() + 3
            await asyncio.gather(*(worker(warm, False) for _ in range(clients)))
            started = time.perf_counter()
            deadline = started + seconds
            await asyncio.gather(*(worker(deadline, True) for _ in range(clients)))
            elapsed = time.perf_counter() - started

        sent = codes.get(200, 0)
        print(
            f"CYPHER quotations benchmark — {clients} concurrent clients, {seconds:.0f} s, "
            f"{LINES} lines per quotation"
        )
        print(
            f"create + send (PDF) through the gateway  {sent / elapsed:7.1f} quotations/s   "
            f"p50 {percentile(latencies, 50):7.1f} ms   p99 {percentile(latencies, 99):7.1f} ms"
            f"   ({sum(codes.values())} pairs, final status {dict(codes)})"
        )
        print(
            f"PDF render ({LINES} lines, in process)         "
            f"p50 {percentile(renders_ms, 50):7.1f} ms   p99 {percentile(renders_ms, 99):7.1f} ms"
            f"   ({renders} renders)"
        )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"machine: {describe()}; load average at the end {load} (shared machine)")
    finally:
        stack.stop()
        await stack.drop_databases()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--renders", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.clients, args.renders))
