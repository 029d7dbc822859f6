"""Concurrency, proven on the real database: hundreds of simultaneous reservations over
separate gRPC channels never oversell, never deadlock, and leave the ledger equal to
the stock; concurrent expiry jobs (replicas) release each reservation once."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from datetime import timedelta

import grpc

from cypher.inventory.v1 import inventory_pb2 as pb
from cypher.inventory.v1 import inventory_pb2_grpc
from cypher_runtime.grpc_client import make_channel
from cypher_runtime.grpc_errors import error_from_rpc
from inventory.jobs import ReservationExpiry
from inventory.service import InventoryService
from services.inventory.tests.integration.inventory_harness import Running

ATTEMPTS = 240


async def ledger_matches_stock(service: Running) -> list[tuple[str, str]]:
    """sku×warehouse rows whose stock differs from the sum of their movements."""
    rows = await service.sql(
        """
        SELECT s.sku, s.warehouse FROM stock s
        LEFT JOIN (SELECT sku, warehouse, SUM(on_hand_delta) oh, SUM(reserved_delta) rs
                   FROM movements GROUP BY sku, warehouse) m USING (sku, warehouse)
        WHERE s.on_hand <> COALESCE(m.oh, 0) OR s.reserved <> COALESCE(m.rs, 0)
        """
    )
    return [(r["sku"], r["warehouse"]) for r in rows]


async def storm(
    service: Running, requests: list[pb.ReserveRequest]
) -> tuple[list[pb.ReserveResponse], Counter[str]]:
    """Fire every request at once, each over its own channel (its own connection)."""
    channels = [make_channel(service.target, default_timeout=60) for _ in requests]
    outcomes: Counter[str] = Counter()
    successes: list[pb.ReserveResponse] = []
    negative_seen: list[int] = []
    done = asyncio.Event()

    async def watch_available() -> None:
        # Sampled while the storm runs: available must never be observed negative.
        while not done.is_set():
            rows = await service.sql("SELECT MIN(on_hand - reserved) AS m FROM stock")
            if rows and rows[0]["m"] is not None and rows[0]["m"] < 0:
                negative_seen.append(int(rows[0]["m"]))
            await asyncio.sleep(0.01)

    async def attempt(channel: grpc.aio.Channel, request: pb.ReserveRequest) -> None:
        stub = inventory_pb2_grpc.InventoryServiceStub(channel)
        try:
            successes.append(await stub.Reserve(request))
            outcomes["OK"] += 1
        except grpc.aio.AioRpcError as exc:
            err = error_from_rpc(exc)
            outcomes[f"{err.status.name}/{err.code}"] += 1

    watcher = asyncio.create_task(watch_available())
    try:
        await asyncio.gather(*(attempt(c, r) for c, r in zip(channels, requests, strict=True)))
    finally:
        done.set()
        await watcher
        await asyncio.gather(*(c.close() for c in channels))
    assert negative_seen == []
    return successes, outcomes


async def test_concurrent_reservations_never_oversell(service: Running) -> None:
    sku = f"HOT-{uuid.uuid4().hex[:8]}"
    for warehouse, qty in (("A", 20), ("B", 20), ("C", 10)):
        await service.receive(sku, warehouse, qty)
    rng = random.Random(4)
    requests = [
        pb.ReserveRequest(
            order_id=str(uuid.uuid4()), lines=[pb.StockLine(sku=sku, quantity=rng.randint(1, 3))]
        )
        for _ in range(ATTEMPTS)
    ]

    successes, outcomes = await storm(service, requests)

    granted = sum(a.quantity for r in successes for a in r.reservation.allocations)
    item = await service.availability(sku)
    print(
        f"\nconcurrency: attempts={ATTEMPTS} ok={outcomes['OK']} "
        f"exhausted={outcomes['RESOURCE_EXHAUSTED/INSUFFICIENT_STOCK']} "
        f"reserved={item.total_reserved} on_hand={item.total_on_hand} "
        f"oversold={max(0, item.total_reserved - item.total_on_hand)}"
    )
    assert set(outcomes) <= {"OK", "RESOURCE_EXHAUSTED/INSUFFICIENT_STOCK"}, outcomes
    assert sum(outcomes.values()) == ATTEMPTS
    assert granted == item.total_reserved == 50
    assert item.total_on_hand == 50
    assert all(w.available >= 0 for w in item.warehouses)
    assert await ledger_matches_stock(service) == []
    report = await service.stub.Reconcile(pb.ReconcileRequest(skus=[sku]))
    assert list(report.mismatches) == []
    assert report.checked_count == 3


async def test_multi_sku_reservations_in_any_line_order_never_deadlock(service: Running) -> None:
    skus = [f"MIX{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    for s in skus:
        await service.receive(s, "A", 15)
        await service.receive(s, "C", 15)
    rng = random.Random(7)
    requests = []
    for _ in range(200):
        chosen = rng.sample(skus, k=rng.randint(2, 3))  # random line order on purpose
        requests.append(
            pb.ReserveRequest(
                order_id=str(uuid.uuid4()),
                lines=[pb.StockLine(sku=s, quantity=rng.randint(1, 2)) for s in chosen],
            )
        )

    successes, outcomes = await storm(service, requests)

    assert set(outcomes) <= {"OK", "RESOURCE_EXHAUSTED/INSUFFICIENT_STOCK"}, outcomes
    for s in skus:
        item = await service.availability(s)
        granted = sum(
            a.quantity for r in successes for a in r.reservation.allocations if a.sku == s
        )
        assert granted == item.total_reserved <= item.total_on_hand == 30
    assert await ledger_matches_stock(service) == []


async def test_same_order_reserved_concurrently_holds_stock_once(service: Running) -> None:
    sku = f"DUP-{uuid.uuid4().hex[:8]}"
    await service.receive(sku, "B", 10)
    oid = str(uuid.uuid4())
    request = pb.ReserveRequest(order_id=oid, lines=[pb.StockLine(sku=sku, quantity=4)])

    successes, outcomes = await storm(service, [request] * 30)

    assert outcomes == Counter({"OK": 30})
    assert len({r.reservation.id for r in successes}) == 1
    assert sum(not r.replayed for r in successes) == 1
    assert (await service.availability(sku)).total_reserved == 4


async def test_expiry_jobs_on_several_replicas_release_each_reservation_once(
    service: Running,
) -> None:
    sku = f"EXP-{uuid.uuid4().hex[:8]}"
    await service.receive(sku, "A", 40)
    pending = [str(uuid.uuid4()) for _ in range(12)]
    for oid in pending:
        await service.stub.Reserve(
            pb.ReserveRequest(order_id=oid, lines=[pb.StockLine(sku=sku, quantity=2)])
        )
    kept = str(uuid.uuid4())
    await service.stub.Reserve(
        pb.ReserveRequest(order_id=kept, lines=[pb.StockLine(sku=sku, quantity=3)])
    )
    await service.stub.ConfirmReservation(pb.ConfirmReservationRequest(order_id=kept))
    # Three more "replicas" on the same database, besides the service's own job.
    replicas = [
        ReservationExpiry(service.runtime.db, InventoryService(service.clock)) for _ in range(3)
    ]

    service.clock.advance(timedelta(minutes=31))
    await asyncio.gather(*(r.expire_due(50) for r in replicas))

    statuses = {
        oid: (
            await service.stub.GetReservation(pb.GetReservationRequest(order_id=oid))
        ).reservation.status
        for oid in [*pending, kept]
    }
    assert [statuses[oid] for oid in pending] == [pb.RESERVATION_STATUS_EXPIRED] * 12
    assert statuses[kept] == pb.RESERVATION_STATUS_CONFIRMED
    assert (await service.availability(sku)).total_reserved == 3
    releases = await service.sql(
        "SELECT reference, COUNT(*) AS n FROM movements WHERE sku = $1 AND kind = 'release'"
        " GROUP BY reference",
        sku,
    )
    assert sorted(r["reference"] for r in releases) == sorted(pending)
    assert {r["n"] for r in releases} == {1}
    assert await ledger_matches_stock(service) == []
