"""The gRPC servicer: requests → commands, results → responses. Thin on purpose: every
rule lives in the domain and every transaction in the service."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

from cypher.common.v1 import money_pb2, pagination_pb2
from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from pricing.domain.errors import InvalidInput, RuleViolation
from pricing.domain.money import money_text, parse_decimal, pct_text
from pricing.domain.product import ProductChanges
from pricing.domain.quote import quantity_problem
from pricing.domain.rules import VatCategory
from pricing.errors import translate
from pricing.service import NewProduct, NewPromotion, Page, PricingService
from pricing.wire import (
    TIER_TO_PB,
    customer_tier_pb,
    decode_cursor,
    encode_cursor,
    from_timestamp,
    history_pb,
    line_pb,
    page_limit,
    product_pb,
    promotion_pb,
    quote_pb,
    tier_from_pb,
    vat_category_from_pb,
    vat_rate_pb,
)

P = ParamSpec("P")
R = TypeVar("R")


def coded(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Domain rule violations leave as the runtime's coded errors (→ status codes)."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except RuleViolation as exc:
            raise translate(exc) from exc

    return wrapper


class Fields:
    """Collects field problems so one response names every bad field at once."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def decimal(self, text: str, field: str, *, places: int = 4) -> Decimal:
        try:
            return parse_decimal(text, field, max_places=places)
        except InvalidInput as exc:
            self.problems.update(exc.fields)
            return Decimal(0)

    def check(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems)


def customer_id_of(text: str, field: str = "customer_id") -> str | None:
    """Empty = anonymous; otherwise the orders service's UUID, normalized."""
    if not text:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise InvalidInput({field: "must be a UUID"}) from None


def _next(page: Page[Any]) -> pagination_pb2.PageResponse:
    key = page.next_key
    return pagination_pb2.PageResponse(next_cursor=encode_cursor(key) if key else "")


def _required_cost(cost: money_pb2.Money, fields: Fields, field: str = "cost") -> Decimal:
    if not cost.amount:
        fields.problems[field] = "is required"
        return Decimal(0)
    return fields.decimal(cost.amount, field)


