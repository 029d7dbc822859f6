"""Every inventory list refuses a cursor it did not issue with 400 naming
`page.cursor` — garbage, base64 of a JSON array, a truncated cursor, another list's
cursor — instead of answering page 1; a negative page size is a 400 too."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import grpc
import pytest

from cypher.common.v1 import pagination_pb2
from cypher.inventory.v1 import inventory_pb2 as pb
from services.inventory.tests.integration.inventory_harness import Running
from services.inventory.tests.integration.test_inventory_grpc import failure

GARBAGE = ["garbage", "%%%", "WyJ4IiwieSJd", "W10", "eyJhIjoxfQ==.AAAA"]

Lister = Callable[[Running, pagination_pb2.PageRequest], Awaitable[object]]


async def movements(service: Running, page: pagination_pb2.PageRequest) -> object:
    return await service.stub.ListMovements(pb.ListMovementsRequest(page=page))


async def low_stock(service: Running, page: pagination_pb2.PageRequest) -> object:
    return await service.stub.ListLowStock(pb.ListLowStockRequest(page=page))


async def warehouses(service: Running, page: pagination_pb2.PageRequest) -> object:
    return await service.stub.ListWarehouses(pb.ListWarehousesRequest(page=page))


async def issued_cursors(service: Running) -> dict[str, str]:
    """A real next-page cursor of each paged list."""
    sku = f"PG-{uuid.uuid4().hex[:8]}"
    for _ in range(2):
        await service.receive(sku, "A", 1)  # two movements, one low-stock row per warehouse
    await service.receive(f"PG-{uuid.uuid4().hex[:8]}", "A", 1)
    one = pagination_pb2.PageRequest(limit=1)
    moved = await service.stub.ListMovements(pb.ListMovementsRequest(page=one))
    low = await service.stub.ListLowStock(pb.ListLowStockRequest(page=one))
    assert moved.page.next_cursor
    assert low.page.next_cursor
    return {"movements": moved.page.next_cursor, "low_stock": low.page.next_cursor}


@pytest.mark.parametrize("lister", [movements, low_stock, warehouses])
async def test_a_cursor_the_list_did_not_issue_is_a_400(service: Running, lister: Lister) -> None:
    issued = await issued_cursors(service)
    foreign = issued["low_stock"] if lister is movements else issued["movements"]
    own = issued.get(lister.__name__, "")
    refused = [*GARBAGE, foreign, *([own[:-3]] if own else [])]
    for cursor in refused:
        err = await failure(lister(service, pagination_pb2.PageRequest(cursor=cursor)))
        assert err.status == grpc.StatusCode.INVALID_ARGUMENT, cursor
        assert list(err.details["fields"]) == ["page.cursor"], cursor
    if own:
        await lister(service, pagination_pb2.PageRequest(cursor=own))  # its own cursor works
    negative = await failure(lister(service, pagination_pb2.PageRequest(limit=-1)))
    assert list(negative.details["fields"]) == ["page.limit"]
