"""What the use cases need from outside, as protocols: SmartBill, the orders service
(orders and customers' billing data) and the pricing service (VAT rates by date).
The adapters are `smartbill.client`, `clients`; unit tests pass in-memory fakes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from integration.domain.billing import BillingParty, BillingSource, Draft
from integration.domain.documents import DocRef
from integration.smartbill.guard import LinkStatus


@dataclass(frozen=True)
class PaymentState:
    total: Decimal
    paid: Decimal
    unpaid: Decimal


@dataclass(frozen=True)
class OrderFacts:
    """What invoicing needs to know about an order (from orders GetOrder)."""

    order_id: uuid.UUID
    status: str
    customer_id: str
    # The lines at ordered quantities (a proforma) and at delivered ones (the invoice).
    ordered: BillingSource
    delivered: BillingSource
    # Date of the last delivery: the invoice's VAT date; None before any delivery.
    delivered_on: date | None


class SmartBillPort(Protocol):
    async def create_document(
        self, *, kind: str, series: str, draft: Draft, estimate: DocRef | None = None
    ) -> DocRef: ...

    async def reverse_invoice(self, invoice: DocRef, issue_date: date) -> DocRef: ...

    async def cancel_invoice(self, invoice: DocRef) -> None: ...

    async def next_number(self, series: str, kind: str) -> int: ...

    async def invoice_total(self, ref: DocRef) -> Decimal | None: ...

    async def estimate_invoices(self, ref: DocRef) -> list[DocRef] | None: ...

    async def payment_status(self, ref: DocRef) -> PaymentState: ...

    async def pdf(self, kind: str, ref: DocRef) -> bytes: ...


class LinkPort(Protocol):
    """The state of the SmartBill link (circuit breaker) as the dispatcher sees it."""

    def ready(self) -> bool: ...

    def status(self) -> LinkStatus: ...


class OrdersPort(Protocol):
    async def get_order(self, order_id: uuid.UUID) -> OrderFacts | None: ...

    async def get_customer(self, customer_id: str) -> BillingParty | None: ...


class VatRatesPort(Protocol):
    async def rates_on(self, categories: set[str], on: date) -> dict[str, Decimal]:
        """The VAT rate (percent) in force on `on` for each category it knows."""
        ...
