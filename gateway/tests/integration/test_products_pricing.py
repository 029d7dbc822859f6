"""Products and pricing through the gateway to the real pricing service over gRPC."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from typing import Any

import grpc
import httpx
import pytest

from cypher.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from cypher_runtime.clock import FixedClock
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import free_port
from gateway.settings import GatewaySettings

from ..conftest import Gateway, PricingService, start_gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


def new_sku() -> str:
    return f"LED-{uuid.uuid4().hex[:10].upper()}"


def product_body(sku: str, **over: Any) -> dict[str, Any]:
    return {
        "sku": sku,
        "name": "Panou LED 60x60 40W",
        "category": f"panels-{sku}",
        "unit": "buc",
        "cost": "100.00",
        "margin_pct": "30",
        **over,
    }


async def create_product(gw: Gateway, headers: dict[str, str], **over: Any) -> dict[str, Any]:
    sku = over.pop("sku", new_sku())
    reply = await gw.client.post(
        "/api/v1/products", json=product_body(sku, **over), headers=headers
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json()["data"])


def d(value: str) -> Decimal:
    return Decimal(value)


async def test_create_product_returns_money_as_strings_and_honours_idempotency_key(
    gateway: Gateway,
) -> None:
    headers = {**(await gateway.admin()), "Idempotency-Key": f"p-{uuid.uuid4()}"}
    body = product_body(new_sku())

    first = await gateway.client.post("/api/v1/products", json=body, headers=headers)
    replay = await gateway.client.post("/api/v1/products", json=body, headers=headers)
    other = await gateway.client.post(
        "/api/v1/products", json={**body, "cost": "101.00"}, headers=headers
    )

    assert first.status_code == 201, first.text
    data = first.json()["data"]
    assert data["sku"] == body["sku"]
    assert data["cost"] == "100.00"
    assert data["list_price"] == "130.00"
    assert data["currency"] == "RON"
    assert data["vat_category"] == "STANDARD"
    assert d(data["margin_pct"]) == 30
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert other.status_code == 422


async def test_duplicate_sku_is_409(gateway: Gateway) -> None:
    admin = await gateway.admin()
    product = await create_product(gateway, admin)

    again = await gateway.client.post(
        "/api/v1/products", json=product_body(product["sku"]), headers=admin
    )

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "DUPLICATE_SKU"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"cost": "-1.00"}, "cost"),
        ({"cost": "1.005"}, "cost"),
        ({"cost": "NaN"}, "cost"),
        ({"margin_pct": "abc"}, "margin_pct"),
        ({"sku": "has space"}, "sku"),
        ({"currency": "lei"}, "currency"),
        ({"vat_category": "LUXURY"}, "vat_category"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
async def test_invalid_product_is_400_with_field_errors(
    gateway: Gateway, over: dict[str, Any], field: str
) -> None:
    body = {**product_body(new_sku()), **over}

    reply = await gateway.client.post("/api/v1/products", json=body, headers=await gateway.admin())

    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in reply.json()["error"]["details"]["fields"]


async def test_list_products_pages_with_cursor(gateway: Gateway) -> None:
    admin = await gateway.admin()
    category = f"cat-{uuid.uuid4().hex[:8]}"
    skus = sorted(
        [(await create_product(gateway, admin, category=category))["sku"] for _ in range(3)]
    )

    first = await gateway.client.get(f"/api/v1/products?category={category}&limit=2", headers=admin)
    cursor = first.json()["metadata"]["next_cursor"]
    second = await gateway.client.get(
        f"/api/v1/products?category={category}&limit=2&cursor={cursor}", headers=admin
    )

    assert [p["sku"] for p in first.json()["data"]] == skus[:2]
    assert cursor
    assert [p["sku"] for p in second.json()["data"]] == skus[2:]
    assert second.json()["metadata"]["next_cursor"] is None


async def test_patch_product_changes_margin_and_list_price(gateway: Gateway) -> None:
    admin = await gateway.admin()
    product = await create_product(gateway, admin)

    reply = await gateway.client.patch(
        f"/api/v1/products/{product['sku']}",
        json={"margin_pct": "50", "name": "Panou LED nou"},
        headers=admin,
    )
    stale = await gateway.client.patch(
        f"/api/v1/products/{product['sku']}",
        json={"margin_pct": "40", "expected_version": product["version"]},
        headers=admin,
    )

    assert reply.status_code == 200, reply.text
    assert reply.json()["data"]["list_price"] == "150.00"
    assert reply.json()["data"]["name"] == "Panou LED nou"
    assert stale.status_code == 409


async def test_unknown_sku_is_404_everywhere(gateway: Gateway) -> None:
    admin = await gateway.admin()

    product = await gateway.client.get("/api/v1/products/NOPE-404", headers=admin)
    price = await gateway.client.get("/api/v1/pricing/NOPE-404", headers=admin)

    assert product.status_code == price.status_code == 404
    assert product.json()["success"] is False


async def set_tier(
    gw: Gateway, headers: dict[str, str], customer: str, tier: str | None
) -> httpx.Response:
    """PUT the tier once pricing has consumed the customer's customer.upserted (a 404
    until then: a tier override needs a customer pricing knows)."""

    async def put() -> httpx.Response:
        return await gw.client.put(
            f"/api/v1/customers/{customer}/tier", json={"tier": tier}, headers=headers
        )

    return await eventually(put, lambda r: r.status_code != 404, what="customer known")


async def _tier2_customer(gw: Gateway, pricing: PricingService, headers: dict[str, str]) -> str:
    customer = await pricing.known_customer()
    reply = await set_tier(gw, headers, customer, "TIER_2")
    assert reply.status_code == 200, reply.text
    assert reply.json()["data"]["tier"] == "TIER_2"
    assert reply.json()["data"]["overridden"] is True
    return customer


async def test_tier_override_for_an_unknown_customer_is_404(gateway: Gateway) -> None:
    reply = await gateway.client.put(
        f"/api/v1/customers/{uuid.uuid4()}/tier",
        json={"tier": "TIER_2"},
        headers=await gateway.admin(),
    )

    assert reply.status_code == 404, reply.text
    assert reply.json()["error"]["code"] == "CUSTOMER_NOT_FOUND"


async def test_price_for_tier2_customer_quantity_60_during_a_sku_promotion(
    gateway: Gateway, pricing_service: PricingService
) -> None:
    admin = await gateway.admin()
    product = await create_product(gateway, admin)
    customer = await _tier2_customer(gateway, pricing_service, admin)
    now = gateway.clock.now()
    promo = await gateway.client.post(
        "/api/v1/pricing/promotions",
        json={
            "name": "Black Friday",
            "sku": product["sku"],
            "discount_pct": "10",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=2)).isoformat(),
        },
        headers=admin,
    )

    reply = await gateway.client.get(
        f"/api/v1/pricing/{product['sku']}?customer_id={customer}&quantity=60", headers=admin
    )

    assert promo.status_code == 201, promo.text
    assert reply.status_code == 200, reply.text
    line = reply.json()["data"]
    # 130.00 x 0.90 (TIER_2) x 0.95 (50-99 units) x 0.90 (promotion) = 100.035 -> 100.04
    assert line["unit_cost"] == "100.00"
    assert line["list_price"] == "130.00"
    assert line["tier"] == "TIER_2"
    assert d(line["tier_discount_pct"]) == 10
    assert d(line["volume_discount_pct"]) == 5
    assert d(line["promotion_discount_pct"]) == 10
    assert line["unit_net"] == "100.04"
    assert d(line["vat_rate"]) == 21
    assert line["unit_gross"] == "121.05"  # 100.04 x 1.21 = 121.0484
    assert line["line_net"] == "6002.40"
    assert line["line_vat"] == "1260.50"  # 6002.40 x 0.21 = 1260.504
    assert line["line_gross"] == "7262.90"
    assert d(line["margin_pct"]) == Decimal("0.04")
    assert line["margin_floor_applied"] is False
    assert line["currency"] == "RON"
    assert line["quantity"] == 60
    assert line["promotion_id"] == promo.json()["data"]["id"]


async def test_margin_floor_bites_and_says_so(
    gateway: Gateway, pricing_service: PricingService
) -> None:
    admin = await gateway.admin()
    product = await create_product(gateway, admin, margin_pct="10")
    customer = await pricing_service.known_customer()
    tier = await set_tier(gateway, admin, customer, "TIER_3")
    assert tier.status_code == 200, tier.text
    now = gateway.clock.now()
    await gateway.client.post(
        "/api/v1/pricing/promotions",
        json={
            "name": "Lichidare",
            "sku": product["sku"],
            "discount_pct": "20",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
        },
        headers=admin,
    )

    reply = await gateway.client.get(
        f"/api/v1/pricing/{product['sku']}?customer_id={customer}&quantity=100", headers=admin
    )

    # 110 x 0.85 x 0.92 x 0.80 = 68.82 < cost: the floor (0 %) holds it at 100.00.
    line = reply.json()["data"]
    assert line["unit_net"] == "100.00"
    assert line["margin_floor_applied"] is True
    assert d(line["margin_pct"]) == 0


async def test_quote_prices_every_line_and_totals(gateway: Gateway) -> None:
    admin = await gateway.admin()
    a = await create_product(gateway, admin)
    b = await create_product(gateway, admin, cost="10.00", margin_pct="50")

    reply = await gateway.client.post(
        "/api/v1/pricing/quote",
        json={"lines": [{"sku": a["sku"], "quantity": 2}, {"sku": b["sku"], "quantity": 10}]},
        headers=admin,
    )

    assert reply.status_code == 200, reply.text
    data = reply.json()["data"]
    # a: 130.00 x 2 = 260.00 (VAT 54.60); b: 15.00 x 0.98 = 14.70 x 10 = 147.00 (VAT 30.87)
    assert [(x["sku"], x["line_net"]) for x in data["lines"]] == [
        (a["sku"], "260.00"),
        (b["sku"], "147.00"),
    ]
    assert data["totals"] == {"net": "407.00", "vat": "85.47", "gross": "492.47"}
    assert data["tier"] == "STANDARD"


async def test_quote_with_an_unknown_sku_is_404(gateway: Gateway) -> None:
    reply = await gateway.client.post(
        "/api/v1/pricing/quote",
        json={"lines": [{"sku": "NOPE-QUOTE", "quantity": 1}]},
        headers=await gateway.admin(),
    )

    assert reply.status_code == 404


async def test_tiers_and_tier_override_clearing(
    gateway: Gateway, pricing_service: PricingService
) -> None:
    admin = await gateway.admin()
    customer = await _tier2_customer(gateway, pricing_service, admin)

    tiers = await gateway.client.get("/api/v1/pricing/tiers", headers=admin)
    cleared = await gateway.client.put(
        f"/api/v1/customers/{customer}/tier", json={"tier": None}, headers=admin
    )

    assert [(t["tier"], d(t["discount_pct"])) for t in tiers.json()["data"]] == [
        ("STANDARD", Decimal(0)),
        ("TIER_1", Decimal(5)),
        ("TIER_2", Decimal(10)),
        ("TIER_3", Decimal(15)),
    ]
    assert [d(t["min_spend"]) for t in tiers.json()["data"]][1:] == [5000, 15000, 30000]
    assert cleared.json()["data"]["tier"] == "STANDARD"
    assert cleared.json()["data"]["overridden"] is False


async def test_promotions_list_and_end(gateway: Gateway) -> None:
    admin = await gateway.admin()
    product = await create_product(gateway, admin)
    now = gateway.clock.now()
    created = await gateway.client.post(
        "/api/v1/pricing/promotions",
        json={
            "name": "Weekend",
            "sku": product["sku"],
            "discount_pct": "5",
            "starts_at": (now - timedelta(minutes=5)).isoformat(),
            "ends_at": (now + timedelta(days=3)).isoformat(),
        },
        headers=admin,
    )
    promo_id = created.json()["data"]["id"]

    listed = await gateway.client.get(
        f"/api/v1/pricing/promotions?sku={product['sku']}", headers=admin
    )
    ended = await gateway.client.post(f"/api/v1/pricing/promotions/{promo_id}/end", headers=admin)
    again = await gateway.client.post(f"/api/v1/pricing/promotions/{promo_id}/end", headers=admin)
    price = await gateway.client.get(f"/api/v1/pricing/{product['sku']}", headers=admin)

    assert created.json()["data"]["active"] is True
    assert [p["id"] for p in listed.json()["data"]] == [promo_id]
    assert ended.status_code == 200, ended.text
    assert ended.json()["data"]["active"] is False
    assert again.status_code == 409
    assert d(price.json()["data"]["promotion_discount_pct"]) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"discount_pct": "0"}, "discount_pct"),
        ({"discount_pct": "100"}, "discount_pct"),
        ({"starts_at": "2026-01-01T00:00:00"}, "starts_at"),
    ],
)
async def test_invalid_promotion_is_400(gateway: Gateway, body: dict[str, str], field: str) -> None:
    full = {
        "name": "X",
        "category": "panels",
        "discount_pct": "5",
        "starts_at": "2026-01-01T00:00:00Z",
        "ends_at": "2026-01-02T00:00:00Z",
        **body,
    }

    reply = await gateway.client.post(
        "/api/v1/pricing/promotions", json=full, headers=await gateway.admin()
    )

    assert reply.status_code == 400
    assert field in reply.json()["error"]["details"]["fields"]


async def test_sales_reads_prices_but_cannot_change_products(gateway: Gateway) -> None:
    admin = await gateway.admin()
    product = await create_product(gateway, admin)
    _, sales = await gateway.user_with_role("sales")

    price = await gateway.client.get(f"/api/v1/pricing/{product['sku']}", headers=sales)
    patch = await gateway.client.patch(
        f"/api/v1/products/{product['sku']}", json={"margin_pct": "1"}, headers=sales
    )

    assert price.status_code == 200
    assert patch.status_code == 403


async def test_product_aggregate_degrades_optional_parts_to_null_with_reasons(
    gateway: Gateway, pricing_service: PricingService
) -> None:
    admin = await gateway.admin()
    product = await create_product(gateway, admin)
    customer = await _tier2_customer(gateway, pricing_service, admin)

    reply = await gateway.client.get(
        f"/api/v1/products/{product['sku']}?customer_id={customer}&quantity=10", headers=admin
    )

    assert reply.status_code == 200, reply.text
    body = reply.json()
    data = body["data"]
    assert data["sku"] == product["sku"]
    # 130 x 0.90 x 0.98 = 114.66
    assert data["price"]["unit_net"] == "114.66"
    assert data["price"]["tier"] == "TIER_2"
    assert data["stock"] is None
    assert data["best_supplier_offer"] is None
    assert body["metadata"]["degraded"] == {
        "stock": "inventory unavailable",
        "best_supplier_offer": "suppliers unavailable",
    }


class NeverAnswers(inventory_pb2_grpc.InventoryServiceServicer):
    """A real gRPC inventory whose GetAvailability hangs until the test ends. A threaded
    server on purpose: the hung handler lives outside the test's event loop."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def GetAvailability(self, request: Any, context: Any) -> Any:
        self.release.wait(timeout=30)
        return inventory_pb2.GetAvailabilityResponse()


