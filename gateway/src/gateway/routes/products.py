"""Products (REST_API.md "Products and pricing"), through gRPC to pricing.

`GET /products/{sku}` is an aggregate: the product (required) plus its price, stock
and best supplier offer, fetched in parallel, each with its own deadline. An optional
part that is down, slow, missing or not implemented yet is `null`, with the reason in
`metadata.degraded`; the response still succeeds."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

import grpc
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from cypher.common.v1 import pagination_pb2
from cypher.inventory.v1 import inventory_pb2
from cypher.pricing.v1 import pricing_pb2
from cypher.suppliers.v1 import suppliers_pb2
from cypher_runtime.grpc_client import call
from gateway.catalog import (
    ProductCreate,
    ProductUpdate,
    Sku,
    decimal_str,
    money,
    priced_line_view,
    product_view,
    vat_to_proto,
)
from gateway.deps import (
    DEFAULT_LIMIT,
    Cursor,
    InventoryStub,
    Limit,
    PricingStub,
    Settings,
    SuppliersStub,
    require,
)
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep

router = APIRouter(prefix="/products", tags=["products"])

T = TypeVar("T")

# Why an optional part is missing, by gRPC status, for `metadata.degraded`.
_DEGRADED_REASON = {
    grpc.StatusCode.UNAVAILABLE: "{service} unavailable",
    grpc.StatusCode.DEADLINE_EXCEEDED: "{service} timed out",
    grpc.StatusCode.UNIMPLEMENTED: "{service} does not provide this yet",
    grpc.StatusCode.NOT_FOUND: "none in {service}",
    grpc.StatusCode.FAILED_PRECONDITION: "{service} refused: {detail}",
}


async def _optional(service: str, call_: Awaitable[T]) -> tuple[T | None, str | None]:
    try:
        return await call_, None
    except grpc.aio.AioRpcError as exc:
        template = _DEGRADED_REASON.get(exc.code(), "{service} failed: {detail}")
        return None, template.format(service=service, detail=exc.details() or exc.code().name)


def _stock_view(item: inventory_pb2.SkuAvailability) -> dict[str, Any]:
    return {
        "warehouses": [
            {
                "warehouse": w.warehouse,
                "on_hand": w.on_hand,
                "reserved": w.reserved,
                "available": w.available,
                "low_stock_threshold": w.low_stock_threshold,
            }
            for w in item.warehouses
        ],
        "total_on_hand": item.total_on_hand,
        "total_reserved": item.total_reserved,
        "total_available": item.total_available,
    }


def _offer_view(offer: suppliers_pb2.Offer) -> dict[str, Any]:
    return {
        "supplier_id": offer.supplier_id,
        "supplier_name": offer.supplier_name,
        "supplier_sku": offer.supplier_sku,
        "price": offer.price.amount,
        "currency": offer.price.currency,
        "in_stock": offer.in_stock,
        "stock_quantity": offer.stock_quantity if offer.HasField("stock_quantity") else None,
    }


@router.post(
    "",
    status_code=201,
    response_model=Envelope[dict[str, Any]],
    summary="Create a product (Idempotency-Key honoured)",
)
async def create_product(
    body: ProductCreate,
    pricing: PricingStub,
    settings: Settings,
    idem: IdempotencyDep,
    _: Annotated[object, require("products:write")],
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await call(
            pricing.CreateProduct,
            pricing_pb2.CreateProductRequest(
                sku=body.sku,
                name=body.name,
                category=body.category,
                unit=body.unit,
                cost=money(body.cost, body.currency),
                margin_pct=decimal_str(body.margin_pct),
                vat_category=vat_to_proto(body.vat_category),  # type: ignore[arg-type]
                supplier_id=body.supplier_id or "",
                follows_supplier_price=body.follows_supplier_price,
                description=body.description or "",
            ),
            timeout=settings.upstream_timeout_seconds,
            idempotent=False,
        )
        return ok(product_view(reply.product), status_code=201)

    return await idem.run(body, create)


@router.get("", response_model=Envelope[list[dict[str, Any]]], summary="List products by sku")
async def list_products(
    pricing: PricingStub,
    settings: Settings,
    _: Annotated[object, require("products:read")],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
    supplier_id: Annotated[str | None, Query(max_length=64)] = None,
    include_inactive: bool = False,
) -> JSONResponse:
    reply = await call(
        pricing.ListProducts,
        pricing_pb2.ListProductsRequest(
            page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
            category=category or "",
            search=search or "",
            supplier_id=supplier_id or "",
            include_inactive=include_inactive,
        ),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok([product_view(p) for p in reply.products], next_cursor=reply.page.next_cursor or None)


@router.get(
    "/{sku}",
    response_model=Envelope[dict[str, Any]],
    summary="Product + price + stock + best supplier offer (parts may degrade to null)",
)
async def get_product(
    sku: Sku,
    pricing: PricingStub,
    inventory: InventoryStub,
    suppliers: SuppliersStub,
    settings: Settings,
    _: Annotated[object, require("products:read")],
    customer_id: uuid.UUID | None = None,
    quantity: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> JSONResponse:
    part = settings.aggregate_part_timeout_seconds
    # One attempt each: a retry would blow the part's deadline, and null is acceptable.
    product_call = call(
        pricing.GetProduct,
        pricing_pb2.GetProductRequest(sku=sku),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    price_call = _optional(
        "pricing",
        call(
            pricing.GetPrice,
            pricing_pb2.GetPriceRequest(
                sku=sku, customer_id=str(customer_id) if customer_id else "", quantity=quantity
            ),
            timeout=part,
            idempotent=True,
            attempts=1,
        ),
    )
    stock_call = _optional(
        "inventory",
        call(
            inventory.GetAvailability,
            inventory_pb2.GetAvailabilityRequest(skus=[sku]),
            timeout=part,
            idempotent=True,
            attempts=1,
        ),
    )
    offer_call = _optional(
        "suppliers",
        call(
            suppliers.GetBestOffer,
            suppliers_pb2.GetBestOfferRequest(sku=sku),
            timeout=part,
            idempotent=True,
            attempts=1,
        ),
    )
    product, (price, price_note), (stock, stock_note), (offer, offer_note) = await asyncio.gather(
        product_call, price_call, stock_call, offer_call
    )
    degraded: dict[str, str] = {}
    data = product_view(product.product)
    data["price"] = priced_line_view(price.line) if price is not None else None
    if price_note:
        degraded["price"] = price_note
    item = stock.items[0] if stock is not None and stock.items else None
    data["stock"] = _stock_view(item) if item is not None else None
    if stock_note or item is None:
        degraded["stock"] = stock_note or "none in inventory"
    has_offer = offer is not None and offer.HasField("offer")
    data["best_supplier_offer"] = _offer_view(offer.offer) if has_offer and offer else None
    if offer_note or not has_offer:
        degraded["best_supplier_offer"] = offer_note or "no supplier offer"
    meta: dict[str, Any] = {"degraded": degraded} if degraded else {}
    return ok(data, **meta)


@router.patch("/{sku}", response_model=Envelope[dict[str, Any]], summary="Change a product")
async def update_product(
    sku: Sku,
    body: ProductUpdate,
    pricing: PricingStub,
    settings: Settings,
    _: Annotated[object, require("products:write")],
) -> JSONResponse:
    request = pricing_pb2.UpdateProductRequest(
        sku=sku,
        vat_category=vat_to_proto(body.vat_category),  # type: ignore[arg-type]
        expected_version=body.expected_version or 0,
        reason=body.reason or "",
    )
    for field in ("name", "category", "unit", "description", "supplier_id"):
        value = getattr(body, field)
        if value is not None:
            setattr(request, field, value)
    if body.margin_pct is not None:
        request.margin_pct = decimal_str(body.margin_pct)
    if body.follows_supplier_price is not None:
        request.follows_supplier_price = body.follows_supplier_price
    if body.active is not None:
        request.active = body.active
    if body.cost is not None:
        # The product's own currency applies; pricing refuses a mismatch.
        request.cost.CopyFrom(money(body.cost, None))
    reply = await call(
        pricing.UpdateProduct,
        request,
        timeout=settings.upstream_timeout_seconds,
        idempotent=False,
    )
    return ok(product_view(reply.product))
