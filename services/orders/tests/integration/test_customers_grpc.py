"""Customers over real gRPC on a real database."""

from __future__ import annotations

import grpc
import pytest

from cypher.common.v1 import address_pb2, pagination_pb2
from cypher.orders.v1 import orders_pb2 as pb
from cypher_runtime.grpc_errors import error_from_rpc

from .harness import Stack


async def test_a_customer_is_created_read_listed_and_updated(stack: Stack) -> None:
    created = (
        await stack.orders_stub.CreateCustomer(
            pb.CreateCustomerRequest(
                name="Lumina SRL",
                email="Office@Lumina.ro",
                company="Lumina SRL",
                vat_code="ro14399840",
                phone="+40 721 000 000",
                address=address_pb2.Address(
                    line1="Str. Lalelelor 1", city="Cluj-Napoca", county="Cluj", country="RO"
                ),
            )
        )
    ).customer
    assert created.vat_code == "RO14399840"
    assert created.version == 1
    got = (
        await stack.orders_stub.GetCustomer(pb.GetCustomerRequest(customer_id=created.id))
    ).customer
    assert got.address.city == "Cluj-Napoca"
    updated = (
        await stack.orders_stub.UpdateCustomer(
            pb.UpdateCustomerRequest(
                customer_id=created.id, phone="0722 111 222", expected_version=1
            )
        )
    ).customer
    assert (updated.phone, updated.name, updated.version) == ("0722 111 222", "Lumina SRL", 2)
    listed = await stack.orders_stub.ListCustomers(pb.ListCustomersRequest(search="lumina"))
    assert [c.id for c in listed.customers] == [created.id]


async def test_an_invalid_cui_is_a_field_error(stack: Stack) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.orders_stub.CreateCustomer(
            pb.CreateCustomerRequest(name="X", email="x@x.ro", vat_code="RO14399841")
        )
    remote = error_from_rpc(caught.value)
    assert remote.status == grpc.StatusCode.INVALID_ARGUMENT
    assert "vat_code" in remote.details["fields"]


async def test_a_duplicate_email_is_already_exists(stack: Stack) -> None:
    await stack.orders_stub.CreateCustomer(pb.CreateCustomerRequest(name="A", email="dup@x.ro"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.orders_stub.CreateCustomer(pb.CreateCustomerRequest(name="B", email="DUP@x.ro"))
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_from_rpc(caught.value).code == "DUPLICATE_EMAIL"


async def test_a_stale_update_is_a_version_conflict(stack: Stack) -> None:
    customer_id = await stack.customer()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.orders_stub.UpdateCustomer(
            pb.UpdateCustomerRequest(customer_id=customer_id, name="New", expected_version=7)
        )
    assert error_from_rpc(caught.value).code == "VERSION_CONFLICT"


async def test_customers_page_by_cursor(stack: Stack) -> None:
    for i in range(5):
        await stack.orders_stub.CreateCustomer(
            pb.CreateCustomerRequest(name=f"Page {i}", email=f"p{i}@page.ro")
        )
    seen: list[str] = []
    cursor = ""
    while True:
        reply = await stack.orders_stub.ListCustomers(
            pb.ListCustomersRequest(
                search="page", page=pagination_pb2.PageRequest(limit=2, cursor=cursor)
            )
        )
        seen += [c.name for c in reply.customers]
        cursor = reply.page.next_cursor
        if not cursor:
            break
    assert seen == [f"Page {i}" for i in range(5)]


async def test_an_unknown_customer_is_not_found(stack: Stack) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.orders_stub.GetCustomer(
            pb.GetCustomerRequest(customer_id="00000000-0000-0000-0000-000000000001")
        )
    assert error_from_rpc(caught.value).code == "CUSTOMER_NOT_FOUND"
