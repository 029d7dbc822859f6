"""GET /dashboard: the real gateway app in front of the real orders and inventory
services (quotations and suppliers absent: their parts degrade to null with a note),
and with every upstream down."""

from __future__ import annotations

import pytest

from cypher_testkit.broker import BrokerScope

from .conftest import Gateway
from .test_orders_routes import new_customer, orders_gateway, stocked_product

pytestmark = pytest.mark.asyncio(loop_scope="session")

__all__ = ["orders_gateway"]


async def test_every_part_degrades_to_null_with_a_note(gateway: Gateway) -> None:
    reply = await gateway.client.get("/api/v1/dashboard", headers=await gateway.admin())
    assert reply.status_code == 200, reply.text
    data = reply.json()["data"]
    for part in (
        "orders_by_status",
        "revenue_today",
        "orders_confirmed_today",
        "low_stock_count",
        "quotations_expiring_3_days",
        "open_price_alerts",
    ):
        assert data[part] is None
    degraded = reply.json()["metadata"]["degraded"]
    assert set(degraded) == {
        "orders",
        "low_stock_count",
        "quotations_expiring_3_days",
        "open_price_alerts",
    }
    assert degraded["orders"] == "orders unavailable"


async def test_the_parts_that_answer_are_counted(
    orders_gateway: Gateway, broker_scope: BrokerScope
) -> None:
    gw = orders_gateway
    _, sales = await gw.user_with_role("sales")
    _, reader = await gw.user_with_role("user")
    sku = await stocked_product(gw, broker_scope, 4)
    customer = await new_customer(gw, sales)
    placed = await gw.client.post(
        "/api/v1/orders",
        json={"customer_id": customer, "lines": [{"sku": sku, "quantity": 2}]},
        headers={**sales, "Idempotency-Key": "dash-1"},
    )
    assert placed.status_code == 201, placed.text
    gross = placed.json()["data"]["totals"]["gross"]

    reply = await gw.client.get("/api/v1/dashboard", headers=reader)
    assert reply.status_code == 200, reply.text
    data = reply.json()["data"]
    assert data["orders_by_status"] == {"ORDER_CONFIRMED": 1}
    assert data["revenue_today"] == {"amount": gross, "currency": "RON"}
    assert data["orders_confirmed_today"] == 1
    # 4 received, 2 reserved: 2 available is below the default threshold of 3.
    assert data["low_stock_count"] == 1
    assert data["quotations_expiring_3_days"] is None
    assert data["open_price_alerts"] is None
    assert set(reply.json()["metadata"]["degraded"]) == {
        "quotations_expiring_3_days",
        "open_price_alerts",
    }


async def test_the_dashboard_needs_a_login(gateway: Gateway) -> None:
    reply = await gateway.client.get("/api/v1/dashboard")
    assert reply.status_code == 401
