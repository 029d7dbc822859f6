"""Reconciliation: a healthy ledger reports nothing; a row corrupted behind the service's
back is reported by the Reconcile RPC and by the `inventory reconcile` command."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid

from cypher.inventory.v1 import inventory_pb2 as pb
from cypher_testkit.processes import console_script
from services.inventory.tests.integration.inventory_harness import Running


async def run_reconcile_cli(service: Running, *args: str) -> tuple[int, dict[str, object]]:
    env = {**os.environ, "INVENTORY_DATABASE_URL": service.settings.database_url}
    proc = await asyncio.to_thread(
        subprocess.run,
        [*console_script("inventory"), "reconcile", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout)


async def test_reconcile_reports_nothing_for_a_healthy_ledger(service: Running) -> None:
    sku = f"REC-{uuid.uuid4().hex[:8]}"
    await service.receive(sku, "A", 6)
    await service.stub.Reserve(
        pb.ReserveRequest(order_id=str(uuid.uuid4()), lines=[pb.StockLine(sku=sku, quantity=2)])
    )
    report = await service.stub.Reconcile(pb.ReconcileRequest())
    assert list(report.mismatches) == []
    assert report.checked_count >= 1
    code, body = await run_reconcile_cli(service)
    assert code == 0
    assert body["mismatches"] == []


async def test_reconcile_reports_a_corrupted_row(service: Running) -> None:
    sku, healthy = f"REC-{uuid.uuid4().hex[:8]}", f"REC-{uuid.uuid4().hex[:8]}"
    await service.receive(sku, "B", 6)
    await service.receive(healthy, "A", 6)
    await service.stub.Reserve(
        pb.ReserveRequest(order_id=str(uuid.uuid4()), lines=[pb.StockLine(sku=sku, quantity=2)])
    )
    await service.sql(
        "UPDATE stock SET on_hand = on_hand + 5, reserved = 1 WHERE sku = $1 AND warehouse = 'B'",
        sku,
    )

    report = await service.stub.Reconcile(pb.ReconcileRequest())

    assert [(m.sku, m.warehouse) for m in report.mismatches] == [(sku, "B")]
    found = report.mismatches[0]
    assert (found.recorded_on_hand, found.ledger_on_hand) == (11, 6)
    assert (found.recorded_reserved, found.ledger_reserved, found.reservations_reserved) == (
        1,
        2,
        2,
    )
    assert "ledger says 6" in found.description
    code, body = await run_reconcile_cli(service, "--sku", sku)
    assert code == 1
    assert body["mismatches"] == [
        {
            "sku": sku,
            "warehouse": "B",
            "recorded_on_hand": 11,
            "ledger_on_hand": 6,
            "recorded_reserved": 1,
            "ledger_reserved": 2,
            "reservations_reserved": 2,
            "description": found.description,
        }
    ]


async def test_movements_record_the_acting_user(service: Running) -> None:
    sku = f"ACT-{uuid.uuid4().hex[:8]}"
    await service.catalogue(sku)
    await service.stub.Receive(
        pb.ReceiveRequest(sku=sku, warehouse="C", quantity=2, reference="NIR-7"),
        metadata=(("x-actor", "user:42"),),
    )
    page = await service.stub.ListMovements(pb.ListMovementsRequest(sku=sku))
    assert [(m.actor, m.reference, m.type) for m in page.movements] == [
        ("user:42", "NIR-7", pb.MOVEMENT_TYPE_RECEIPT)
    ]
