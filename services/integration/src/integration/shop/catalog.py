"""The catalogue adapter: pricing (ListProducts, QuoteLines for the anonymous customer,
ListPromotions for the sale window) and inventory (GetAvailability), over gRPC with
deadlines and idempotent retries. A batch of skus costs three calls (four with a
promotion): QuoteLines and GetAvailability take the whole batch at once.

When QuoteLines refuses a batch because of one sku (unknown or inactive product), the
batch is priced sku by sku so only that sku fails."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

import grpc

from cypher.common.v1 import pagination_pb2
from cypher.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_runtime.grpc_client import call, make_channel
from cypher_runtime.proto_values import datetime_from_pb
from integration.shop.domain.products import PriceFacts, shop_product
from integration.shop.ports import CatalogUnavailable, Resolved

REFUSALS = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION)


def _unavailable(err: grpc.aio.AioRpcError, what: str) -> CatalogUnavailable:
    return CatalogUnavailable(f"{what}: {err.code().name} {err.details() or ''}".strip())


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal(0)


class GrpcCatalog:
    def __init__(
        self, pricing_addr: str, inventory_addr: str, timeout: float, *, backorders: bool
    ) -> None:
        self.pricing_addr = pricing_addr
        self.inventory_addr = inventory_addr
        self.timeout = timeout
        self.backorders = backorders
        self._channels: dict[str, grpc.aio.Channel] = {}
        self.calls = 0

    def _channel(self, target: str) -> grpc.aio.Channel:
        if target not in self._channels:
            self._channels[target] = make_channel(target, default_timeout=self.timeout)
        return self._channels[target]

    def _pricing(self) -> pricing_pb2_grpc.PricingServiceAsyncStub:
        return pricing_pb2_grpc.PricingServiceStub(self._channel(self.pricing_addr))  # type: ignore[return-value]

    def _inventory(self) -> inventory_pb2_grpc.InventoryServiceAsyncStub:
        return inventory_pb2_grpc.InventoryServiceStub(self._channel(self.inventory_addr))  # type: ignore[return-value]

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()

    # -- the port ------------------------------------------------------------------------
    async def skus_page(self, cursor: str, limit: int) -> tuple[list[str], str]:
        self.calls += 1
        try:
            reply = await call(
                self._pricing().ListProducts,
                pricing_pb2.ListProductsRequest(
                    page=pagination_pb2.PageRequest(limit=limit, cursor=cursor)
                ),
                timeout=self.timeout,
                idempotent=True,
            )
        except grpc.aio.AioRpcError as err:
            raise _unavailable(err, "pricing ListProducts") from err
        return [p.sku for p in reply.products], reply.page.next_cursor

    async def resolve(self, skus: Sequence[str]) -> Resolved:
        if not skus:
            return Resolved()
        lines, errors = await self._prices(skus)
        windows = (
            await self._promotions() if any(line.promotion_id for line in lines.values()) else {}
        )
        available = await self._available(list(lines))
        products = {}
        for sku, line in lines.items():
            starts, ends = windows.get(line.promotion_id, (None, None))
            facts = PriceFacts(
                list_net=_decimal(line.list_price.amount),
                vat_rate_pct=_decimal(line.vat_rate),
                effective_gross=_decimal(line.unit_gross.amount),
                promotion_id=line.promotion_id,
                promotion_starts_at=starts,
                promotion_ends_at=ends,
            )
            products[sku] = shop_product(
                sku, line.name, facts, available.get(sku, 0), backorders=self.backorders
            )
        return Resolved(products=products, errors=errors)

    # -- calls ---------------------------------------------------------------------------
    async def _prices(
        self, skus: Sequence[str]
    ) -> tuple[dict[str, pricing_pb2.PricedLine], dict[str, str]]:
        self.calls += 1
        request = pricing_pb2.QuoteLinesRequest(
            lines=[pricing_pb2.QuoteLineInput(sku=s, quantity=1) for s in skus]
        )
        try:
            reply = await call(
                self._pricing().QuoteLines, request, timeout=self.timeout, idempotent=True
            )
        except grpc.aio.AioRpcError as err:
            if err.code() not in REFUSALS:
                raise _unavailable(err, "pricing QuoteLines") from err
            return await self._prices_one_by_one(skus)
        return {line.sku: line for line in reply.lines}, {}

    async def _prices_one_by_one(
        self, skus: Sequence[str]
    ) -> tuple[dict[str, pricing_pb2.PricedLine], dict[str, str]]:
        lines: dict[str, pricing_pb2.PricedLine] = {}
        errors: dict[str, str] = {}
        gate = asyncio.Semaphore(8)

        async def one(sku: str) -> None:
            async with gate:
                self.calls += 1
                try:
                    reply = await call(
                        self._pricing().GetPrice,
                        pricing_pb2.GetPriceRequest(sku=sku, quantity=1),
                        timeout=self.timeout,
                        idempotent=True,
                    )
                except grpc.aio.AioRpcError as err:
                    if err.code() not in REFUSALS:
                        raise _unavailable(err, "pricing GetPrice") from err
                    errors[sku] = f"not priced: {err.details() or err.code().name}"
                    return
                lines[sku] = reply.line

        await asyncio.gather(*(one(s) for s in skus))
        return lines, errors

    async def _promotions(self) -> dict[str, tuple[datetime | None, datetime | None]]:
        windows: dict[str, tuple[datetime | None, datetime | None]] = {}
        cursor = ""
        while True:
            self.calls += 1
            try:
                reply = await call(
                    self._pricing().ListPromotions,
                    pricing_pb2.ListPromotionsRequest(
                        active_only=True, page=pagination_pb2.PageRequest(limit=200, cursor=cursor)
                    ),
                    timeout=self.timeout,
                    idempotent=True,
                )
            except grpc.aio.AioRpcError as err:
                raise _unavailable(err, "pricing ListPromotions") from err
            for promo in reply.promotions:
                windows[promo.id] = (
                    datetime_from_pb(promo.starts_at) if promo.HasField("starts_at") else None,
                    datetime_from_pb(promo.ends_at) if promo.HasField("ends_at") else None,
                )
            cursor = reply.page.next_cursor
            if not cursor:
                return windows

    async def _available(self, skus: list[str]) -> dict[str, int]:
        if not skus:
            return {}
        self.calls += 1
        try:
            reply = await call(
                self._inventory().GetAvailability,
                inventory_pb2.GetAvailabilityRequest(skus=skus),
                timeout=self.timeout,
                idempotent=True,
            )
        except grpc.aio.AioRpcError as err:
            raise _unavailable(err, "inventory GetAvailability") from err
        return {item.sku: int(item.total_available) for item in reply.items}
