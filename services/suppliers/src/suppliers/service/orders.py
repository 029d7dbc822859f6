"""Use cases of supplier orders: create (idempotent), status changes, receipts, and the
DRAFT orders a customer backorder produces (grouped per best-offer supplier)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cypher_runtime.db import UnitOfWork
from suppliers import events
from suppliers.domain.offers import Offer, best_offer
from suppliers.domain.orders import (
    OrderLine,
    OrderStatus,
    Receipt,
    SupplierOrder,
    new_order,
)
from suppliers.errors import SupplierProductNotFound, ValidationFailed
from suppliers.service.policy import Context
from suppliers.service.ports import ProductStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackorderLine:
    sku: str
    quantity: int
    expected_date: date | None


class OrderUseCases:
    ctx: Context

    async def create_order(
        self,
        uow: UnitOfWork,
        supplier_id: str,
        lines: list[OrderLine],
        *,
        customer_order_id: str = "",
        expected_date: date | None = None,
        notes: str = "",
        idempotency_key: str = "",
        draft: bool = False,
    ) -> tuple[SupplierOrder, bool]:
        """(the order, replayed): the same idempotency key returns the first order."""
        stores = self.ctx.stores(uow)
        repo = stores.orders
        if idempotency_key:
            earlier = await repo.by_idempotency_key(idempotency_key)
            if earlier is not None:
                return earlier, True
        supplier = await stores.suppliers.get(supplier_id)
        products = stores.products
        for i, line in enumerate(lines):
            if line.unit_price >= 0 and line.supplier_sku:
                continue
            # Fill the supplier's code and current price from its feed when not given.
            try:
                found = await self._product_for(products, supplier_id, line)
            except SupplierProductNotFound:
                raise ValidationFailed(
                    {
                        f"lines[{i}].sku": f"give supplier_sku and unit_price: {supplier.name} "
                        f"lists no item mapped to {line.sku!r}"
                    }
                ) from None
            line.supplier_sku = line.supplier_sku or found[0]
            if line.unit_price < 0:
                line.unit_price = found[1]
        order = new_order(
            self.ctx.new_id(),
            supplier_id,
            supplier.currency,
            lines,
            self.ctx.clock.now(),
            draft=draft,
            customer_order_id=customer_order_id,
            expected_date=expected_date,
            notes=notes,
        )
        if not await repo.add(order, idempotency_key or None):
            # A concurrent call with the same key won: replay its order.
            earlier = await repo.by_idempotency_key(idempotency_key)
            assert earlier is not None
            return earlier, True
        uow.publish(*events.published(order))
        return order, False

    async def _product_for(
        self, products: ProductStore, supplier_id: str, line: OrderLine
    ) -> tuple[str, Decimal]:
        if line.supplier_sku:
            p = await products.get(supplier_id, line.supplier_sku)
            return p.supplier_sku, p.price
        offers = await products.offers_for(line.sku)
        mine = [o for o in offers if o.supplier_id == supplier_id]
        if not mine:
            raise SupplierProductNotFound("no mapped item")
        cheapest = min(mine, key=lambda o: o.price)
        return cheapest.supplier_sku, cheapest.price

    async def get_order(self, uow: UnitOfWork, order_id: str) -> SupplierOrder:
        return await self.ctx.stores(uow).orders.get(order_id)

    async def change_order_status(
        self,
        uow: UnitOfWork,
        order_id: str,
        to: OrderStatus,
        *,
        reason: str = "",
        received: list[Receipt] | None = None,
        expected_version: int = 0,
    ) -> SupplierOrder:
        repo = self.ctx.stores(uow).orders
        order = await repo.get(order_id, for_update=True)
        loaded = order.version
        order.change_status(
            to,
            self.ctx.clock.now(),
            reason=reason,
            received=received,
            expected_version=expected_version,
        )
        if order.version != loaded:
            await repo.save(order, loaded)
            uow.publish(*events.published(order))
        return order

    async def receive_order(
        self, uow: UnitOfWork, order_id: str, receipts: list[Receipt], expected_version: int = 0
    ) -> SupplierOrder:
        repo = self.ctx.stores(uow).orders
        order = await repo.get(order_id, for_update=True)
        loaded = order.version
        order.receive(receipts, self.ctx.clock.now(), expected_version=expected_version)
        await repo.save(order, loaded)
        uow.publish(*events.published(order))
        return order

    async def draft_for_backorder(
        self, uow: UnitOfWork, customer_order_id: str, lines: list[BackorderLine]
    ) -> list[SupplierOrder]:
        """One DRAFT supplier order per best-offer supplier for the missing quantities;
        a redelivered backorder finds its drafts by their idempotency keys."""
        groups: dict[str, list[tuple[BackorderLine, Offer]]] = {}
        for line in lines:
            if line.quantity <= 0 or not line.sku:
                continue
            offers = await self.ctx.stores(uow).products.offers_for(line.sku)
            offer = best_offer(offers, self.ctx.policy.fx_rates)
            if offer is None:
                log.warning(
                    "backordered sku has no supplier offer; no supplier order drafted",
                    extra={"order_id": customer_order_id, "sku": line.sku},
                )
                continue
            groups.setdefault(offer.supplier_id, []).append((line, offer))
        drafted: list[SupplierOrder] = []
        for supplier_id, picked in sorted(groups.items()):
            dates = [ln.expected_date for ln, _ in picked if ln.expected_date]
            order, _ = await self.create_order(
                uow,
                supplier_id,
                [
                    OrderLine(
                        sku=ln.sku,
                        supplier_sku=offer.supplier_sku,
                        quantity=ln.quantity,
                        unit_price=offer.price,
                    )
                    for ln, offer in picked
                ],
                customer_order_id=customer_order_id,
                expected_date=min(dates) if dates else None,
                notes=f"backorder of order {customer_order_id}",
                idempotency_key=f"backorder:{customer_order_id}:{supplier_id}",
                draft=True,
            )
            drafted.append(order)
        return drafted
