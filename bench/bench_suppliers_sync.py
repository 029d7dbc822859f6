"""One sync of a 10,000-item feed per format: items/s and peak memory of the suppliers
process.

The suppliers service runs as a real process (`suppliers serve`, a fresh migrated
PostgreSQL database, a private exchange of the real RabbitMQ), scraping the fake supplier
sites (`cypher-fakes`, another process) over real HTTP. For each site the fake catalogue
is replaced by 10,000 generated items, a supplier configured as `make dev` does (feed as
data, scripts/demo_suppliers.json) and one manual sync triggered over gRPC; every item is
new, so each sync stores 10,000 supplier products and their first price points. A second
sync after 10 % of the prices moved measures the change path (history, alerts, events).

Figures per format: run duration as the service records it (started → finished), items/s,
and the suppliers process's peak resident memory (VmHWM) — one fresh process per format,
so each peak is that format's own. Paginated feeds are read page after page: the HTML
sites serve 20 or 24 items a page (500 / 417 requests), the JSON site 100 (100 requests).

Run: `uv run python bench/bench_suppliers_sync.py [items]`
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from cypher.suppliers.v1 import suppliers_pb2 as pb
from cypher.suppliers.v1 import suppliers_pb2_grpc
from cypher_runtime.grpc_client import make_channel
from cypher_testkit.broker import delete_scope, new_scope
from cypher_testkit.databases import drop_database, migrated_database
from cypher_testkit.fakes import Fakes, FakesProcess
from cypher_testkit.infra import amqp_url
from cypher_testkit.processes import ServiceProcess, console_script
from cypher_testkit.proxy import free_port
from suppliers.main import MIGRATIONS

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe

ROOT = Path(__file__).resolve().parents[1]
DEMO = json.loads((ROOT / "scripts" / "demo_suppliers.json").read_text())
FORMATS = {"HTML": pb.FEED_FORMAT_HTML, "CSV": pb.FEED_FORMAT_CSV, "JSON": pb.FEED_FORMAT_JSON}
# site key, demo supplier name, feed URL suffix (the JSON site pages by 100 at most)
SITES = [
    ("aca", "Aca Lighting", ""),
    ("braytron", "Braytron", ""),
    ("masterled", "Masterled", ""),
    ("fsl", "FSL", ""),
    ("arelux", "Arelux", "?per_page=100"),
]


@dataclass
class Figures:
    site: str
    fmt: str
    first_seconds: float
    first_items: int
    second_seconds: float
    changed: int
    alerts: int
    peak_mib: float

    def line(self) -> str:
        return (
            f"{self.site:<10} {self.fmt:<4} first sync {self.first_items:>6} items "
            f"{self.first_seconds:6.2f} s {self.first_items / self.first_seconds:8.0f} items/s   "
            f"re-sync ({self.changed} changed, {self.alerts} alerts) {self.second_seconds:6.2f} s "
            f"{self.first_items / self.second_seconds:8.0f} items/s   "
            f"peak RSS {self.peak_mib:6.1f} MiB"
        )


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_run(stub: Any, supplier_id: str, run_id: str) -> pb.SyncRun:
    while True:
        runs = await stub.ListSyncRuns(pb.ListSyncRunsRequest(supplier_id=supplier_id))
        run = next(r for r in runs.runs if r.id == run_id)
        if run.status != pb.SYNC_RUN_STATUS_RUNNING:
            return run  # type: ignore[no-any-return]
        await asyncio.sleep(0.2)


def seconds(run: pb.SyncRun) -> float:
    return (run.finished_at.ToDatetime() - run.started_at.ToDatetime()).total_seconds()


async def one_site(fakes: Fakes, key: str, name: str, suffix: str, items: int) -> Figures:
    demo = next(d for d in DEMO if d["name"] == name)
    async with httpx.AsyncClient(base_url=fakes.suppliers_url, timeout=60) as site:
        (await site.post(f"/_fake/{key}/generate", json={"count": items})).raise_for_status()
        listed = (await site.get(f"/_fake/{key}/items")).json()
    url = await migrated_database("bench_suppliers", MIGRATIONS)
    scope = new_scope(amqp_url())
    grpc_port = free_port()
    log = Path(tempfile.gettempdir()) / f"bench-suppliers-{key}.log"
    env = {
        "SUPPLIERS_DATABASE_URL": url,
        "SUPPLIERS_GRPC_PORT": str(grpc_port),
        "SUPPLIERS_HTTP_PORT": str(free_port()),
        "SUPPLIERS_BIND_HOST": "127.0.0.1",
        "SUPPLIERS_MAX_PAGES": "500",
        "SUPPLIERS_SCHEDULER_TICK_SECONDS": "3600",
        "CYPHER_AMQP_URL": amqp_url(),
        "CYPHER_EVENTS_EXCHANGE": scope.exchange,
        "CYPHER_QUEUE_PREFIX": scope.queue_prefix,
        "CYPHER_QUEUE_EXPIRES_MS": "60000",
        "CYPHER_LOG_LEVEL": "WARNING",
        "OTEL_TRACES_EXPORTER": "none",
    }
    service = ServiceProcess([*console_script("suppliers"), "serve"], env, log)
    service.start()
    try:
        await service.wait_http(f"http://127.0.0.1:{env['SUPPLIERS_HTTP_PORT']}/ready", 60)
        assert service.proc is not None
        channel = make_channel(f"127.0.0.1:{grpc_port}")
        stub: Any = suppliers_pb2_grpc.SuppliersServiceStub(channel)
        created = await stub.CreateSupplier(
            pb.CreateSupplierRequest(
                name=name,
                feed_format=FORMATS[demo["feed_format"]],
                feed_url=fakes.suppliers_url + demo["path"] + suffix,
                feed_config={**demo["feed_config"], "max_pages": "500"},
                currency=demo["currency"],
                active=True,
            )
        )
        sid = created.supplier.id
        started = await stub.TriggerSync(pb.TriggerSyncRequest(supplier_id=sid))
        first = await wait_run(stub, sid, started.run.id)
        assert first.status == pb.SYNC_RUN_STATUS_SUCCEEDED, list(first.errors)
        # 10 % of the prices move: half of them by 20 % (alerts), half by 5 %.
        rng = random.Random(key)
        moved = rng.sample(listed, len(listed) // 10)
        async with httpx.AsyncClient(base_url=fakes.suppliers_url, timeout=60) as site:
            for i, item in enumerate(moved):
                factor = Decimal("1.20") if i % 2 else Decimal("1.05")
                price = (Decimal(item["price"]) * factor).quantize(Decimal("0.01"))
                await site.put(
                    f"/_fake/{key}/items/{item['supplier_sku']}", json={"price": str(price)}
                )
        again = await stub.TriggerSync(pb.TriggerSyncRequest(supplier_id=sid))
        second = await wait_run(stub, sid, again.run.id)
        assert second.status == pb.SYNC_RUN_STATUS_SUCCEEDED, list(second.errors)
        peak = peak_rss_mib(service.proc.pid)
        await channel.close()
        return Figures(
            key,
            demo["feed_format"],
            seconds(first),
            int(first.items_seen),
            seconds(second),
            int(second.items_changed),
            int(second.price_alerts_raised),
            peak,
        )
    finally:
        service.terminate()
        await drop_database(url)
        queue = f"{scope.queue_prefix}suppliers.backorders"
        await delete_scope(scope, [queue, f"{queue}.retry-2000ms", f"{queue}.dlq"])


async def main(items: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    fakes_process = FakesProcess(Path(tempfile.gettempdir()) / "bench-suppliers-fakes.log")
    fakes_process.start()
    try:
        fakes = await fakes_process.wait_ready()
        print(f"suppliers sync benchmark: {items:,} items per feed; machine: {describe()}")
        for key, name, suffix in SITES:
            started = time.monotonic()
            figures = await one_site(fakes, key, name, suffix, items)
            print(figures.line(), f"(wall {time.monotonic() - started:.0f} s)", flush=True)
    finally:
        fakes_process.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
