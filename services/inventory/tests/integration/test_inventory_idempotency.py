"""Receipts, adjustments and transfers are applied at most once per idempotency key: a
repeat (sequential or concurrent) moves no stock twice and answers with the first run's
movements; the same key with another request is refused; no key behaves as before."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest

from cypher.inventory.v1 import inventory_pb2 as pb
from cypher_runtime.grpc_errors import error_from_rpc
from services.inventory.tests.integration.inventory_harness import Running


def sku() -> str:
    return f"IDEM-{uuid.uuid4().hex[:8]}"


def key() -> str:
    return f"user-1:{uuid.uuid4()}"


async def movement_count(service: Running, s: str) -> int:
    rows = await service.sql("SELECT COUNT(*) AS n FROM movements WHERE sku = $1", s)
    return int(rows[0]["n"])


async def on_hand(service: Running, s: str) -> dict[str, int]:
    item = await service.availability(s)
    return {w.warehouse: w.on_hand for w in item.warehouses}


async def test_receipt_with_one_key_is_booked_once(service: Running) -> None:
    s, k = sku(), key()
    await service.catalogue(s)
    request = pb.ReceiveRequest(
        sku=s, warehouse="A", quantity=7, reference="DN-1", idempotency_key=k
    )
    first = await service.stub.Receive(request)
    again = await service.stub.Receive(request)
    assert again.movement.id == first.movement.id
    assert again.movement == first.movement
    assert again.stock.on_hand == 7
    racing = await asyncio.gather(*(service.stub.Receive(request) for _ in range(4)))
    assert {r.movement.id for r in racing} == {first.movement.id}
    assert await movement_count(service, s) == 1
    assert await on_hand(service, s) == {"A": 7}


async def test_concurrent_first_receipts_with_one_key_book_once(service: Running) -> None:
    s, k = sku(), key()
    await service.catalogue(s)
    request = pb.ReceiveRequest(sku=s, warehouse="B", quantity=3, idempotency_key=k)
    answers = await asyncio.gather(*(service.stub.Receive(request) for _ in range(6)))
    assert len({a.movement.id for a in answers}) == 1
    assert await movement_count(service, s) == 1
    assert await on_hand(service, s) == {"B": 3}


async def test_adjustment_with_one_key_is_applied_once(service: Running) -> None:
    s, k = sku(), key()
    await service.receive(s, "A", 10)
    request = pb.AdjustRequest(sku=s, warehouse="A", delta=-4, reason="broken", idempotency_key=k)
    answers = await asyncio.gather(*(service.stub.Adjust(request) for _ in range(2)))
    again = await service.stub.Adjust(request)
    assert {a.movement.id for a in [*answers, again]} == {answers[0].movement.id}
    assert again.movement.on_hand_after == 6
    assert await movement_count(service, s) == 2  # the receipt + one adjustment
    assert await on_hand(service, s) == {"A": 6}


async def test_transfer_with_one_key_moves_once(service: Running) -> None:
    s, k = sku(), key()
    await service.receive(s, "A", 10)
    request = pb.TransferRequest(
        sku=s, from_warehouse="A", to_warehouse="C", quantity=4, idempotency_key=k
    )
    answers = await asyncio.gather(*(service.stub.Transfer(request) for _ in range(2)))
    again = await service.stub.Transfer(request)
    ids = [m.id for m in answers[0].movements]
    assert len(ids) == 2
    assert all([m.id for m in a.movements] == ids for a in [*answers, again])
    assert (again.from_stock.warehouse, again.from_stock.on_hand) == ("A", 6)
    assert (again.to_stock.warehouse, again.to_stock.on_hand) == ("C", 4)
    assert await movement_count(service, s) == 3  # the receipt + out + in
    assert await on_hand(service, s) == {"A": 6, "C": 4}


async def test_same_key_with_another_request_is_refused(service: Running) -> None:
    s, k = sku(), key()
    await service.receive(s, "A", 10)
    await service.stub.Adjust(
        pb.AdjustRequest(sku=s, warehouse="A", delta=1, reason="found", idempotency_key=k)
    )
    for call in (
        service.stub.Adjust(
            pb.AdjustRequest(sku=s, warehouse="A", delta=2, reason="found", idempotency_key=k)
        ),
        service.stub.Receive(
            pb.ReceiveRequest(sku=s, warehouse="A", quantity=1, idempotency_key=k)
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        failure = error_from_rpc(err.value)
        assert failure.status == grpc.StatusCode.FAILED_PRECONDITION
        assert failure.code == "IDEMPOTENCY_KEY_REUSED"
    assert await on_hand(service, s) == {"A": 11}


async def test_a_refused_request_does_not_use_up_its_key(service: Running) -> None:
    s, k = sku(), key()
    await service.receive(s, "A", 2)
    with pytest.raises(grpc.aio.AioRpcError):
        await service.stub.Adjust(
            pb.AdjustRequest(sku=s, warehouse="A", delta=-5, reason="x", idempotency_key=k)
        )
    done = await service.stub.Adjust(
        pb.AdjustRequest(sku=s, warehouse="A", delta=-1, reason="x", idempotency_key=k)
    )
    assert done.stock.on_hand == 1


async def test_without_a_key_every_request_applies(service: Running) -> None:
    s = sku()
    await service.catalogue(s)
    request = pb.ReceiveRequest(sku=s, warehouse="A", quantity=2)
    await service.stub.Receive(request)
    await service.stub.Receive(request)
    assert await movement_count(service, s) == 2
    assert await on_hand(service, s) == {"A": 4}
