"""Composition root of the inventory service: `inventory serve | migrate | reconcile`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cypher.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli
from cypher_runtime.clock import Clock, SystemClock
from cypher_runtime.db import Database
from cypher_runtime.settings import load_settings
from inventory.consumers import CatalogueHandlers, OrderEventHandlers
from inventory.grpc_api import InventoryServicer
from inventory.jobs import ReservationExpiry
from inventory.queries import InventoryQueries, ReconcileReport
from inventory.service import InventoryService, Policy
from inventory.settings import InventorySettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = inventory_pb2.DESCRIPTOR.services_by_name["InventoryService"].full_name


@dataclass(frozen=True)
class InventoryApp:
    runtime: Runtime
    service: InventoryService
    queries: InventoryQueries
    expiry: ReservationExpiry


def policy_of(settings: InventorySettings) -> Policy:
    return Policy(
        low_stock_threshold=settings.low_stock_threshold,
        reservation_ttl=timedelta(seconds=settings.reservation_ttl_seconds),
        backorder_lead=timedelta(days=settings.backorder_lead_days),
    )


def assemble(
    settings: InventorySettings, *, clock: Clock | None = None, queue_prefix: str | None = None
) -> InventoryApp:
    clock = clock or SystemClock()
    runtime = Runtime("inventory", settings, queue_prefix=queue_prefix)
    service = InventoryService(clock, policy_of(settings))
    queries = InventoryQueries(runtime.db, clock, settings.low_stock_threshold)
    servicer = InventoryServicer(runtime.db, service, queries)
    runtime.add_grpc(
        SERVICE_NAME,
        lambda server: inventory_pb2_grpc.add_InventoryServiceServicer_to_server(servicer, server),
    )
    runtime.add_consumer("order-events", OrderEventHandlers(service).subscriptions())
    runtime.add_consumer("catalogue", CatalogueHandlers(service).subscriptions())
    expiry = ReservationExpiry(
        runtime.db,
        service,
        batch=settings.expiry_batch,
        interval=settings.expiry_interval_seconds,
    )
    runtime.add_job("reservation-expiry", expiry.run)
    return InventoryApp(runtime, service, queries, expiry)


def build(settings: InventorySettings) -> Runtime:
    return assemble(settings).runtime


def report_json(report: ReconcileReport) -> str:
    return json.dumps(
        {
            "checked": report.checked,
            "checked_at": report.checked_at.isoformat(),
            "mismatches": [
                {
                    "sku": m.figures.sku,
                    "warehouse": m.figures.warehouse,
                    "recorded_on_hand": m.figures.recorded_on_hand,
                    "ledger_on_hand": m.figures.ledger_on_hand,
                    "recorded_reserved": m.figures.recorded_reserved,
                    "ledger_reserved": m.figures.ledger_reserved,
                    "reservations_reserved": m.figures.reservations_reserved,
                    "description": m.description,
                }
                for m in report.mismatches
            ],
        },
        indent=2,
    )


async def reconcile_once(settings: InventorySettings, skus: list[str]) -> ReconcileReport:
    db = Database(settings.database_url, pool_size=1, max_overflow=0)
    try:
        queries = InventoryQueries(db, SystemClock(), settings.low_stock_threshold)
        return await queries.reconcile(skus)
    finally:
        await db.dispose()


def reconcile_cli(argv: list[str]) -> int:
    """`inventory reconcile [--sku SKU ...]`: prints the report as JSON; exit status 1
    when any sku×warehouse disagrees with the ledger (usable from cron or CI)."""
    parser = argparse.ArgumentParser(prog="inventory reconcile")
    parser.add_argument("--sku", action="append", default=[], help="limit to these skus")
    args = parser.parse_args(argv)
    settings = load_settings(InventorySettings)
    report = asyncio.run(reconcile_once(settings, args.sku))
    print(report_json(report))
    return 1 if report.mismatches else 0


def cli(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "reconcile":
        raise SystemExit(reconcile_cli(args[1:]))
    if args[:1] in (["-h"], ["--help"]):
        # The runtime's parser knows serve/migrate; reconcile is this service's own.
        print("inventory reconcile [--sku SKU ...]: compare stock with the movement ledger")
    run_cli(
        name="inventory",
        settings_cls=InventorySettings,
        build=build,
        migrations_dir=MIGRATIONS,
        argv=args,
    )
