"""Customers (REST_API.md "Customers"), through gRPC to orders; GET /customers/{id}
adds the tier and 30-day spend from pricing, degrading to null when pricing is down."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import UTC
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import grpc
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict, Field

from cypher.common.v1 import address_pb2, pagination_pb2
from cypher.orders.v1 import orders_pb2, orders_pb2_grpc
from cypher.pricing.v1 import pricing_pb2
from cypher_runtime.grpc_client import call
from cypher_runtime.grpc_errors import error_from_rpc
from gateway.catalog import customer_tier_view
from gateway.deps import DEFAULT_LIMIT, Cursor, Limit, PricingStub, Settings, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep

router = APIRouter(tags=["customers"])
T = TypeVar("T")

View = Envelope[dict[str, Any]]
ListView = Envelope[list[dict[str, Any]]]
ADDRESS_FIELDS = ("line1", "line2", "city", "county", "postal_code", "country")
# An upstream that did not answer: the aggregate shows null and says why in metadata.
DEGRADABLE = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNIMPLEMENTED}
)


# The *AsyncStub class exists only in the type stubs (see gateway.deps).
if TYPE_CHECKING:
    OrdersAsync = orders_pb2_grpc.OrdersServiceAsyncStub
else:
    OrdersAsync = orders_pb2_grpc.OrdersServiceStub


async def optional_part(name: str, pending: Awaitable[T], notes: dict[str, str]) -> T | None:
    """An optional part of an aggregate: None (and a note naming the service) when that
    service does not answer; any other error is the request's error."""
    try:
        return await pending
    except grpc.aio.AioRpcError as err:
        if err.code() not in DEGRADABLE:
            raise
        notes[name] = f"{name} unavailable: {error_from_rpc(err).status.name}"
        return None


def orders_stub(request: Request) -> OrdersAsync:
    return request.app.state.upstreams.stub(  # type: ignore[no-any-return]
        "orders", orders_pb2_grpc.OrdersServiceStub
    )


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddressIn(Strict):
    line1: str = Field(default="", max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    county: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(default="RO", max_length=2)


class CustomerCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    company: str | None = Field(default=None, max_length=200)
    vat_code: str | None = Field(
        default=None, max_length=20, description="Romanian CUI, optional RO prefix"
    )
    address: AddressIn | None = None
    phone: str | None = Field(default=None, max_length=30)


class CustomerUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, min_length=3, max_length=254)
    company: str | None = Field(default=None, max_length=200)
    vat_code: str | None = Field(default=None, max_length=20)
    address: AddressIn | None = None
    phone: str | None = Field(default=None, max_length=30)
    expected_version: int | None = Field(default=None, ge=1)


def address_to_proto(address: AddressIn | None) -> address_pb2.Address | None:
    return address_pb2.Address(**address.model_dump()) if address is not None else None


def address_view(msg: Any, field: str) -> dict[str, str] | None:
    if not msg.HasField(field):
        return None
    address = getattr(msg, field)
    return {k: getattr(address, k) for k in ADDRESS_FIELDS}


def time_view(msg: Any, field: str) -> str | None:
    if not msg.HasField(field):
        return None
    ts: Timestamp = getattr(msg, field)
    return ts.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def customer_view(c: orders_pb2.Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "company": c.company or None,
        "vat_code": c.vat_code or None,
        "address": address_view(c, "address"),
        "phone": c.phone or None,
        "version": c.version,
        "created_at": time_view(c, "created_at"),
        "updated_at": time_view(c, "updated_at"),
    }


OrdersStub = Annotated[OrdersAsync, Depends(orders_stub)]


@router.post(
    "/customers", status_code=201, response_model=View, summary="Create a customer (CUI checked)"
)
async def create_customer(
    body: CustomerCreate,
    orders: OrdersStub,
    settings: Settings,
    idem: IdempotencyDep,
    _: Annotated[object, require("customers:write")],
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await call(
            orders.CreateCustomer,
            orders_pb2.CreateCustomerRequest(
                name=body.name,
                email=body.email,
                company=body.company or "",
                vat_code=body.vat_code or "",
                address=address_to_proto(body.address),
                phone=body.phone or "",
            ),
            timeout=settings.upstream_timeout_seconds,
            idempotent=False,
        )
        return ok(customer_view(reply.customer), status_code=201)

    return await idem.run(body, create)


@router.get("/customers", response_model=ListView, summary="Customers by name")
async def list_customers(
    orders: OrdersStub,
    settings: Settings,
    _: Annotated[object, require("customers:read")],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
) -> JSONResponse:
    reply = await call(
        orders.ListCustomers,
        orders_pb2.ListCustomersRequest(
            page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""), search=search or ""
        ),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(
        [customer_view(c) for c in reply.customers], next_cursor=reply.page.next_cursor or None
    )


@router.get(
    "/customers/{customer_id}",
    response_model=View,
    summary="A customer with its tier and 30-day spend (from pricing)",
)
async def get_customer(
    customer_id: uuid.UUID,
    orders: OrdersStub,
    pricing: PricingStub,
    settings: Settings,
    _: Annotated[object, require("customers:read")],
) -> JSONResponse:
    notes: dict[str, str] = {}
    reply, tier = await asyncio.gather(
        call(
            orders.GetCustomer,
            orders_pb2.GetCustomerRequest(customer_id=str(customer_id)),
            timeout=settings.upstream_timeout_seconds,
            idempotent=True,
        ),
        optional_part(
            "pricing",
            call(
                pricing.GetCustomerTier,
                pricing_pb2.GetCustomerTierRequest(customer_id=str(customer_id)),
                timeout=settings.aggregate_part_timeout_seconds,
                idempotent=True,
                attempts=1,
            ),
            notes,
        ),
    )
    view = customer_view(reply.customer)
    if tier is None:
        view.update({"tier": None, "monthly_spend": None, "tier_details": None})
    else:
        ct = customer_tier_view(tier.customer_tier)
        view.update({"tier": ct["tier"], "monthly_spend": ct["monthly_spend"], "tier_details": ct})
    return ok(view, degraded=notes) if notes else ok(view)


@router.patch("/customers/{customer_id}", response_model=View, summary="Update a customer")
async def update_customer(
    customer_id: uuid.UUID,
    body: CustomerUpdate,
    orders: OrdersStub,
    settings: Settings,
    _: Annotated[object, require("customers:write")],
) -> JSONResponse:
    request = orders_pb2.UpdateCustomerRequest(
        customer_id=str(customer_id), expected_version=body.expected_version or 0
    )
    for name in ("name", "email", "company", "vat_code", "phone"):
        value = getattr(body, name)
        if value is not None:
            setattr(request, name, value)
    if body.address is not None:
        request.address.CopyFrom(address_pb2.Address(**body.address.model_dump()))
    reply = await call(
        orders.UpdateCustomer, request, timeout=settings.upstream_timeout_seconds, idempotent=False
    )
    return ok(customer_view(reply.customer))
