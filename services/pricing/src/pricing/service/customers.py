"""Use cases of the customer tier aggregate: the live tier, the admin override, the
spend fed by orders' events, and the sweep that lowers tiers as spend ages out."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from cypher_runtime.db import UnitOfWork, session_scope
from pricing import events
from pricing.db.customers import Customers, KnownCustomers
from pricing.domain.customer import (
    CustomerTier,
    tier_change,
    unseen_customer,
    with_override,
    with_spend,
)
from pricing.domain.rules import Tier
from pricing.errors import CustomerNotFound
from pricing.service.prices import PriceBook


@dataclass(frozen=True, slots=True)
class TierView:
    state: CustomerTier
    updated_at: datetime | None


class CustomerService:
    def __init__(self, book: PriceBook) -> None:
        self.book = book

    async def tier(self, customer_id: str) -> TierView:
        """The live tier: spend summed now (it decays as orders age out of the window)."""
        book = self.book
        now = book.clock.now()
        rules = await book.rules()
        async with session_scope(book.db) as session:
            customers = Customers(session)
            stored = await customers.get(customer_id)
            spend = await customers.spend(customer_id, now=now, window=book.window)
        state = stored.state if stored else unseen_customer(customer_id, rules)
        live = replace(state, computed=rules.tier_for_spend(spend).tier, spend=spend)
        return TierView(live, stored.updated_at if stored else None)

    async def set_override(
        self, uow: UnitOfWork, customer_id: str, tier: Tier | None, reason: str
    ) -> TierView:
        """Override (or with None, clear the override of) a customer's tier. The customer
        must exist: pricing knows it from orders' events (`customer_upserted`)."""
        book = self.book
        now = book.clock.now()
        if not await KnownCustomers(uow.session).exists(customer_id):
            raise CustomerNotFound(
                f"unknown customer {customer_id}", details={"customer_id": customer_id}
            )
        rules = await book.rules()
        customers = Customers(uow.session)
        state = await customers.lock(customer_id, base=rules.tiers[0].tier, now=now)
        spend = await customers.spend(customer_id, now=now, window=book.window)
        after = with_override(with_spend(state, spend, rules), tier)
        await self._save(uow, state, after, reason=reason or "admin override", now=now)
        return TierView(after, now)

    async def recompute(self, uow: UnitOfWork, customer_id: str, *, reason: str) -> CustomerTier:
        book = self.book
        now = book.clock.now()
        rules = await book.rules()
        customers = Customers(uow.session)
        state = await customers.lock(customer_id, base=rules.tiers[0].tier, now=now)
        spend = await customers.spend(customer_id, now=now, window=book.window)
        after = with_spend(state, spend, rules)
        await self._save(uow, state, after, reason=reason, now=now)
        return after

    async def _save(
        self,
        uow: UnitOfWork,
        before: CustomerTier,
        after: CustomerTier,
        *,
        reason: str,
        now: datetime,
    ) -> None:
        if after == before:
            return
        await Customers(uow.session).save(after, now=now)
        self.book.touched(uow).customers.add(after.customer_id)
        change = tier_change(before, after, currency=self.book.currency, reason=reason, at=now)
        if change is not None:
            uow.publish(*events.published(change))

    async def customer_upserted(self, uow: UnitOfWork, customer_id: str, version: int) -> None:
        await KnownCustomers(uow.session).learn(
            customer_id, version=version, now=self.book.clock.now()
        )

    async def order_confirmed(
        self,
        uow: UnitOfWork,
        *,
        order_id: str,
        customer_id: str,
        net_total: Decimal,
        currency: str,
        confirmed_at: datetime,
    ) -> None:
        # An order's customer exists, whether or not its customer.upserted came first.
        await KnownCustomers(uow.session).learn(customer_id, version=0, now=self.book.clock.now())
        await Customers(uow.session).order_confirmed(
            order_id=order_id,
            customer_id=customer_id,
            net_total=net_total,
            currency=currency or self.book.currency,
            confirmed_at=confirmed_at,
            now=self.book.clock.now(),
        )
        await self.recompute(uow, customer_id, reason="spend recomputed")

    async def order_cancelled(
        self,
        uow: UnitOfWork,
        *,
        order_id: str,
        customer_id: str,
        net_total: Decimal,
        currency: str,
    ) -> None:
        await KnownCustomers(uow.session).learn(customer_id, version=0, now=self.book.clock.now())
        await Customers(uow.session).order_cancelled(
            order_id=order_id,
            customer_id=customer_id,
            net_total=net_total,
            currency=currency or self.book.currency,
            now=self.book.clock.now(),
        )
        await self.recompute(uow, customer_id, reason="spend recomputed")

    async def sweep_tiers(self, uow: UnitOfWork) -> int:
        """Re-check customers with spend: orders ageing out of the window lower tiers."""
        states = await Customers(uow.session).lock_all_for_sweep(limit=1000)
        for state in states:
            await self.recompute(uow, state.customer_id, reason="spend aged out")
        return len(states)
