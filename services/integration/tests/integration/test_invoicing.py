"""order.delivered → exactly one SmartBill invoice, as the business rules build it, and
invoice.created out; over real HTTP against the fake SmartBill."""

from __future__ import annotations

from decimal import Decimal

from cypher.integration.v1 import events_pb2
from cypher.integration.v1 import integration_pb2 as pb

from .harness import Harness, company_customer, order_line


async def test_a_delivered_order_becomes_one_invoice_with_its_lines_vat_and_totals(
    harness: Harness,
) -> None:
    lines = [
        order_line("LED-1", 10, "12.35", list_price="13.00"),
        order_line("LED-2", 3, "99.90"),
    ]
    order_id = await harness.deliver(lines=lines, delivery_date="2025-07-30")

    created = await harness.events(events_pb2.InvoiceCreated, lambda e: e.order_id == order_id)
    (doc,) = await harness.documents("FL")
    body = doc["body"]
    assert body["client"]["name"] == "Lumina Design SRL"
    assert body["client"]["vatCode"] == "RO14399840"
    assert body["client"]["regCom"] == "J12/1234/2010"
    assert body["client"]["county"] == "Cluj"
    assert body["deliveryDate"] == "2025-07-30"
    products = body["products"]
    # A July delivery keeps July's 19 % whenever it is invoiced.
    assert {p["taxPercentage"] for p in products} == {19}
    assert [p.get("isDiscount", False) for p in products] == [False, True, False]
    assert products[0]["price"] == 13
    # 10 × 12.35 = 123.50 + 23.47 VAT; 3 × 99.90 = 299.70 + 56.94 VAT
    assert Decimal(doc["total"]) == Decimal("503.61")
    invoice = await harness.invoice_of(order_id)
    assert invoice.status == pb.DOCUMENT_STATUS_ISSUED
    assert (invoice.series, invoice.number) == ("FL", doc["number"])
    assert invoice.totals.net.amount == "423.20"
    assert invoice.totals.vat.amount == "80.41"
    assert invoice.totals.gross.amount == "503.61"
    assert invoice.vat_date == "2025-07-30"
    assert created[0].number == doc["number"]
    assert created[0].totals.gross.amount == "503.61"


async def test_an_august_delivery_is_invoiced_at_21_percent(harness: Harness) -> None:
    order_id = await harness.deliver(
        lines=[order_line("LED-1", 1, "100.00")], delivery_date="2025-08-01"
    )
    invoice = await harness.issued(order_id)
    assert invoice.totals.vat.amount == "21.00"


async def test_the_same_delivery_twice_is_still_one_invoice(harness: Harness) -> None:
    order_id = await harness.deliver()
    await harness.issued(order_id)
    await harness.deliver(order_id=order_id)  # another event id, same order
    await harness.deliver(order_id=order_id)
    replay = await harness.stub.CreateInvoice(pb.CreateInvoiceRequest(order_id=order_id))
    assert replay.replayed
    assert len(await harness.documents("FL")) == 1
    posts = [r for r in await harness.requests() if r["method"] == "POST"]
    assert len(posts) == 1


async def test_a_customer_without_invoice_data_is_failed_naming_the_fields(
    harness: Harness,
) -> None:
    customer = company_customer(vat_code="")
    customer.address.county = ""
    order_id = await harness.deliver(customer=customer)

    invoice = await harness.invoice_when(
        order_id, lambda i: i.status == pb.DOCUMENT_STATUS_FAILED, what="invoice FAILED"
    )
    assert "vat_code" in invoice.error
    assert "address.county" in invoice.error
    assert await harness.documents("FL") == []
