"""Bad input and refused changes: a clear code naming the problem, and nothing changes."""

from __future__ import annotations

import grpc
import pytest

from cypher.quotations.v1 import quotations_pb2 as qb
from cypher_runtime.grpc_errors import error_from_rpc

from .harness import Stack

MISSING = "00000000-0000-4000-8000-000000000000"


async def refused(call: object) -> tuple[grpc.StatusCode, str, dict[str, object]]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    err = error_from_rpc(caught.value)
    return err.status, err.code, err.details


async def test_unknown_customer_and_sku_are_named(stack: Stack) -> None:
    await stack.product("R-1")
    customer = await stack.customer()
    status, code, details = await refused(stack.create(MISSING, {"R-1": 1}))
    assert (status, code) == (grpc.StatusCode.NOT_FOUND, "CUSTOMER_NOT_FOUND")
    status, code, details = await refused(stack.create(customer, {"R-1": 1, "NOPE-9": 2}))
    assert (status, code) == (grpc.StatusCode.NOT_FOUND, "PRODUCT_NOT_FOUND")
    assert "NOPE-9" in str(details)
    assert await stack.sql("SELECT 1 FROM quotations") == []
    assert await stack.sql("SELECT value FROM quotation_number_counters") in ([], [(0,)])


async def test_bad_lines_are_refused_with_field_errors(stack: Stack) -> None:
    customer = await stack.customer()
    status, code, details = await refused(stack.create(customer, {}))
    assert (status, code) == (grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR")
    assert details == {"fields": {"lines": "at least one line is required"}}
    status, _, details = await refused(stack.create(customer, {"R-1": 0}))
    assert details == {"fields": {"lines[0].quantity": "must be a positive whole number"}}
    status, _, details = await refused(stack.create(customer, {"R-1": -2}))
    assert status == grpc.StatusCode.INVALID_ARGUMENT
    status, _, details = await refused(stack.create("not-an-id", {"R-1": 1}))
    assert details == {"fields": {"customer_id": "not a valid id: 'not-an-id'"}}


async def test_duplicate_sku_lines_are_merged(stack: Stack) -> None:
    await stack.product("R-2")
    customer = await stack.customer()
    reply = await stack.quotations.CreateQuotation(
        qb.CreateQuotationRequest(
            customer_id=customer,
            lines=[
                qb.QuotationLineInput(sku="R-2", quantity=4),
                qb.QuotationLineInput(sku="R-2", quantity=6),
            ],
        )
    )
    assert [(ln.sku, ln.quantity) for ln in reply.quotation.lines] == [("R-2", 10)]


async def test_status_refusals_name_the_allowed_statuses_and_change_nothing(
    stack: Stack,
) -> None:
    await stack.product("R-3")
    customer = await stack.customer()
    q = (await stack.create(customer, {"R-3": 1})).quotation
    ident = {"quotation_id": q.id}

    status, code, details = await refused(
        stack.quotations.AcceptQuotation(qb.AcceptQuotationRequest(**ident))
    )
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "ILLEGAL_TRANSITION")
    assert details["from"] == "DRAFT"
    assert details["allowed_from"] == ["SENT"]
    status, code, details = await refused(
        stack.quotations.ConvertQuotation(qb.ConvertQuotationRequest(quotation_id=q.id))
    )
    assert (code, details["allowed"]) == ("NOT_ACCEPTED", ["ACCEPTED"])

    await stack.quotations.SendQuotation(qb.SendQuotationRequest(**ident))
    before = (await stack.quotations.GetQuotation(qb.GetQuotationRequest(**ident))).quotation
    status, code, details = await refused(
        stack.quotations.UpdateQuotation(qb.UpdateQuotationRequest(notes="x", quotation_id=q.id))
    )
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_DRAFT")
    assert (details["status"], details["allowed"]) == ("SENT", ["DRAFT"])
    status, code, _ = await refused(
        stack.quotations.SendQuotation(qb.SendQuotationRequest(**ident))
    )
    assert code == "ILLEGAL_TRANSITION"
    after = (await stack.quotations.GetQuotation(qb.GetQuotationRequest(**ident))).quotation
    assert after == before

    status, code, _ = await refused(
        stack.quotations.GetQuotation(qb.GetQuotationRequest(quotation_id=MISSING))
    )
    assert (status, code) == (grpc.StatusCode.NOT_FOUND, "QUOTATION_NOT_FOUND")
    status, _, details = await refused(
        stack.quotations.ListQuotations(
            qb.ListQuotationsRequest(page={"cursor": "garbage"})  # type: ignore[arg-type]
        )
    )
    assert details == {"fields": {"page.cursor": "is not a cursor this list issued"}}


async def test_idempotency_key_replays_and_refuses_another_body(stack: Stack) -> None:
    await stack.product("R-4")
    customer = await stack.customer()
    first = await stack.create(customer, {"R-4": 1}, idempotency_key="k-1")
    again = await stack.create(customer, {"R-4": 1}, idempotency_key="k-1")
    assert (again.quotation.id, again.replayed) == (first.quotation.id, True)
    _, code, _ = await refused(stack.create(customer, {"R-4": 2}, idempotency_key="k-1"))
    assert code == "IDEMPOTENCY_KEY_REUSED"
