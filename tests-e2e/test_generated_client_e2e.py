"""The typed client generated from the gateway's OpenAPI document (`make client`,
scripts/gen_client.sh) drives the running stack: the document is usable as a contract,
success and error answers alike parse into its named models."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from cypher_api import AuthenticatedClient, Client
from cypher_api.api.customers import create_customer, get_customer
from cypher_api.api.inventory import create_receipt, get_stock
from cypher_api.api.orders import create_order, get_order, list_orders
from cypher_api.api.products import create_product, get_product
from cypher_api.models import (
    CustomerCreate,
    CustomerDetailEnvelope,
    CustomerEnvelope,
    ErrorEnvelope,
    LineIn,
    OrderCreate,
    OrderDetailEnvelope,
    OrderList,
    PlacedOrderEnvelope,
    ProductCreate,
    ProductDetailEnvelope,
    ProductEnvelope,
    StockChangeEnvelope,
    StockReceiptCreate,
)
from cypher_api.types import Unset

from cypher_testkit.polling import eventually
from cypher_testkit.stack import LocalStack

pytestmark = pytest.mark.asyncio(loop_scope="session")

TIMEOUT = httpx.Timeout(60)
GENERATED_FROM = Path(__file__).parent / "generated" / "openapi.json"


async def test_the_client_was_generated_from_the_served_document(stack: LocalStack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        served = (await http.get("/openapi.json")).json()

    assert served == json.loads(GENERATED_FROM.read_text())


async def test_an_order_placed_and_read_through_the_typed_client(stack: LocalStack) -> None:
    token = await stack.admin_token()
    sku = f"GEN-{uuid.uuid4().hex[:8].upper()}"
    async with AuthenticatedClient(base_url=stack.gateway_url, token=token, timeout=TIMEOUT) as api:
        product = await create_product.asyncio(
            client=api,
            body=ProductCreate(
                sku=sku,
                name=f"LED {sku}",
                category="led",
                unit="buc",
                cost="10.00",
                margin_pct="50",
            ),
            idempotency_key=f"gen-{sku}",
        )
        assert isinstance(product, ProductEnvelope), product
        assert (product.data.sku, product.data.list_price) == (sku, "15.00")

        # Inventory learns the catalogue from pricing's event: retry while it is on its way.
        receipt_reply = await eventually(
            lambda: create_receipt.asyncio_detailed(
                client=api, body=StockReceiptCreate(sku=sku, warehouse="A", quantity=5)
            ),
            lambda r: r.status_code != 409,
            what="inventory knows the product",
        )
        receipt = receipt_reply.parsed
        assert isinstance(receipt, StockChangeEnvelope), receipt
        assert receipt.data.stock.on_hand == 5

        customer = await create_customer.asyncio(
            client=api,
            body=CustomerCreate(name="Lumina SRL", email=f"{uuid.uuid4().hex[:10]}@lumina.ro"),
        )
        assert isinstance(customer, CustomerEnvelope), customer

        placed = await create_order.asyncio(
            client=api,
            body=OrderCreate(
                customer_id=uuid.UUID(customer.data.id), lines=[LineIn(sku=sku, quantity=2)]
            ),
            idempotency_key=f"gen-order-{sku}",
        )
        assert isinstance(placed, PlacedOrderEnvelope), placed
        assert placed.data.status == "ORDER_CONFIRMED"
        assert placed.data.totals.net == "30.00"
        assert not isinstance(placed.data.reservations, Unset)
        assert placed.data.reservations
        assert placed.data.reservations[0].allocations[0].quantity == 2

        order = await get_order.asyncio(client=api, order_id=uuid.UUID(placed.data.id))
        assert isinstance(order, OrderDetailEnvelope), order
        assert [h.to for h in order.data.history][-1] == "ORDER_CONFIRMED"

        page = await list_orders.asyncio(client=api, customer_id=uuid.UUID(customer.data.id))
        assert isinstance(page, OrderList), page
        assert [o.id for o in page.data] == [placed.data.id]

        detail = await get_product.asyncio(client=api, sku=sku)
        assert isinstance(detail, ProductDetailEnvelope), detail
        assert detail.data.stock is not None
        assert detail.data.stock.total_available == 3

        tiered = await get_customer.asyncio(client=api, customer_id=uuid.UUID(customer.data.id))
        assert isinstance(tiered, CustomerDetailEnvelope), tiered
        assert tiered.data.tier == "STANDARD"


async def test_errors_parse_into_the_error_envelope(stack: LocalStack) -> None:
    token = await stack.admin_token()
    async with AuthenticatedClient(base_url=stack.gateway_url, token=token, timeout=TIMEOUT) as api:
        missing = await get_order.asyncio_detailed(client=api, order_id=uuid.uuid4())
        conflict = await create_order.asyncio_detailed(
            client=api,
            body=OrderCreate(customer_id=uuid.uuid4(), lines=[LineIn(sku="NOPE", quantity=1)]),
        )
    async with Client(base_url=stack.gateway_url) as anonymous:
        unauthenticated = await get_stock.asyncio_detailed(
            client=anonymous,  # type: ignore[arg-type]
            sku="ANY",
        )

    for reply in (missing, conflict, unauthenticated):
        assert isinstance(reply.parsed, ErrorEnvelope), (reply.status_code, reply.content)
        assert reply.parsed.success is False
        assert reply.parsed.metadata.request_id
    assert isinstance(unauthenticated.parsed, ErrorEnvelope)
    assert (unauthenticated.status_code, unauthenticated.parsed.error.code) == (
        401,
        "UNAUTHENTICATED",
    )
    assert missing.status_code == 404
    assert conflict.status_code in (404, 409)
