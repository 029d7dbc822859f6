"""The use cases of invoicing. Each takes the caller's unit of work and never commits
(services/README.md); the multi-step SmartBill conversation is `issuance.py`, which
calls the single-transaction steps below."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cypher_runtime.clock import Clock
from cypher_runtime.db import UnitOfWork
from integration import events
from integration.db.documents import Documents
from integration.domain.billing import (
    ZERO,
    BillingSource,
    BillingTerms,
    SourceLine,
    categories,
    prepare,
    same_lines,
)
from integration.domain.credits import CreditNotePlan, NothingToCredit, plan_credit
from integration.domain.documents import Document, DocumentKind, Phase
from integration.domain.intake import (
    credit_intent,
    invoice_intent,
    proforma_intent,
    require_invoiceable,
    require_proforma_allowed,
)
from integration.errors import (
    CustomerDataIncomplete,
    InvoiceNotFound,
    OrderNotFound,
    UnknownVatCategory,
    UpstreamRefused,
    UpstreamUnavailable,
)
from integration.ports import OrderFacts, OrdersPort, PaymentState, VatRatesPort

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    invoice_series: str
    proforma_series: str
    terms: BillingTerms
    max_refusals: int
    refusal_retry: timedelta


class InvoicingService:
    def __init__(
        self, clock: Clock, policy: Policy, orders: OrdersPort, vat_rates: VatRatesPort
    ) -> None:
        self.clock = clock
        self.policy = policy
        self.orders = orders
        self.vat_rates = vat_rates

    async def save(self, uow: UnitOfWork, repo: Documents, doc: Document) -> None:
        await repo.save(doc)
        uow.publish(*events.published(doc))

    async def _fresh_order(self, order_id: uuid.UUID) -> OrderFacts | None:
        """The order's current data for a retry by hand; None when orders does not answer
        (the retry then sends the data recorded with the intent)."""
        try:
            return await self.orders.get_order(order_id)
        except UpstreamUnavailable:
            log.warning("orders unavailable: retrying with the recorded data")
            return None

    # -- intents ---------------------------------------------------------------------------
    async def record_delivery(
        self, uow: UnitOfWork, *, order_id: uuid.UUID, source: BillingSource, delivered_on: date
    ) -> Document:
        """order.delivered (fully): the invoice intent, once per order. A customer
        lacking invoice data is recorded as FAILED with the missing fields named."""
        repo = Documents(uow)
        existing = await repo.of_order(order_id, DocumentKind.INVOICE)
        if existing is not None:
            return existing
        now = self.clock.now()
        doc = invoice_intent(
            order_id=order_id,
            source=source,
            vat_date=delivered_on,
            series=self.policy.invoice_series,
            at=now,
        )
        missing = source.party.missing_fields()
        if missing:
            doc.refused_before_sending(
                str(CustomerDataIncomplete(source.party.customer_id, missing)), now
            )
        if not await repo.add(doc):
            found = await repo.of_order(order_id, DocumentKind.INVOICE)
            assert found is not None
            return found
        log.info("invoice intent recorded", extra={"order_id": str(order_id), "id": str(doc.id)})
        return doc

    async def request_invoice(self, uow: UnitOfWork, order_id: uuid.UUID) -> tuple[Document, bool]:
        """POST /invoices: the order's one invoice (replayed = it existed). A FAILED one is
        queued again, rebuilt from the order's current data."""
        repo = Documents(uow)
        existing = await repo.of_order(order_id, DocumentKind.INVOICE, for_update=True)
        if existing is not None:
            if existing.phase == Phase.FAILED:
                source = None
                if not existing.needs_review:
                    facts = await self._fresh_order(order_id)
                    if facts is not None:
                        facts.delivered.party.require_complete()
                        source = facts.delivered
                existing.retry(self.clock.now(), source=source)
                await self.save(uow, repo, existing)
            return existing, True
        facts = await self.orders.get_order(order_id)
        if facts is None:
            raise OrderNotFound(str(order_id))
        require_invoiceable(str(order_id), facts.status)
        facts.delivered.party.require_complete()
        now = self.clock.now()
        doc = invoice_intent(
            order_id=order_id,
            source=facts.delivered,
            vat_date=facts.delivered_on or now.date(),
            series=self.policy.invoice_series,
            at=now,
        )
        if not await repo.add(doc):
            found = await repo.of_order(order_id, DocumentKind.INVOICE)
            assert found is not None
            return found, True
        return doc, False

    async def request_proforma(self, uow: UnitOfWork, order_id: uuid.UUID) -> tuple[Document, bool]:
        repo = Documents(uow)
        existing = await repo.of_order(order_id, DocumentKind.PROFORMA, for_update=True)
        if existing is not None:
            if existing.phase == Phase.FAILED:
                facts = await self._fresh_order(order_id)
                source = None if facts is None else facts.ordered
                if source is not None and not existing.needs_review:
                    source.party.require_complete()
                existing.retry(self.clock.now(), source=source)
                await self.save(uow, repo, existing)
            return existing, True
        facts = await self.orders.get_order(order_id)
        if facts is None:
            raise OrderNotFound(str(order_id))
        require_proforma_allowed(str(order_id), facts.status)
        facts.ordered.party.require_complete()
        doc = proforma_intent(
            order_id=order_id,
            source=facts.ordered,
            series=self.policy.proforma_series,
            at=self.clock.now(),
        )
        if not await repo.add(doc):
            found = await repo.of_order(order_id, DocumentKind.PROFORMA)
            assert found is not None
            return found, True
        return doc, False

    async def record_return(
        self, uow: UnitOfWork, *, order_id: uuid.UUID, return_id: str, returned: Mapping[str, int]
    ) -> Document | None:
        """order.returned: a credit document when the order has an invoice (planned as a
        storno or a credit invoice once that invoice has its number)."""
        repo = Documents(uow)
        if await repo.of_return(return_id) is not None:
            return None
        invoice = await repo.of_order(order_id, DocumentKind.INVOICE)
        if invoice is None or invoice.phase == Phase.CANCELLED:
            log.info(
                "return without an invoice: nothing to credit", extra={"order_id": str(order_id)}
            )
            return None
        lines = tuple(
            SourceLine(sku=sku, name=sku, unit="", quantity=qty, unit_net=ZERO, vat_category="")
            for sku, qty in sorted(returned.items())
            if qty > 0
        )
        source = BillingSource(
            order_number=invoice.source.order_number,
            currency=invoice.source.currency,
            party=invoice.source.party,
            lines=lines,
        )
        doc = credit_intent(
            invoice=invoice, returned=source, return_id=return_id, at=self.clock.now()
        )
        return doc if await repo.add(doc) else None

    # -- steps of issuance (issuance.py) ----------------------------------------------------
    async def prepare(self, uow: UnitOfWork, repo: Documents, doc: Document) -> None:
        """Build the body of a queued document once (VAT at its VAT date, from pricing).
        Our own refusals (customer data, unknown VAT category) stop it as FAILED."""
        now = self.clock.now()
        try:
            if doc.kind == DocumentKind.CREDIT_NOTE:
                await self._plan_credit(repo, doc, now)
            else:
                rates = await self.vat_rates.rates_on(categories(doc.source), doc.vat_date)
                draft = prepare(
                    doc.source,
                    vat_rates=rates,
                    terms=self.policy.terms,
                    issue_date=now.date(),
                    vat_date=doc.vat_date,
                    with_due_date=doc.kind == DocumentKind.INVOICE,
                )
                doc.prepared(draft, now)
                if doc.kind == DocumentKind.INVOICE:
                    await self._maybe_from_estimate(repo, doc, now)
        except (CustomerDataIncomplete, UnknownVatCategory, UpstreamRefused) as exc:
            doc.refused_before_sending(exc.message, now)
        await self.save(uow, repo, doc)

    async def _maybe_from_estimate(self, repo: Documents, doc: Document, now: datetime) -> None:
        proforma = await repo.of_order(doc.order_id, DocumentKind.PROFORMA)
        if (
            proforma is not None
            and proforma.phase == Phase.ISSUED
            and proforma.ref is not None
            and proforma.draft is not None
            and doc.draft is not None
            and same_lines(proforma.draft, doc.draft)
        ):
            doc.from_estimate(proforma.ref, now)

    async def _plan_credit(self, repo: Documents, doc: Document, now: datetime) -> None:
        assert doc.credit_of is not None
        invoice = await repo.get(doc.credit_of)
        if invoice is None or invoice.draft is None or invoice.ref is None:
            doc.refused_before_sending("the credited invoice has no SmartBill number", now)
            return
        earlier = [
            c
            for c in await repo.credits_of(invoice.id)
            if c.id != doc.id and c.draft is not None and c.phase != Phase.FAILED
        ]
        plan = plan_credit(
            invoice.draft,
            [c.draft for c in earlier if c.draft is not None],
            {line.sku: line.quantity for line in doc.source.lines},
            reversed_already=any(c.storno for c in earlier),
            issue_date=now.date(),
        )
        if isinstance(plan, NothingToCredit):
            doc.refused_before_sending(plan.reason, now)
            return
        doc.prepared_credit(
            plan.draft, storno=not isinstance(plan, CreditNotePlan), invoice=invoice.ref, at=now
        )

    def refusal_retry_at(self, doc: Document, now: datetime) -> datetime | None:
        if doc.refusals + 1 >= self.policy.max_refusals:
            return None
        backoff: timedelta = self.policy.refusal_retry * (2**doc.refusals)
        return now + backoff

    # -- reads -------------------------------------------------------------------------------
    async def get(self, uow: UnitOfWork, document_id: uuid.UUID) -> Document:
        doc = await Documents(uow).get(document_id)
        if doc is None:
            raise InvoiceNotFound(str(document_id))
        return doc

    # -- payments -------------------------------------------------------------------------------
    async def claim_payment_checks(
        self, uow: UnitOfWork, *, interval: timedelta, limit: int
    ) -> list[Document]:
        now = self.clock.now()
        return await Documents(uow).claim_payment_checks(now, now + interval, limit)

    async def record_payment_state(
        self, uow: UnitOfWork, document_id: uuid.UUID, state: PaymentState
    ) -> bool:
        """SmartBill's payment state of an invoice; True when it changed (payment.received
        is then in the outbox, same transaction)."""
        repo = Documents(uow)
        doc = await repo.get(document_id, for_update=True)
        if doc is None or doc.phase != Phase.ISSUED:
            return False
        seen = doc.record_payment(paid=state.paid, unpaid=state.unpaid, at=self.clock.now())
        if seen is None:
            return False
        await self.save(uow, repo, doc)
        log.info(
            "payment seen",
            extra={"id": str(doc.id), "paid": str(state.paid), "unpaid": str(state.unpaid)},
        )
        return True
