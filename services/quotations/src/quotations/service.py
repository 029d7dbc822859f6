"""Use cases of the quotations service.

Each takes the caller's unit of work and never commits (services/README.md): the gRPC
servicer runs it with `in_transaction`, the consumer with the inbox's unit of work,
the jobs with one short transaction per batch. Calls to pricing and orders happen
before the first statement, so no row lock is held across a network call.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from cypher_runtime.clock import Clock
from cypher_runtime.db import UnitOfWork
from quotations import events
from quotations.db import Quotations
from quotations.domain.lines import LineRequest, merged_lines
from quotations.domain.model import LinePrice, Quotation, Status, new_quotation
from quotations.errors import (
    DomainError,
    IdempotencyKeyReused,
    NotDraft,
    QuotationNotFound,
    ValidationFailed,
    VersionConflict,
)
from quotations.ports import OrdersPort, PlacedOrder, PricingPort

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NOTES = 4000
MAX_BULK_CUSTOMERS = 200

Renderer = Callable[[Quotation], bytes]


@dataclass(frozen=True)
class Policy:
    """The life of a sent quotation (from settings)."""

    validity: timedelta = timedelta(days=15)
    reminders: tuple[timedelta, ...] = (timedelta(days=7), timedelta(days=1))


@dataclass(frozen=True)
class CreateQuotation:
    customer_id: uuid.UUID
    lines: Sequence[LineRequest]
    notes: str = ""
    idempotency_key: str = ""
    source_order_id: uuid.UUID | None = None
    pricing_date: str = ""

    def fingerprint(self, merged: Mapping[str, int]) -> str:
        """What makes two creations "the same request" for their idempotency key."""
        body = {
            "customer_id": str(self.customer_id),
            "lines": sorted(merged.items()),
            "notes": self.notes,
            "source_order_id": str(self.source_order_id or ""),
            "pricing_date": self.pricing_date,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class UpdateQuotation:
    quotation_id: uuid.UUID
    notes: str | None = None
    lines: Sequence[LineRequest] | None = None
    recipient_email: str | None = None
    expected_version: int = 0


@dataclass(frozen=True)
class BulkFailure:
    customer_id: str
    error: DomainError


@dataclass
class BulkResult:
    created: list[Quotation] = field(default_factory=list)
    failures: list[BulkFailure] = field(default_factory=list)


def check_notes(notes: str | None, field_name: str = "notes") -> None:
    if notes is not None and len(notes) > MAX_NOTES:
        raise ValidationFailed({field_name: f"at most {MAX_NOTES} characters"})


def check_email(email: str | None, field_name: str = "recipient_email") -> None:
    if email and (len(email) > 254 or not EMAIL.match(email)):
        raise ValidationFailed({field_name: f"not an e-mail address: {email!r}"})


class QuotationsService:
    def __init__(
        self,
        *,
        pricing: PricingPort,
        orders: OrdersPort,
        clock: Clock,
        policy: Policy,
        render: Renderer,
        repository: Callable[[UnitOfWork], Quotations] = Quotations,
    ) -> None:
        # The repository over a unit of work; unit tests give an in-memory one.
        self.repository = repository
        self.pricing = pricing
        self.orders = orders
        self.clock = clock
        self.policy = policy
        self.render = render

    # -- creating ---------------------------------------------------------------------------
    async def _replay(
        self, repo: Quotations, cmd: CreateQuotation, fingerprint: str
    ) -> Quotation | None:
        if cmd.idempotency_key:
            found = await repo.find_by_key(cmd.idempotency_key)
            if found is not None:
                quotation, stored_hash = found
                if stored_hash != fingerprint:
                    raise IdempotencyKeyReused(
                        "this idempotency key was used with a different request",
                        details={"idempotency_key": cmd.idempotency_key},
                    )
                return quotation
        if cmd.source_order_id is not None:
            return await repo.find_by_source_order(cmd.source_order_id)
        return None

    async def _price(
        self, customer_id: uuid.UUID, merged: Mapping[str, int], pricing_date: str
    ) -> tuple[list[LinePrice], str]:
        priced = await self.pricing.quote_lines(
            customer_id=customer_id, lines=merged, pricing_date=pricing_date
        )
        by_sku = {ln.sku: ln for ln in priced.lines}
        # The request's order (first appearance of each sku), whatever pricing returned.
        return [by_sku[sku] for sku in merged], priced.pricing_date

    async def create(self, uow: UnitOfWork, cmd: CreateQuotation) -> tuple[Quotation, bool]:
        """A DRAFT priced now (prices locked); (quotation, replayed)."""
        check_notes(cmd.notes)
        merged = merged_lines(cmd.lines)
        fingerprint = cmd.fingerprint(merged)
        # The calls come before the first statement: no connection or lock is held
        # across them (a replay pays for them; replays are rare).
        customer = await self.orders.get_customer(cmd.customer_id)
        lines, pricing_date = await self._price(cmd.customer_id, merged, cmd.pricing_date)
        repo = self.repository(uow)
        now = self.clock.now()
        await repo.lock_numbering(now.year)
        # Under the year's lock every earlier creation is committed or gone: a replay
        # (same key, same quote request) answers the quotation created first.
        earlier = await self._replay(repo, cmd, fingerprint)
        if earlier is not None:
            return earlier, True
        quotation = new_quotation(
            quotation_id=uuid.uuid4(),
            number=await repo.next_number(now.year),
            customer_id=cmd.customer_id,
            customer=customer,
            priced=lines,
            pricing_date=pricing_date,
            at=now,
            notes=cmd.notes,
            source_order_id=cmd.source_order_id,
        )
        await repo.add(quotation, idempotency_key=cmd.idempotency_key, request_hash=fingerprint)
        uow.publish(*events.published(quotation))
        return quotation, False

    async def bulk_create(
        self,
        uow: UnitOfWork,
        customer_ids: Sequence[str],
        lines: Sequence[LineRequest],
        *,
        notes: str = "",
        idempotency_key: str = "",
    ) -> BulkResult:
        """One DRAFT per customer with the same lines; a customer that fails (unknown,
        unpriceable) is reported and the others are still created."""
        if not customer_ids:
            raise ValidationFailed({"customer_ids": "at least one customer is required"})
        if len(customer_ids) > MAX_BULK_CUSTOMERS:
            raise ValidationFailed({"customer_ids": f"at most {MAX_BULK_CUSTOMERS} customers"})
        check_notes(notes)
        merged_lines(lines)  # a bad line fails the whole request, before anything is priced
        result = BulkResult()
        for raw in dict.fromkeys(customer_ids):  # a repeated customer gets one quotation
            try:
                customer_id = uuid.UUID(raw)
            except ValueError:
                result.failures.append(
                    BulkFailure(raw, ValidationFailed({"customer_ids": f"not a valid id: {raw!r}"}))
                )
                continue
            cmd = CreateQuotation(
                customer_id=customer_id,
                lines=lines,
                notes=notes,
                idempotency_key=f"{idempotency_key}:{customer_id}" if idempotency_key else "",
            )
            try:
                quotation, _ = await self.create(uow, cmd)
            except DomainError as err:
                # Raised before this customer's first write: the transaction is intact.
                result.failures.append(BulkFailure(raw, err))
                continue
            result.created.append(quotation)
        return result

    # -- reading ----------------------------------------------------------------------------
    async def get(self, uow: UnitOfWork, quotation_id: uuid.UUID) -> Quotation:
        quotation = await self.repository(uow).get(quotation_id)
        if quotation is None:
            raise QuotationNotFound(str(quotation_id))
        return quotation

    async def _locked(self, repo: Quotations, quotation_id: uuid.UUID) -> Quotation:
        quotation = await repo.get(quotation_id, for_update=True)
        if quotation is None:
            raise QuotationNotFound(str(quotation_id))
        return quotation

    async def document(self, uow: UnitOfWork, quotation_id: uuid.UUID) -> tuple[str, bytes]:
        """The PDF as sent; a DRAFT (never sent) is rendered now, marked as a draft."""
        repo = self.repository(uow)
        stored = await repo.document(quotation_id)
        if stored is not None:
            return stored
        quotation = await self.get(uow, quotation_id)
        return quotation.pdf_filename(), await asyncio.to_thread(self.render, quotation)

    # -- changing ---------------------------------------------------------------------------
    async def update(self, uow: UnitOfWork, cmd: UpdateQuotation) -> Quotation:
        check_notes(cmd.notes)
        check_email(cmd.recipient_email)
        merged = merged_lines(cmd.lines) if cmd.lines is not None else None
        repo = self.repository(uow)
        current = await self.get(uow, cmd.quotation_id)
        # Refuse before pricing anything (nothing changes on a refused request).
        if current.status is not Status.DRAFT:
            raise NotDraft(str(current.id), current.status.value)
        repriced: list[LinePrice] | None = None
        pricing_date: str | None = None
        if merged is not None:
            repriced, pricing_date = await self._price(current.customer_id, merged, "")
        quotation = await self._locked(repo, cmd.quotation_id)
        loaded = quotation.version
        if cmd.expected_version and cmd.expected_version != loaded:
            raise VersionConflict(
                f"quotation {quotation.id} is at version {loaded}",
                details={"expected_version": cmd.expected_version, "version": loaded},
            )
        quotation.edit(
            self.clock.now(),
            notes=cmd.notes,
            recipient_email=cmd.recipient_email,
            repriced=repriced,
            pricing_date=pricing_date,
        )
        await repo.save(quotation, loaded_version=loaded)
        uow.publish(*events.published(quotation))
        return quotation

    async def send(
        self,
        uow: UnitOfWork,
        quotation_id: uuid.UUID,
        *,
        recipient_email: str = "",
        message: str = "",
    ) -> Quotation:
        """DRAFT → SENT; the PDF is rendered, kept as sent, and carried by the event."""
        check_email(recipient_email)
        check_notes(message, "message")
        repo = self.repository(uow)
        quotation = await self._locked(repo, quotation_id)
        loaded = quotation.version
        now = self.clock.now()
        quotation.send(
            now,
            validity=self.policy.validity,
            reminders=self.policy.reminders,
            recipient_email=recipient_email,
            message=message,
        )
        pdf = await asyncio.to_thread(self.render, quotation)
        await repo.store_document(quotation.id, quotation.pdf_filename(), pdf, now)
        await repo.save(quotation, loaded_version=loaded)
        uow.publish(*events.published(quotation, pdf=pdf))
        return quotation

    async def accept(self, uow: UnitOfWork, quotation_id: uuid.UUID) -> Quotation:
        repo = self.repository(uow)
        quotation = await self._locked(repo, quotation_id)
        loaded = quotation.version
        quotation.accept(self.clock.now())
        await repo.save(quotation, loaded_version=loaded)
        uow.publish(*events.published(quotation))
        return quotation

    async def reject(self, uow: UnitOfWork, quotation_id: uuid.UUID, reason: str) -> Quotation:
        check_notes(reason, "reason")
        repo = self.repository(uow)
        quotation = await self._locked(repo, quotation_id)
        loaded = quotation.version
        quotation.reject(self.clock.now(), reason)
        await repo.save(quotation, loaded_version=loaded)
        uow.publish(*events.published(quotation))
        return quotation

    async def record_conversion(
        self, uow: UnitOfWork, quotation_id: uuid.UUID, order: PlacedOrder
    ) -> Quotation:
        """Mark an accepted quotation CONVERTED with its order (idempotent)."""
        repo = self.repository(uow)
        quotation = await self._locked(repo, quotation_id)
        loaded = quotation.version
        if quotation.mark_converted(order.id, order.number, self.clock.now()):
            await repo.save(quotation, loaded_version=loaded)
        return quotation

    # -- the life of a sent quotation (jobs) ------------------------------------------------
    async def expire_due(self, uow: UnitOfWork, limit: int) -> int:
        """Expire SENT quotations past their validity; rows held by another replica are
        skipped (SKIP LOCKED) and done by it."""
        repo = self.repository(uow)
        now = self.clock.now()
        expired = 0
        for quotation in await repo.claim_expired(now, limit):
            loaded = quotation.version
            if quotation.expire(now):
                await repo.save(quotation, loaded_version=loaded)
                uow.publish(*events.published(quotation))
                expired += 1
        return expired

    async def remind_due(self, uow: UnitOfWork, limit: int) -> int:
        """Announce the reminders that fell due (each once: recorded with the event)."""
        repo = self.repository(uow)
        now = self.clock.now()
        reminded = 0
        for quotation in await repo.claim_reminders(now, limit):
            loaded = quotation.version
            if quotation.remind(now) is not None:
                await repo.save(quotation, loaded_version=loaded)
                uow.publish(*events.published(quotation))
                reminded += 1
        return reminded
