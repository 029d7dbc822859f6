"""Payments seen in SmartBill reach the order (payment.received), returns after invoicing
become a storno or a credit invoice, a cancelled invoice keeps its number, the PDF is
SmartBill's."""

from __future__ import annotations

import uuid
from decimal import Decimal

from cypher.integration.v1 import events_pb2
from cypher.integration.v1 import integration_pb2 as pb
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.orders.v1 import orders_pb2
from cypher_testkit.polling import eventually

from .harness import Harness, order_line


async def test_a_partial_then_a_full_payment_publish_payment_received_with_the_amounts(
    harness: Harness,
) -> None:
    order_id = await harness.deliver(lines=[order_line("LED-1", 1, "100.00")])
    invoice = await harness.issued(order_id)  # 119.00 with July's VAT
    await harness.pay("FL", invoice.number, "50.00")
    (partial,) = await harness.events(events_pb2.PaymentReceived, lambda e: e.order_id == order_id)
    assert partial.amount.amount == "50.00"
    assert partial.total_paid.amount == "50.00"
    assert partial.amount_unpaid.amount == "69.00"
    assert not partial.fully_paid
    assert partial.payment_status == pb.PAYMENT_STATUS_PARTIALLY_PAID
    await harness.pay("FL", invoice.number, "69.00")
    full = await harness.events(
        events_pb2.PaymentReceived, lambda e: e.order_id == order_id and e.fully_paid
    )
    assert full[0].amount.amount == "69.00"
    assert full[0].total_paid.amount == "119.00"
    paid = await harness.invoice_of(order_id)
    assert paid.payment_status == pb.PAYMENT_STATUS_PAID
    assert paid.amount_paid.amount == "119.00"
    status = await harness.status()
    assert status.backlog.unpaid_invoices == 0
    assert {r.name for r in status.last_syncs} >= {"smartbill_payments", "smartbill_invoices"}


async def returned(harness: Harness, order_id: str, lines: dict[str, int]) -> str:
    return_id = str(uuid.uuid4())
    await harness.publish(
        orders_events.OrderReturned(
            order_id=order_id,
            return_id=return_id,
            lines=[orders_pb2.LineQuantity(sku=s, quantity=q) for s, q in lines.items()],
            reason="defect",
            version=9,
        )
    )
    return return_id


async def credit_notes(harness: Harness, order_id: str, count: int) -> list[pb.Invoice]:
    async def probe() -> list[pb.Invoice]:
        reply = await harness.stub.ListInvoices(
            pb.ListInvoicesRequest(order_id=order_id, kind=pb.DOCUMENT_KIND_CREDIT_NOTE)
        )
        return list(reply.invoices)

    return await eventually(
        probe,
        lambda docs: (
            len(docs) == count and all(d.status == pb.DOCUMENT_STATUS_ISSUED for d in docs)
        ),
        timeout=20,
        what=f"{count} credit notes issued",
    )


async def test_the_whole_order_returned_is_a_storno_of_the_invoice(harness: Harness) -> None:
    order_id = await harness.deliver(lines=[order_line("LED-1", 2, "50.00")])
    invoice = await harness.issued(order_id)
    await returned(harness, order_id, {"LED-1": 2})
    (storno,) = await credit_notes(harness, order_id, 1)
    assert storno.storno
    assert storno.credited_invoice_id == invoice.id
    assert storno.totals.gross.amount == "-119.00"
    docs = await harness.documents("FL")
    assert [d["kind"] for d in docs] == ["invoice", "storno"]
    assert docs[1]["reverses"] == {"series": "FL", "number": invoice.number}
    assert Decimal(docs[1]["total"]) == Decimal("-119.00")


async def test_a_part_returned_is_a_credit_invoice_with_negative_lines(harness: Harness) -> None:
    order_id = await harness.deliver(
        lines=[order_line("LED-1", 10, "12.35", list_price="13.00"), order_line("LED-2", 1, "5.00")]
    )
    await harness.issued(order_id)
    await returned(harness, order_id, {"LED-1": 4})
    (credit,) = await credit_notes(harness, order_id, 1)
    assert not credit.storno
    assert [(line.sku, line.quantity) for line in credit.lines] == [("LED-1", -4)]
    assert credit.totals.gross.amount == "-58.79"  # -49.40 net, -9.39 VAT at 19 %
    docs = await harness.documents("FL")
    assert [int(d["number"]) for d in docs] == [1, 2]
    assert Decimal(docs[1]["total"]) == Decimal("-58.79")
    # The same return redelivered credits nothing more; the rest is another credit note.
    await returned(harness, order_id, {"LED-1": 6, "LED-2": 1})
    notes = await credit_notes(harness, order_id, 2)
    assert sorted(n.totals.gross.amount for n in notes) == ["-58.79", "-94.13"]


async def test_the_pdf_is_smartbills_and_a_cancelled_invoice_keeps_its_number(
    harness: Harness,
) -> None:
    order_id = await harness.deliver()
    invoice = await harness.issued(order_id)
    pdf = await harness.stub.GetInvoicePdf(pb.GetInvoicePdfRequest(invoice_id=invoice.id))
    assert pdf.content.startswith(b"%PDF")
    assert pdf.filename == f"FL-{invoice.number}.pdf"
    cancelled = await harness.stub.CancelInvoice(pb.CancelInvoiceRequest(invoice_id=invoice.id))
    assert cancelled.invoice.status == pb.DOCUMENT_STATUS_CANCELLED
    assert cancelled.invoice.number == invoice.number
    (doc,) = await harness.documents("FL")
    assert doc["cancelled"]
    assert doc["number"] == invoice.number