class PricingServicer(pricing_pb2_grpc.PricingServiceServicer):
    def __init__(self, service: PricingService) -> None:
        self.svc = service

    # -- prices ----------------------------------------------------------------------------
    @coded
    async def GetPrice(
        self, request: pricing_pb2.GetPriceRequest, context: Any
    ) -> pricing_pb2.GetPriceResponse:
        quantity = request.quantity or 1
        problems: dict[str, str] = {}
        if not request.sku:
            problems["sku"] = "is required"
        problem = quantity_problem(quantity)
        if problem:
            problems["quantity"] = problem
        if problems:
            raise InvalidInput(problems)
        quote = await self.svc.quote(
            customer_id_of(request.customer_id), [(request.sku, quantity)], request.pricing_date
        )
        return pricing_pb2.GetPriceResponse(line=line_pb(quote.lines[0], quote.pricing_date))

    @coded
    async def QuoteLines(
        self, request: pricing_pb2.QuoteLinesRequest, context: Any
    ) -> pricing_pb2.QuoteLinesResponse:
        lines = [(line.sku, int(line.quantity)) for line in request.lines]
        quote = await self.svc.quote(
            customer_id_of(request.customer_id), lines, request.pricing_date
        )
        return quote_pb(quote)

    # -- products ---------------------------------------------------------------------------
    @coded
    async def CreateProduct(
        self, request: pricing_pb2.CreateProductRequest, context: Any
    ) -> pricing_pb2.CreateProductResponse:
        fields = Fields()
        cost = _required_cost(request.cost, fields)
        margin = fields.decimal(request.margin_pct, "margin_pct")
        vat = vat_category_from_pb(request.vat_category) or VatCategory.STANDARD
        fields.check()
        cmd = NewProduct(
            sku=request.sku,
            name=request.name,
            category=request.category,
            unit=request.unit,
            cost=cost,
            margin_pct=margin,
            currency=request.cost.currency or self.svc.currency,
            vat_category=vat,
            supplier_id=request.supplier_id or None,
            follows_supplier_price=request.follows_supplier_price,
            description=request.description,
        )
        stored = await self.svc.run(lambda uow, t: self.svc.create_product(uow, t, cmd))
        return pricing_pb2.CreateProductResponse(product=product_pb(stored))

    @coded
    async def UpdateProduct(
        self, request: pricing_pb2.UpdateProductRequest, context: Any
    ) -> pricing_pb2.UpdateProductResponse:
        fields = Fields()
        cost = _required_cost(request.cost, fields) if request.HasField("cost") else None
        margin = (
            fields.decimal(request.margin_pct, "margin_pct")
            if request.HasField("margin_pct")
            else None
        )
        vat = vat_category_from_pb(request.vat_category)
        fields.check()

        def opt_str(name: str) -> str | None:
            return str(getattr(request, name)) if request.HasField(name) else None  # type: ignore[arg-type]

        def opt_bool(name: str) -> bool | None:
            return bool(getattr(request, name)) if request.HasField(name) else None  # type: ignore[arg-type]

        changes = ProductChanges(
            name=opt_str("name"),
            category=opt_str("category"),
            unit=opt_str("unit"),
            cost=cost,
            margin_pct=margin,
            vat_category=vat,
            supplier_id=opt_str("supplier_id"),
            follows_supplier_price=opt_bool("follows_supplier_price"),
            description=opt_str("description"),
            active=opt_bool("active"),
        )
        stored = await self.svc.run(
            lambda uow, t: self.svc.update_product(
                uow,
                t,
                request.sku,
                changes,
                expected_version=request.expected_version,
                reason_detail=request.reason,
                currency=request.cost.currency if cost is not None else "",
            )
        )
        return pricing_pb2.UpdateProductResponse(product=product_pb(stored))

    @coded
    async def UpdateCost(
        self, request: pricing_pb2.UpdateCostRequest, context: Any
    ) -> pricing_pb2.UpdateCostResponse:
        fields = Fields()
        cost = _required_cost(request.cost, fields)
        fields.check()
        stored = await self.svc.run(
            lambda uow, t: self.svc.update_product(
                uow,
                t,
                request.sku,
                ProductChanges(cost=cost),
                expected_version=request.expected_version,
                reason_detail=request.reason,
                currency=request.cost.currency,
            )
        )
        return pricing_pb2.UpdateCostResponse(product=product_pb(stored))

    @coded
    async def GetProduct(
        self, request: pricing_pb2.GetProductRequest, context: Any
    ) -> pricing_pb2.GetProductResponse:
        return pricing_pb2.GetProductResponse(
            product=product_pb(await self.svc.get_product(request.sku))
        )

    @coded
    async def ListProducts(
        self, request: pricing_pb2.ListProductsRequest, context: Any
    ) -> pricing_pb2.ListProductsResponse:
        page = await self.svc.list_products(
            cursor=decode_cursor(request.page.cursor),
            limit=page_limit(request.page),
            category=request.category,
            search=request.search,
            supplier_id=request.supplier_id,
            include_inactive=request.include_inactive,
        )
        return pricing_pb2.ListProductsResponse(
            products=[product_pb(p) for p in page.items], page=_next(page)
        )

    @coded
    async def ListPriceHistory(
        self, request: pricing_pb2.ListPriceHistoryRequest, context: Any
    ) -> pricing_pb2.ListPriceHistoryResponse:
        page = await self.svc.list_price_history(
            request.sku, cursor=decode_cursor(request.page.cursor), limit=page_limit(request.page)
        )
        return pricing_pb2.ListPriceHistoryResponse(
            entries=[history_pb(e) for e in page.items], page=_next(page)
        )

    # -- promotions --------------------------------------------------------------------------
    @coded
    async def CreatePromotion(
        self, request: pricing_pb2.CreatePromotionRequest, context: Any
    ) -> pricing_pb2.CreatePromotionResponse:
        fields = Fields()
        pct = fields.decimal(request.discount_pct, "discount_pct", places=2)
        fields.check()
        cmd = NewPromotion(
            name=request.name,
            sku=request.sku or None,
            category=request.category or None,
            discount_pct=pct,
            starts_at=from_timestamp(request.starts_at) if request.HasField("starts_at") else None,
            ends_at=from_timestamp(request.ends_at) if request.HasField("ends_at") else None,
        )
        promo = await self.svc.run(lambda uow, t: self.svc.create_promotion(uow, t, cmd))
        return pricing_pb2.CreatePromotionResponse(
            promotion=promotion_pb(promo, self.svc.clock.now())
        )

    @coded
    async def ListPromotions(
        self, request: pricing_pb2.ListPromotionsRequest, context: Any
    ) -> pricing_pb2.ListPromotionsResponse:
        page = await self.svc.list_promotions(
            cursor=decode_cursor(request.page.cursor),
            limit=page_limit(request.page),
            active_only=request.active_only,
            sku=request.sku,
            category=request.category,
        )
        now = self.svc.clock.now()
        return pricing_pb2.ListPromotionsResponse(
            promotions=[promotion_pb(p, now) for p in page.items], page=_next(page)
        )

    @coded
    async def EndPromotion(
        self, request: pricing_pb2.EndPromotionRequest, context: Any
    ) -> pricing_pb2.EndPromotionResponse:
        at: datetime | None = (
            from_timestamp(request.ends_at) if request.HasField("ends_at") else None
        )
        promo = await self.svc.run(
            lambda uow, t: self.svc.end_promotion(uow, t, request.promotion_id, at)
        )
        return pricing_pb2.EndPromotionResponse(promotion=promotion_pb(promo, self.svc.clock.now()))

    # -- tiers and rules ----------------------------------------------------------------------
    @coded
    async def GetCustomerTier(
        self, request: pricing_pb2.GetCustomerTierRequest, context: Any
    ) -> pricing_pb2.GetCustomerTierResponse:
        customer_id = customer_id_of(request.customer_id)
        if customer_id is None:
            raise InvalidInput({"customer_id": "is required"})
        view = await self.svc.get_customer_tier(customer_id)
        rules = await self.svc.rules()
        return pricing_pb2.GetCustomerTierResponse(
            customer_tier=customer_tier_pb(view.state, rules, self.svc.currency, view.updated_at)
        )

    @coded
    async def SetCustomerTierOverride(
        self, request: pricing_pb2.SetCustomerTierOverrideRequest, context: Any
    ) -> pricing_pb2.SetCustomerTierOverrideResponse:
        customer_id = customer_id_of(request.customer_id)
        if customer_id is None:
            raise InvalidInput({"customer_id": "is required"})
        tier = tier_from_pb(request.tier)
        view = await self.svc.run(
            lambda uow, t: self.svc.set_tier_override(uow, t, customer_id, tier, request.reason)
        )
        rules = await self.svc.rules()
        return pricing_pb2.SetCustomerTierOverrideResponse(
            customer_tier=customer_tier_pb(view.state, rules, self.svc.currency, view.updated_at)
        )

    @coded
    async def ListTiers(
        self, request: pricing_pb2.ListTiersRequest, context: Any
    ) -> pricing_pb2.ListTiersResponse:
        rules = await self.svc.rules()
        tiers = [
            pricing_pb2.TierRule(
                tier=TIER_TO_PB[r.tier],
                min_spend=money_pb2.Money(
                    amount=money_text(r.min_spend), currency=self.svc.currency
                ),
                discount_pct=pct_text(r.discount_pct),
            )
            for r in rules.tiers
        ]
        return pricing_pb2.ListTiersResponse(tiers=tiers, page=pagination_pb2.PageResponse())

    @coded
    async def ListVatRates(
        self, request: pricing_pb2.ListVatRatesRequest, context: Any
    ) -> pricing_pb2.ListVatRatesResponse:
        rates = await self.svc.list_vat_rates(
            vat_category_from_pb(request.vat_category), request.on_date
        )
        return pricing_pb2.ListVatRatesResponse(
            vat_rates=[vat_rate_pb(r) for r in rates], page=pagination_pb2.PageResponse()
        )
