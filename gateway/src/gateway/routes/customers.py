"""Customers (REST_API.md "Customers"), through the orders client; GET /customers/{id}
adds the tier and 30-day spend from pricing as an optional part."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from cypher.common.v1 import pagination_pb2
from cypher.orders.v1 import orders_pb2
from cypher.pricing.v1 import pricing_pb2
from gateway import ownership
from gateway.clients.parts import Parts
from gateway.convert import address_to_proto
from gateway.deps import DEFAULT_LIMIT, Cursor, Limit, Orders, Pricing, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep
from gateway.inputs.orders import CustomerCreate, CustomerUpdate
from gateway.security import Principal
from gateway.views.catalog import customer_tier_view
from gateway.views.customers import Customer, CustomerDetail, customer_detail_view, customer_view

router = APIRouter(tags=["customers"])

Read = Annotated[Principal, require("customers:read")]
Write = Annotated[object, require("customers:write")]


@router.post(
    "/customers",
    status_code=201,
    response_model=Envelope[Customer],
    summary="Create a customer (CUI checked)",
)
async def create_customer(
    body: CustomerCreate, orders: Orders, idem: IdempotencyDep, _: Write
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await orders.create_customer(
            orders_pb2.CreateCustomerRequest(
                name=body.name,
                email=body.email,
                company=body.company or "",
                vat_code=body.vat_code or "",
                reg_com=body.reg_com or "",
                address=address_to_proto(body.address),
                phone=body.phone or "",
            )
        )
        return ok(customer_view(reply.customer), status_code=201)

    return await idem.run(body, create)


@router.get("/customers", response_model=Envelope[list[Customer]], summary="Customers by name")
async def list_customers(
    orders: Orders,
    user: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
) -> JSONResponse:
    own = ownership.customer_of(user)
    if own is not None:
        # A partner's list is its own customer (the upstream list has no customer filter).
        mine = (await orders.get_customer(own)).customer
        wanted = not search or search.lower() in f"{mine.name} {mine.company}".lower()
        return ok([customer_view(mine)] if wanted and not cursor else [], next_cursor=None)
    reply = await orders.list_customers(
        orders_pb2.ListCustomersRequest(
            page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""), search=search or ""
        )
    )
    return ok(
        [customer_view(c) for c in reply.customers], next_cursor=reply.page.next_cursor or None
    )


@router.get(
    "/customers/{customer_id}",
    response_model=Envelope[CustomerDetail],
    summary="A customer with its tier and 30-day spend (from pricing)",
)
async def get_customer(
    customer_id: uuid.UUID, orders: Orders, pricing: Pricing, user: Read
) -> JSONResponse:
    ownership.check_customer(user, customer_id)
    parts = Parts()
    tier_request = pricing_pb2.GetCustomerTierRequest(customer_id=str(customer_id))
    reply, tier = await asyncio.gather(
        orders.get_customer(str(customer_id)),
        parts.get("tier", pricing.get_customer_tier(tier_request, part=True)),
    )
    details = customer_tier_view(tier.customer_tier) if tier is not None else None
    return ok(customer_detail_view(reply.customer, details), **parts.metadata())


@router.patch(
    "/customers/{customer_id}", response_model=Envelope[Customer], summary="Update a customer"
)
async def update_customer(
    customer_id: uuid.UUID, body: CustomerUpdate, orders: Orders, _: Write
) -> JSONResponse:
    request = orders_pb2.UpdateCustomerRequest(
        customer_id=str(customer_id), expected_version=body.expected_version or 0
    )
    for name in ("name", "email", "company", "vat_code", "reg_com", "phone"):
        value = getattr(body, name)
        if value is not None:
            setattr(request, name, value)
    address = address_to_proto(body.address)
    if address is not None:
        request.address.CopyFrom(address)
    reply = await orders.update_customer(request)
    return ok(customer_view(reply.customer))
