"""Prices, quotes, tiers and promotions (REST_API.md "Products and pricing"), through the
pricing client. Fixed paths (/pricing/tiers, /pricing/promotions, /pricing/quote) are
declared before /pricing/{sku} so they are never taken for a sku."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from cypher.common.v1 import pagination_pb2
from cypher.pricing.v1 import pricing_pb2
from cypher_runtime.proto_values import timestamp_pb
from gateway import ownership
from gateway.convert import decimal_str, tier_to_proto
from gateway.deps import DEFAULT_LIMIT, Cursor, Limit, Pricing, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep
from gateway.inputs.catalog import PromotionCreate, PromotionEnd, QuoteRequest, TierOverride
from gateway.inputs.common import Sku
from gateway.security import Principal
from gateway.views.catalog import (
    CustomerTier,
    PricedLine,
    Promotion,
    Quote,
    TierRule,
    customer_tier_view,
    priced_line_view,
    promotion_view,
    quote_view,
    tier_rule_view,
)

router = APIRouter(tags=["pricing"])


@router.get("/pricing/tiers", response_model=Envelope[list[TierRule]], summary="Tier rules")
async def list_tiers(pricing: Pricing, _: Annotated[object, require("tiers:read")]) -> JSONResponse:
    reply = await pricing.list_tiers()
    return ok([tier_rule_view(t) for t in reply.tiers])


@router.put(
    "/customers/{customer_id}/tier",
    response_model=Envelope[CustomerTier],
    tags=["customers"],
    summary="Admin tier override (tier null clears it)",
)
async def set_customer_tier(
    customer_id: uuid.UUID,
    body: TierOverride,
    pricing: Pricing,
    _: Annotated[object, require("tiers:write")],
) -> JSONResponse:
    reply = await pricing.set_customer_tier_override(
        pricing_pb2.SetCustomerTierOverrideRequest(
            customer_id=str(customer_id),
            tier=tier_to_proto(body.tier),  # type: ignore[arg-type]
            reason=body.reason or "",
        )
    )
    return ok(customer_tier_view(reply.customer_tier))


@router.post(
    "/pricing/promotions",
    status_code=201,
    response_model=Envelope[Promotion],
    summary="Create a promotion for one sku or one category (Idempotency-Key honoured)",
)
async def create_promotion(
    body: PromotionCreate,
    pricing: Pricing,
    idem: IdempotencyDep,
    _: Annotated[object, require("promotions:write")],
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await pricing.create_promotion(
            pricing_pb2.CreatePromotionRequest(
                name=body.name,
                sku=body.sku or "",
                category=body.category or "",
                discount_pct=decimal_str(body.discount_pct),
                starts_at=timestamp_pb(body.starts_at),
                ends_at=timestamp_pb(body.ends_at),
                # Scoped to the caller, as the gateway's own key store is: the service
                # applies the change at most once per key (a re-run after a take-over).
                idempotency_key=f"{idem.owner}:{idem.key}" if idem.key else "",
            )
        )
        return ok(promotion_view(reply.promotion), status_code=201)

    return await idem.run(body, create)


@router.get(
    "/pricing/promotions",
    response_model=Envelope[list[Promotion]],
    summary="Promotions, newest first",
)
async def list_promotions(
    pricing: Pricing,
    _: Annotated[object, require("promotions:read")],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    active_only: bool = False,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
) -> JSONResponse:
    reply = await pricing.list_promotions(
        pricing_pb2.ListPromotionsRequest(
            page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
            active_only=active_only,
            sku=sku or "",
            category=category or "",
        )
    )
    return ok(
        [promotion_view(p) for p in reply.promotions], next_cursor=reply.page.next_cursor or None
    )


@router.post(
    "/pricing/promotions/{promotion_id}/end",
    response_model=Envelope[Promotion],
    summary="End a promotion now (or at an earlier ends_at)",
)
async def end_promotion(
    promotion_id: Annotated[str, Path(min_length=1, max_length=64)],
    pricing: Pricing,
    _: Annotated[object, require("promotions:write")],
    body: PromotionEnd | None = None,
) -> JSONResponse:
    request = pricing_pb2.EndPromotionRequest(promotion_id=promotion_id)
    if body is not None and body.ends_at is not None:
        request.ends_at.CopyFrom(timestamp_pb(body.ends_at))
    reply = await pricing.end_promotion(request)
    return ok(promotion_view(reply.promotion))


@router.post(
    "/pricing/quote",
    response_model=Envelope[Quote],
    summary="Price a cart: priced lines and totals {net, vat, gross}",
)
async def quote(
    body: QuoteRequest, pricing: Pricing, user: Annotated[Principal, require("pricing:read")]
) -> JSONResponse:
    reply = await pricing.quote_lines(
        pricing_pb2.QuoteLinesRequest(
            customer_id=ownership.price_customer(user, body.customer_id),
            lines=[pricing_pb2.QuoteLineInput(sku=x.sku, quantity=x.quantity) for x in body.lines],
            pricing_date=body.pricing_date or "",
        )
    )
    return ok(quote_view(reply))


@router.get(
    "/pricing/{sku}", response_model=Envelope[PricedLine], summary="Price of one sku for a customer"
)
async def get_price(
    sku: Sku,
    pricing: Pricing,
    user: Annotated[Principal, require("pricing:read")],
    customer_id: uuid.UUID | None = None,
    quantity: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> JSONResponse:
    reply = await pricing.get_price(
        pricing_pb2.GetPriceRequest(
            sku=sku, customer_id=ownership.price_customer(user, customer_id), quantity=quantity
        )
    )
    return ok(priced_line_view(reply.line))
