"""Products (REST_API.md "Products and pricing"), through the pricing client.

`GET /products/{sku}` is an aggregate: the product (required) plus its price, stock and
best supplier offer, fetched in parallel as optional parts (`gateway.clients.parts`)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from cypher.common.v1 import pagination_pb2
from cypher.pricing.v1 import pricing_pb2
from gateway import ownership
from gateway.clients.parts import Parts
from gateway.convert import decimal_str, money, vat_to_proto
from gateway.deps import DEFAULT_LIMIT, Cursor, Inventory, Limit, Pricing, Suppliers, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep
from gateway.inputs.catalog import ProductCreate, ProductUpdate
from gateway.inputs.common import Sku
from gateway.security import Principal
from gateway.views.catalog import (
    Product,
    ProductDetail,
    offer_view,
    priced_line_view,
    product_fields,
    product_stock_view,
    product_view,
)

router = APIRouter(prefix="/products", tags=["products"])


@router.post(
    "",
    status_code=201,
    response_model=Envelope[Product],
    summary="Create a product (Idempotency-Key honoured)",
)
async def create_product(
    body: ProductCreate,
    pricing: Pricing,
    idem: IdempotencyDep,
    _: Annotated[object, require("products:write")],
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await pricing.create_product(
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
            )
        )
        return ok(product_view(reply.product), status_code=201)

    return await idem.run(body, create)


@router.get("", response_model=Envelope[list[Product]], summary="List products by sku")
async def list_products(
    pricing: Pricing,
    _: Annotated[object, require("products:read")],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
    supplier_id: Annotated[str | None, Query(max_length=64)] = None,
    include_inactive: bool = False,
) -> JSONResponse:
    reply = await pricing.list_products(
        pricing_pb2.ListProductsRequest(
            page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
            category=category or "",
            search=search or "",
            supplier_id=supplier_id or "",
            include_inactive=include_inactive,
        )
    )
    return ok([product_view(p) for p in reply.products], next_cursor=reply.page.next_cursor or None)


@router.get(
    "/{sku}",
    response_model=Envelope[ProductDetail],
    summary="Product + price + stock + best supplier offer (parts may degrade to null)",
)
async def get_product(
    sku: Sku,
    pricing: Pricing,
    inventory: Inventory,
    suppliers: Suppliers,
    user: Annotated[Principal, require("products:read")],
    customer_id: uuid.UUID | None = None,
    quantity: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> JSONResponse:
    parts = Parts()
    price_request = pricing_pb2.GetPriceRequest(
        sku=sku, customer_id=ownership.price_customer(user, customer_id), quantity=quantity
    )
    product, price, stock, offer = await asyncio.gather(
        pricing.get_product(pricing_pb2.GetProductRequest(sku=sku)),
        parts.get("price", pricing.get_price(price_request, part=True)),
        parts.get("stock", inventory.get_availability([sku], part=True)),
        parts.get("best_supplier_offer", suppliers.get_best_offer(sku, part=True)),
    )
    item = stock.items[0] if stock is not None and stock.items else None
    if item is None:
        parts.missing("stock", "none in inventory")
    has_offer = offer is not None and offer.HasField("offer")
    if not has_offer:
        parts.missing("best_supplier_offer", "no supplier offer")
    data = ProductDetail.model_validate(
        {
            **product_fields(product.product),
            "price": priced_line_view(price.line) if price is not None else None,
            "stock": product_stock_view(item) if item is not None else None,
            "best_supplier_offer": offer_view(offer.offer) if offer and has_offer else None,
        }
    )
    return ok(data, **parts.metadata())


@router.patch("/{sku}", response_model=Envelope[Product], summary="Change a product")
async def update_product(
    sku: Sku,
    body: ProductUpdate,
    pricing: Pricing,
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
    reply = await pricing.update_product(request)
    return ok(product_view(reply.product))