@pytest.fixture
def hung_inventory() -> Iterator[str]:
    # The generated servicer base marks every RPC abstract in its stubs; unimplemented
    # ones answer UNIMPLEMENTED at run time, which is all this fake needs.
    servicer = NeverAnswers()  # type: ignore[abstract]
    server = grpc.server(ThreadPoolExecutor(max_workers=4))
    inventory_pb2_grpc.add_InventoryServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        servicer.release.set()
        server.stop(grace=None)


async def test_product_aggregate_parts_have_their_own_deadlines_and_unimplemented_degrades(
    gateway_settings: GatewaySettings, clock: FixedClock, hung_inventory: str
) -> None:
    # inventory never answers; suppliers' address is a gRPC server without that service.
    settings = gateway_settings.model_copy(
        update={
            "inventory_addr": hung_inventory,
            "suppliers_addr": gateway_settings.pricing_addr,
            "aggregate_part_timeout_seconds": 0.3,
        }
    )
    async for gw in start_gateway(settings, clock):
        admin = await gw.admin()
        product = await create_product(gw, admin)
        started = asyncio.get_running_loop().time()

        reply = await gw.client.get(f"/api/v1/products/{product['sku']}", headers=admin)

        elapsed = asyncio.get_running_loop().time() - started
        assert reply.status_code == 200, reply.text
        assert reply.json()["data"]["price"]["unit_net"] == "130.00"
        assert reply.json()["metadata"]["degraded"] == {
            "stock": "inventory timed out",
            "best_supplier_offer": "suppliers does not provide this yet",
        }
        assert elapsed < 2.0  # parts ran in parallel, each bounded by its 0.3 s deadline


async def test_pricing_down_is_503_with_retry_after(
    gateway_settings: GatewaySettings, clock: FixedClock
) -> None:
    settings = gateway_settings.model_copy(update={"pricing_addr": f"127.0.0.1:{free_port()}"})
    async for gw in start_gateway(settings, clock):
        reply = await gw.client.get("/api/v1/pricing/ANY-SKU", headers=await gw.admin())

        assert reply.status_code == 503
        assert reply.json()["error"]["code"] == "UPSTREAM_UNAVAILABLE"
        assert reply.headers["Retry-After"]
