"""Mail against the SMTP sink: what is sent on which event, once per event, with the PDF
attached, and retried while the mail server is away."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from cypher.common.v1 import money_pb2
from cypher.inventory.v1 import events_pb2 as inventory_events
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.orders.v1 import orders_pb2
from cypher.quotations.v1 import events_pb2 as quotations_events
from cypher.suppliers.v1 import events_pb2 as suppliers_events
from cypher_testkit.polling import eventually

from .mail_harness import MailHarness, mail

__all__ = ["mail"]

PDF = b"%PDF-1.4\n% oferta de test\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def stamp(at: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(at)
    return value


def totals() -> money_pb2.Totals:
    return money_pb2.Totals(
        net=money_pb2.Money(amount="1000.00", currency="RON"),
        vat=money_pb2.Money(amount="210.00", currency="RON"),
        gross=money_pb2.Money(amount="1210.00", currency="RON"),
    )


def quotation_sent(to: str, *, pdf: bytes = PDF) -> quotations_events.QuotationSent:
    return quotations_events.QuotationSent(
        quotation_id=str(uuid.uuid4()),
        number="OF-2026-0042",
        customer_id=str(uuid.uuid4()),
        recipient_email=to,
        message="Am inclus și proiectoarele pentru curte.",
        valid_until=stamp(datetime(2026, 12, 18, 12, tzinfo=UTC)),
        totals=totals(),
        pdf=pdf,
        pdf_filename="OF-2026-0042.pdf",
    )


async def test_a_sent_quotation_is_one_mail_with_its_pdf(mail: MailHarness) -> None:
    event_id = await mail.publish(quotation_sent("client@lumina.test"))
    [received] = await mail.received("client@lumina.test")
    assert received["subject"] == "Oferta OF-2026-0042 de la CYPHER Iluminat"
    assert received["html_present"] is True
    assert "Găsiți atașată oferta OF-2026-0042" in received["text"]
    assert "Total de plată: 1.210,00 lei" in received["text"]
    assert "18.12.2026" in received["text"]
    assert received["attachments"] == [
        {"filename": "OF-2026-0042.pdf", "content_type": "application/pdf", "size": len(PDF)}
    ]
    full = await mail.message(received["id"])
    assert "Am inclus și proiectoarele pentru curte." in full["html"]
    assert (await mail.attachment(received["id"])).content == PDF

    # The same event delivered again (a redelivery): no second mail.
    await mail.publish(quotation_sent("client@lumina.test"), event_id=event_id)
    await asyncio.sleep(1.5)
    assert len(await mail.messages("client@lumina.test")) == 1
    [row] = await mail.log()
    assert (row["template"], row["to_address"], row["event_id"]) == (
        "quotation_sent",
        "client@lumina.test",
        event_id,
    )
    assert (row["status"], row["attempts"]) == ("SENT", 1)


async def test_a_reminder_goes_to_the_customer(mail: MailHarness) -> None:
    await mail.publish(
        quotations_events.QuotationReminderDue(
            quotation_id=str(uuid.uuid4()),
            number="OF-2026-0043",
            customer_id=str(uuid.uuid4()),
            recipient_email="client@lumina.test",
            valid_until=stamp(datetime.now(UTC) + timedelta(days=1)),
            days_before_expiry=1,
            totals=totals(),
        )
    )
    [received] = await mail.received("client@lumina.test")
    assert received["subject"] == "Oferta OF-2026-0043 expiră mâine"
    assert "adică până mâine" in received["text"]


async def test_order_statuses_mail_the_customer_once_each(mail: MailHarness) -> None:
    customer_id = await mail.customer("ana@firma.test", name="Ana Ionescu")
    order_id = str(uuid.uuid4())
    path = [
        ("QUOTE_PENDING", "ORDER_CONFIRMED"),
        ("ORDER_CONFIRMED", "IN_PREPARATION"),
        ("IN_PREPARATION", "READY_TO_SHIP"),
        ("READY_TO_SHIP", "SHIPPED"),
        ("SHIPPED", "DELIVERED"),
        ("DELIVERED", "INVOICED"),
        ("INVOICED", "PAID"),
    ]
    for version, (old, new) in enumerate(path, start=2):
        await mail.publish(
            orders_events.OrderStatusChanged(
                order_id=order_id,
                number="CMD-2026-000123",
                customer_id=customer_id,
                from_status=orders_pb2.OrderStatus.Value(f"ORDER_STATUS_{old}"),
                to_status=orders_pb2.OrderStatus.Value(f"ORDER_STATUS_{new}"),
                version=version,
            ),
            subject=order_id,
        )
    # SHIPPED announced a second time (a new event, e.g. a second shipment): no new mail.
    await mail.publish(
        orders_events.OrderStatusChanged(
            order_id=order_id,
            number="CMD-2026-000123",
            customer_id=customer_id,
            to_status=orders_pb2.ORDER_STATUS_SHIPPED,
            version=20,
        ),
        subject=order_id,
    )
    received = await mail.received("ana@firma.test", count=4)
    await asyncio.sleep(1.5)
    received = await mail.messages("ana@firma.test")
    assert sorted(m["subject"] for m in received) == sorted(
        [
            "Comanda CMD-2026-000123 a fost confirmată",
            "Comanda CMD-2026-000123 a fost expediată",
            "Comanda CMD-2026-000123 a fost livrată",
            "Factura pentru comanda CMD-2026-000123 a fost emisă",
        ]
    )
    assert all("Bună ziua, Ana Ionescu," in m["text"] for m in received)


async def test_low_stock_and_price_alerts_go_to_their_addresses(mail: MailHarness) -> None:
    await mail.publish(
        inventory_events.InventoryLowStock(
            sku="LED-PANOU-60", warehouse="B", available=2, threshold=3, total_available=7
        )
    )
    await mail.publish(
        suppliers_events.SupplierPriceChanged(
            supplier_id="aca",
            supplier_sku="ACA-0007",
            sku="LED-PANOU-60",
            old_price=money_pb2.Money(amount="100.00", currency="RON"),
            new_price=money_pb2.Money(amount="115.50", currency="RON"),
            change_pct="15.5",
            alert_raised=True,
            price_alert_id=str(uuid.uuid4()),
        )
    )
    # A change below the alert threshold is not mailed.
    await mail.publish(
        suppliers_events.SupplierPriceChanged(
            supplier_id="aca", supplier_sku="ACA-0008", change_pct="2", alert_raised=False
        )
    )
    [low] = await mail.received("depozit@lumina.test")
    assert low["subject"] == "Stoc scăzut: LED-PANOU-60 în depozitul B"
    assert "Disponibil în B: 2 buc" in low["text"]
    [alert] = await mail.received("achizitii@lumina.test")
    assert alert["subject"] == "Alertă de preț: LED-PANOU-60 la aca (+15,5 %)"
    assert "Preț nou: 115,50 lei" in alert["text"]
    await asyncio.sleep(1.0)
    assert len(await mail.messages("achizitii@lumina.test")) == 1


async def test_mail_waits_while_the_mail_server_is_away(mail: MailHarness) -> None:
    await mail.proxy.stop()
    await mail.publish(quotation_sent("later@lumina.test"))
    rows = await eventually(
        mail.log, lambda rows: bool(rows) and rows[0]["attempts"] >= 2, what="failed attempts"
    )
    assert rows[0]["status"] == "PENDING"
    assert rows[0]["last_error"]
    await mail.proxy.start()
    [received] = await mail.received("later@lumina.test", timeout=30)
    assert received["attachments"][0]["filename"] == "OF-2026-0042.pdf"
    [row] = await eventually(mail.log, lambda rows: rows[0]["status"] == "SENT", what="SENT")
    assert row["attempts"] >= 3
    await asyncio.sleep(1.0)
    assert len(await mail.messages("later@lumina.test")) == 1


async def test_an_unknown_customer_fails_without_retrying(mail: MailHarness) -> None:
    customer_id = str(uuid.uuid4())  # orders does not know it: nobody to write to
    await mail.publish(
        orders_events.OrderStatusChanged(
            order_id=str(uuid.uuid4()),
            number="CMD-2026-000124",
            customer_id=customer_id,
            to_status=orders_pb2.ORDER_STATUS_ORDER_CONFIRMED,
        )
    )
    [row] = await eventually(mail.log, lambda rows: bool(rows) and rows[0]["status"] == "FAILED")
    assert row["attempts"] == 1
    assert f"customer {customer_id} not found" in row["last_error"]
