"""Customers over real gRPC on a real database: create, read, search, page, update,
and the customer.upserted event."""

from __future__ import annotations

import uuid

import grpc
import pytest

from cypher.common.v1 import address_pb2, pagination_pb2
from cypher.orders.v1 import events_pb2 as oev
from cypher.orders.v1 import orders_pb2 as pb
from cypher_runtime.grpc_errors import error_from_rpc
from cypher_runtime.paging import CursorCodec

from .harness import Stack


async def test_a_customer_is_created_read_listed_and_updated(stack: Stack) -> None:
    created = (
        await stack.orders_stub.CreateCustomer(
            pb.CreateCustomerRequest(
                name="Lumina SRL",
                email="Office@Lumina.ro",
                company="Lumina SRL",
                vat_code="ro14399840",
                reg_com="j12/1234/2010",
                phone="+40 721 000 000",
                address=address_pb2.Address(
                    line1="Str. Lalelelor 1", city="Cluj-Napoca", county="Cluj", country="RO"
                ),
            )
        )
    ).customer
    assert created.vat_code == "RO14399840"
    assert created.reg_com == "J12/1234/2010"
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
    assert updated.reg_com == "J12/1234/2010"  # a partial update keeps it
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


async def search(stack: Stack, text: str) -> list[str]:
    reply = await stack.orders_stub.ListCustomers(pb.ListCustomersRequest(search=text))
    return sorted(c.name for c in reply.customers)


async def test_like_wildcards_in_a_search_are_taken_literally(stack: Stack) -> None:
    for name, email in [("Plain SRL", "plain@x.ro"), ("Fifty%Off SRL", "fifty@x.ro")]:
        await stack.orders_stub.CreateCustomer(pb.CreateCustomerRequest(name=name, email=email))
    assert await search(stack, "%") == ["Fifty%Off SRL"]
    assert await search(stack, "_") == []
    assert await search(stack, "y%o") == ["Fifty%Off SRL"]
    assert await search(stack, "plain") == ["Plain SRL"]
    assert await search(stack, "") == ["Fifty%Off SRL", "Plain SRL"]


FORGED = [
    "garbage",
    "WyJ4IiwieSJd",  # base64 of ["x","y"], not issued by the codec
    # shaped and tagged like the codec's own cursors, but not a (name, id) key:
    CursorCodec("orders.customers", (str, str)).encode(["x", "not-a-uuid"]),
    CursorCodec("orders.orders", (str, str)).encode(["yesterday", str(uuid.uuid4())]),
    CursorCodec("orders.orders", (str, str)).encode(["2026-03-01T00:00:00", str(uuid.uuid4())]),
]


async def test_a_cursor_the_list_did_not_issue_is_a_field_error(stack: Stack) -> None:
    stub = stack.orders_stub
    for cursor in FORGED:
        page = pagination_pb2.PageRequest(limit=2, cursor=cursor)
        customers = stub.ListCustomers(pb.ListCustomersRequest(page=page))
        orders = stub.ListOrders(pb.ListOrdersRequest(page=page))
        for rpc in (customers, orders):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await rpc
            remote = error_from_rpc(caught.value)
            assert remote.status == grpc.StatusCode.INVALID_ARGUMENT, cursor
            assert "page.cursor" in remote.details["fields"]


async def test_a_partial_update_changes_only_the_fields_given(stack: Stack) -> None:
    created = (
        await stack.orders_stub.CreateCustomer(
            pb.CreateCustomerRequest(
                name="Lumina SRL",
                email="office@lumina.ro",
                company="Lumina",
                vat_code="RO14399840",
                phone="0721 000 000",
                address=address_pb2.Address(line1="Str. A 1", city="Cluj-Napoca"),
            )
        )
    ).customer
    updated = (
        await stack.orders_stub.UpdateCustomer(
            pb.UpdateCustomerRequest(
                customer_id=created.id,
                email="billing@lumina.ro",
                address=address_pb2.Address(line1="Str. B 2", city="Oradea"),
            )
        )
    ).customer
    assert (updated.email, updated.address.line1, updated.address.city) == (
        "billing@lumina.ro",
        "Str. B 2",
        "Oradea",
    )
    assert (updated.name, updated.company, updated.vat_code, updated.phone) == (
        "Lumina SRL",
        "Lumina",
        "RO14399840",
        "0721 000 000",
    )
    assert updated.version == created.version + 1
    got = (
        await stack.orders_stub.GetCustomer(pb.GetCustomerRequest(customer_id=created.id))
    ).customer
    assert got == updated


async def test_an_update_is_checked_like_a_create(stack: Stack) -> None:
    first = await stack.customer("First SRL")
    taken = (
        await stack.orders_stub.GetCustomer(pb.GetCustomerRequest(customer_id=first))
    ).customer.email
    second = await stack.customer("Second SRL")
    with pytest.raises(grpc.aio.AioRpcError) as duplicate:
        await stack.orders_stub.UpdateCustomer(
            pb.UpdateCustomerRequest(customer_id=second, email=taken.upper())
        )
    assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_from_rpc(duplicate.value).code == "DUPLICATE_EMAIL"
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await stack.orders_stub.UpdateCustomer(
            pb.UpdateCustomerRequest(customer_id=second, name=" ", vat_code="RO1")
        )
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(error_from_rpc(invalid.value).details["fields"]) == {"name", "vat_code"}
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stack.orders_stub.UpdateCustomer(
            pb.UpdateCustomerRequest(customer_id=str(uuid.uuid4()), name="Nobody")
        )
    assert error_from_rpc(missing.value).code == "CUSTOMER_NOT_FOUND"
    unchanged = (
        await stack.orders_stub.GetCustomer(pb.GetCustomerRequest(customer_id=second))
    ).customer
    assert (unchanged.name, unchanged.version) == ("Second SRL", 1)


async def test_create_and_update_publish_customer_upserted(stack: Stack) -> None:
    customer_id = await stack.customer("Upserted SRL")
    await stack.orders_stub.UpdateCustomer(
        pb.UpdateCustomerRequest(customer_id=customer_id, company="Upserted Holding")
    )
    events = await stack.events(
        oev.CustomerUpserted, lambda e: e.customer_id == customer_id, count=2
    )
    assert sorted((e.version, e.company) for e in events) == [
        (1, ""),
        (2, "Upserted Holding"),
    ]
    assert {(e.name, e.vat_code) for e in events} == {("Upserted SRL", "RO14399840")}
