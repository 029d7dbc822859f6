"""Handlers of the changes the shop must follow: `price.updated` (pricing) and
`inventory.stock_changed`. Each only marks the sku PENDING in the inbox's unit of work;
the flusher pushes it (coalesced with the other changes of the window) — no shop call
inside a handler. Unversioned on purpose: the push reads the current truth, so the
order in which changes arrive does not matter."""

from __future__ import annotations

from cypher.inventory.v1 import events_pb2 as inventory_events
from cypher.pricing.v1 import events_pb2 as pricing_events
from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.consumer import Subscription, on
from cypher_runtime.messaging.envelope import ReceivedEvent
from integration.shop.service import ShopService


class ShopHandlers:
    def __init__(self, service: ShopService) -> None:
        self.service = service

    async def price_updated(
        self, uow: UnitOfWork, msg: pricing_events.PriceUpdated, event: ReceivedEvent
    ) -> None:
        await self.service.changed(uow, [msg.sku])

    async def product_upserted(
        self, uow: UnitOfWork, msg: pricing_events.ProductUpserted, event: ReceivedEvent
    ) -> None:
        # A new product (or a renamed/(de)activated one) appears in the shop.
        await self.service.changed(uow, [msg.product.sku])

    async def stock_changed(
        self, uow: UnitOfWork, msg: inventory_events.InventoryStockChanged, event: ReceivedEvent
    ) -> None:
        await self.service.changed(uow, [msg.sku])

    def subscriptions(self) -> list[Subscription]:
        return [
            on(pricing_events.PriceUpdated, self.price_updated),
            on(pricing_events.ProductUpserted, self.product_upserted),
            on(inventory_events.InventoryStockChanged, self.stock_changed),
        ]
