"""The gRPC servicer: request → `wire` → use case (writes through `PricingService.write`)
→ `wire`. Thin on purpose: rules live in the domain, transactions in the service, and
errors leave through the runtime's interceptor."""

from __future__ import annotations

from typing import Any

from cypher.common.v1 import pagination_pb2
from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_runtime.paging import page_limit
from pricing.domain.product import ProductChanges
from pricing.service import PricingService
from pricing.wire import api as wire


class PricingServicer(pricing_pb2_grpc.PricingServiceServicer):
    def __init__(self, service: PricingService) -> None:
        self.svc = service

    # -- prices ----------------------------------------------------------------------------
    async def GetPrice(
        self, request: pricing_pb2.GetPriceRequest, context: Any
    ) -> pricing_pb2.GetPriceResponse:
        line = wire.price_request(request)
        customer_id = wire.customer_id_of(request.customer_id)
        quote = await self.svc.quotes.quote(customer_id, [line], request.pricing_date)
        return pricing_pb2.GetPriceResponse(line=wire.line_pb(quote.lines[0], quote.pricing_date))

    async def QuoteLines(
        self, request: pricing_pb2.QuoteLinesRequest, context: Any
    ) -> pricing_pb2.QuoteLinesResponse:
        lines = [(line.sku, int(line.quantity)) for line in request.lines]
        customer_id = wire.customer_id_of(request.customer_id)
        return wire.quote_pb(await self.svc.quotes.quote(customer_id, lines, request.pricing_date))

    # -- products ---------------------------------------------------------------------------
    async def CreateProduct(
        self, request: pricing_pb2.CreateProductRequest, context: Any
    ) -> pricing_pb2.CreateProductResponse:
        product = wire.new_product(request, self.svc.settings.default_currency)
        stored = await self.svc.write(lambda uow: self.svc.products.create(uow, product))
        return pricing_pb2.CreateProductResponse(
            product=wire.product_pb(stored.product, stored.created_at, stored.updated_at)
        )

    async def UpdateProduct(
        self, request: pricing_pb2.UpdateProductRequest, context: Any
    ) -> pricing_pb2.UpdateProductResponse:
        changes = wire.product_changes(request)
        stored = await self.svc.write(
            lambda uow: self.svc.products.update(
                uow,
                request.sku,
                changes,
                expected_version=request.expected_version,
                reason_detail=request.reason,
                currency=request.cost.currency if changes.cost is not None else "",
            )
        )
        return pricing_pb2.UpdateProductResponse(
            product=wire.product_pb(stored.product, stored.created_at, stored.updated_at)
        )

    async def UpdateCost(
        self, request: pricing_pb2.UpdateCostRequest, context: Any
    ) -> pricing_pb2.UpdateCostResponse:
        changes = ProductChanges(cost=wire.new_cost(request))
        stored = await self.svc.write(
            lambda uow: self.svc.products.update(
                uow,
                request.sku,
                changes,
                expected_version=request.expected_version,
                reason_detail=request.reason,
                currency=request.cost.currency,
            )
        )
        return pricing_pb2.UpdateCostResponse(
            product=wire.product_pb(stored.product, stored.created_at, stored.updated_at)
        )

    async def GetProduct(
        self, request: pricing_pb2.GetProductRequest, context: Any
    ) -> pricing_pb2.GetProductResponse:
        stored = await self.svc.products.get(request.sku)
        return pricing_pb2.GetProductResponse(
            product=wire.product_pb(stored.product, stored.created_at, stored.updated_at)
        )

    async def ListProducts(
        self, request: pricing_pb2.ListProductsRequest, context: Any
    ) -> pricing_pb2.ListProductsResponse:
        page = await self.svc.products.page(
            cursor=request.page.cursor,
            limit=page_limit(request.page.limit),
            category=request.category,
            search=request.search,
            supplier_id=request.supplier_id,
            include_inactive=request.include_inactive,
        )
        return pricing_pb2.ListProductsResponse(
            products=[wire.product_pb(p.product, p.created_at, p.updated_at) for p in page.items],
            page=wire.page_pb(page.next_cursor),
        )

    async def ListPriceHistory(
        self, request: pricing_pb2.ListPriceHistoryRequest, context: Any
    ) -> pricing_pb2.ListPriceHistoryResponse:
        page = await self.svc.products.price_history(
            request.sku, cursor=request.page.cursor, limit=page_limit(request.page.limit)
        )
        return pricing_pb2.ListPriceHistoryResponse(
            entries=[wire.history_pb(e) for e in page.items], page=wire.page_pb(page.next_cursor)
        )

    # -- promotions --------------------------------------------------------------------------
    async def CreatePromotion(
        self, request: pricing_pb2.CreatePromotionRequest, context: Any
    ) -> pricing_pb2.CreatePromotionResponse:
        cmd = wire.new_promotion(request)
        promo = await self.svc.write(lambda uow: self.svc.promotions.create(uow, cmd))
        return pricing_pb2.CreatePromotionResponse(
            promotion=wire.promotion_pb(promo, self.svc.clock.now())
        )

    async def ListPromotions(
        self, request: pricing_pb2.ListPromotionsRequest, context: Any
    ) -> pricing_pb2.ListPromotionsResponse:
        page = await self.svc.promotions.page(
            cursor=request.page.cursor,
            limit=page_limit(request.page.limit),
            active_only=request.active_only,
            sku=request.sku,
            category=request.category,
        )
        now = self.svc.clock.now()
        return pricing_pb2.ListPromotionsResponse(
            promotions=[wire.promotion_pb(p, now) for p in page.items],
            page=wire.page_pb(page.next_cursor),
        )

    async def EndPromotion(
        self, request: pricing_pb2.EndPromotionRequest, context: Any
    ) -> pricing_pb2.EndPromotionResponse:
        at = wire.promotion_end(request)
        promo = await self.svc.write(
            lambda uow: self.svc.promotions.end(uow, request.promotion_id, at)
        )
        return pricing_pb2.EndPromotionResponse(
            promotion=wire.promotion_pb(promo, self.svc.clock.now())
        )

    # -- tiers and rules ----------------------------------------------------------------------
    async def GetCustomerTier(
        self, request: pricing_pb2.GetCustomerTierRequest, context: Any
    ) -> pricing_pb2.GetCustomerTierResponse:
        customer_id = wire.required_customer_id(request.customer_id)
        view = await self.svc.customers.tier(customer_id)
        rules = await self.svc.book.rules()
        return pricing_pb2.GetCustomerTierResponse(
            customer_tier=wire.customer_tier_pb(
                view.state, rules, self.svc.settings.default_currency, view.updated_at
            )
        )

    async def SetCustomerTierOverride(
        self, request: pricing_pb2.SetCustomerTierOverrideRequest, context: Any
    ) -> pricing_pb2.SetCustomerTierOverrideResponse:
        customer_id = wire.required_customer_id(request.customer_id)
        tier = wire.tier_from_pb(request.tier)
        view = await self.svc.write(
            lambda uow: self.svc.customers.set_override(uow, customer_id, tier, request.reason)
        )
        rules = await self.svc.book.rules()
        return pricing_pb2.SetCustomerTierOverrideResponse(
            customer_tier=wire.customer_tier_pb(
                view.state, rules, self.svc.settings.default_currency, view.updated_at
            )
        )

    async def ListTiers(
        self, request: pricing_pb2.ListTiersRequest, context: Any
    ) -> pricing_pb2.ListTiersResponse:
        rules = await self.svc.book.rules()
        currency = self.svc.settings.default_currency
        return pricing_pb2.ListTiersResponse(
            tiers=[wire.tier_rule_pb(r, currency) for r in rules.tiers],
            page=pagination_pb2.PageResponse(),
        )

    async def ListVatRates(
        self, request: pricing_pb2.ListVatRatesRequest, context: Any
    ) -> pricing_pb2.ListVatRatesResponse:
        category = wire.vat_category_from_pb(request.vat_category)
        rates = await self.svc.quotes.vat_rates(category, request.on_date)
        return pricing_pb2.ListVatRatesResponse(
            vat_rates=[wire.vat_rate_pb(r) for r in rates], page=pagination_pb2.PageResponse()
        )
