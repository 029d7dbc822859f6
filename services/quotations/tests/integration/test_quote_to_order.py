"""Create → send (PDF) → accept → convert, on the real pricing, inventory and orders."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

import pypdf

from cypher.common.v1 import money_pb2, pagination_pb2
from cypher.orders.v1 import orders_pb2 as ob
from cypher.pricing.v1 import pricing_pb2 as pr
from cypher.quotations.v1 import events_pb2 as qe
from cypher.quotations.v1 import quotations_pb2 as qb
from cypher_runtime.db import in_transaction
from quotations.pdf import ro_amount

from .harness import Stack


async def test_locked_prices_survive_a_cost_change_into_the_document_and_the_order(
    stack: Stack,
) -> None:
    await stack.product("LED-100", cost="10.00", margin_pct="50")
    await stack.product("LED-200", cost="4.00", margin_pct="25")
    await stack.stock("LED-100", 100)
    await stack.stock("LED-200", 100)
    customer = await stack.customer()

    created = (await stack.create(customer, {"LED-100": 12, "LED-200": 3})).quotation
    assert created.status == qb.QUOTATION_STATUS_DRAFT
    assert created.number.startswith("OF-")
    assert created.number.endswith("-0001")
    assert created.customer.company == "Lumină Și Țară SRL"
    unit = Decimal(created.lines[0].price.unit_net.amount)
    assert unit == Decimal("14.70")  # 10 × 1.5 × (1 − 2 % volume)

    await stack.pricing.UpdateProduct(
        pr.UpdateProductRequest(sku="LED-100", cost=money_pb2.Money(amount="20.00", currency="RON"))
    )
    sent = (
        await stack.quotations.SendQuotation(qb.SendQuotationRequest(quotation_id=created.id))
    ).quotation
    assert sent.status == qb.QUOTATION_STATUS_SENT
    assert sent.valid_until.ToDatetime() - sent.sent_at.ToDatetime() == stack.settings.validity
    assert Decimal(sent.lines[0].price.unit_net.amount) == unit

    event = (await stack.events(qe.QuotationSent, lambda m: m.quotation_id == created.id))[0]
    assert event.recipient_email == created.recipient_email
    assert event.pdf_filename == f"{created.number}.pdf"
    pdf = await stack.quotations.GetQuotationPdf(qb.GetQuotationPdfRequest(quotation_id=created.id))
    assert pdf.content_type == "application/pdf"
    assert pdf.content == event.pdf  # the PDF as sent
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Lumină Și Țară SRL" in text
    assert ro_amount(unit) in text
    assert ro_amount(Decimal(created.totals.gross.amount)) in text

    accepted = (
        await stack.quotations.AcceptQuotation(qb.AcceptQuotationRequest(quotation_id=created.id))
    ).quotation
    assert accepted.status == qb.QUOTATION_STATUS_ACCEPTED

    converted = await stack.quotations.ConvertQuotation(
        qb.ConvertQuotationRequest(quotation_id=created.id)
    )
    assert converted.order_id
    assert converted.order_number.startswith("CMD-")
    assert converted.quotation.order_id == converted.order_id
    order = (await stack.orders.GetOrder(ob.GetOrderRequest(order_id=converted.order_id))).order
    assert order.status == ob.ORDER_STATUS_ORDER_CONFIRMED
    assert order.quotation_id == created.id
    assert [
        (ln.sku, ln.quantity, ln.price.unit_net.amount, ln.price_locked) for ln in order.lines
    ] == [(ln.sku, ln.quantity, ln.price.unit_net.amount, True) for ln in created.lines]
    assert order.totals.gross.amount == created.totals.gross.amount
    assert await stack.available("LED-100") == 88

    again = await stack.quotations.ConvertQuotation(
        qb.ConvertQuotationRequest(quotation_id=created.id)
    )
    assert (again.order_id, again.order_number) == (converted.order_id, converted.order_number)
    assert await stack.available("LED-100") == 88


async def test_a_crash_between_the_order_call_and_its_recording_yields_one_order(
    stack: Stack,
) -> None:
    await stack.product("LED-300")
    await stack.stock("LED-300", 10)
    customer = await stack.customer()
    q = (await stack.create(customer, {"LED-300": 2})).quotation
    await stack.quotations.SendQuotation(qb.SendQuotationRequest(quotation_id=q.id))
    await stack.quotations.AcceptQuotation(qb.AcceptQuotationRequest(quotation_id=q.id))
    # The order call went through, then the process died before recording it.
    app = stack.app
    quotation = await in_transaction(
        app.runtime.db, lambda uow: app.service.get(uow, uuid.UUID(q.id))
    )
    first = await app.conversion.orders.create_order(quotation, allow_backorder=False)
    assert not (await stack.sql("SELECT order_id FROM quotations WHERE id = $1", quotation.id))[0][
        0
    ]

    converted = await stack.quotations.ConvertQuotation(
        qb.ConvertQuotationRequest(quotation_id=q.id)
    )
    assert converted.order_id == str(first.id)
    orders = await stack.orders.ListOrders(ob.ListOrdersRequest(customer_id=customer))
    assert [o.id for o in orders.orders] == [str(first.id)]
    assert await stack.available("LED-300") == 8


async def test_list_filters_and_paging(stack: Stack) -> None:
    await stack.product("F-1")
    await stack.product("F-2")
    alice, bob = await stack.customer("Alice SRL"), await stack.customer("Bob SRL")
    ids = []
    for customer, sku in [(alice, "F-1"), (alice, "F-2"), (bob, "F-1"), (bob, "F-2"), (bob, "F-1")]:
        ids.append((await stack.create(customer, {sku: 1})).quotation.id)
    await stack.quotations.SendQuotation(qb.SendQuotationRequest(quotation_id=ids[0]))

    async def listed(**kwargs: object) -> list[str]:
        reply = await stack.quotations.ListQuotations(qb.ListQuotationsRequest(**kwargs))  # type: ignore[arg-type]
        return list(q.id for q in reply.quotations)

    assert await listed() == ids[::-1]
    assert await listed(customer_id=alice) == [ids[1], ids[0]]
    assert await listed(sku="F-1") == [ids[4], ids[2], ids[0]]
    assert await listed(status=qb.QUOTATION_STATUS_SENT) == [ids[0]]
    assert await listed(status=qb.QUOTATION_STATUS_DRAFT, customer_id=bob, sku="F-2") == [ids[3]]
    sent = (
        await stack.quotations.GetQuotation(qb.GetQuotationRequest(quotation_id=ids[0]))
    ).quotation
    later = qb.ListQuotationsRequest()
    later.expiring_before.CopyFrom(sent.valid_until)
    later.expiring_before.seconds += 1
    assert await listed(expiring_before=later.expiring_before) == [ids[0]]
    later.expiring_before.seconds -= 2
    assert await listed(expiring_before=later.expiring_before) == []

    seen: list[str] = []
    cursor = ""
    while True:
        page = await stack.quotations.ListQuotations(
            qb.ListQuotationsRequest(page=pagination_pb2.PageRequest(limit=2, cursor=cursor))
        )
        seen += [q.id for q in page.quotations]
        cursor = page.page.next_cursor
        if not cursor:
            break
    assert seen == ids[::-1]


async def test_patch_reprices_a_draft_and_bulk_reports_per_customer(stack: Stack) -> None:
    await stack.product("P-1", cost="10.00")
    customer = await stack.customer()
    q = (await stack.create(customer, {"P-1": 1})).quotation
    updated = (
        await stack.quotations.UpdateQuotation(
            qb.UpdateQuotationRequest(
                quotation_id=q.id,
                notes="Montaj inclus",
                lines=qb.QuotationLineInputs(items=[qb.QuotationLineInput(sku="P-1", quantity=10)]),
            )
        )
    ).quotation
    assert updated.notes == "Montaj inclus"
    assert updated.lines[0].quantity == 10
    assert Decimal(updated.lines[0].price.volume_discount_pct) == Decimal("2")
    assert updated.version == q.version + 1

    other = await stack.customer("Alt Client SRL")
    missing = "00000000-0000-4000-8000-000000000000"
    bulk = await stack.quotations.BulkCreateQuotations(
        qb.BulkCreateQuotationsRequest(
            customer_ids=[customer, missing, other, "nope"],
            lines=[qb.QuotationLineInput(sku="P-1", quantity=2)],
        )
    )
    assert sorted(x.customer_id for x in bulk.quotations) == sorted([customer, other])
    assert {f.customer_id: f.error.code for f in bulk.failures} == {
        missing: "CUSTOMER_NOT_FOUND",
        "nope": "VALIDATION_ERROR",
    }
