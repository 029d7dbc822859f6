"""The WooCommerce fake over real HTTP, as the integration service's shop client meets it."""

from __future__ import annotations

from typing import Any

import httpx

from cypher_testkit.fakes import Fakes

API = "/wp-json/wc/v3"


def shop(fakes: Fakes, secret: str | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=fakes.woo_url + API,
        auth=(fakes.woo_consumer_key, secret or fakes.woo_consumer_secret),
        timeout=10,
    )


def control(fakes: Fakes) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=fakes.woo_url, timeout=10)


def product(sku: str, **fields: Any) -> dict[str, Any]:
    return {
        "sku": sku,
        "name": f"Produs {sku}",
        "regular_price": "10.00",
        "manage_stock": True,
        "stock_quantity": 5,
        **fields,
    }


async def seed(fakes: Fakes, *products: dict[str, Any]) -> list[dict[str, Any]]:
    async with control(fakes) as c:
        reply = await c.post("/_fake/products", json=list(products))
    assert reply.status_code == 201
    return list(reply.json())


async def test_wrong_or_missing_keys_are_refused(fakes: Fakes) -> None:
    async with shop(fakes, secret="cs_wrong") as s:
        wrong = await s.get("/products")
    async with httpx.AsyncClient(base_url=fakes.woo_url + API) as anonymous:
        missing = await anonymous.post("/products", json=product("A"))
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "woocommerce_rest_authentication_error"
    assert missing.status_code == 401
    async with control(fakes) as c:
        assert (await c.get("/_fake/products")).json() == {}


async def test_listing_pages_with_totals_and_link_headers(fakes: Fakes) -> None:
    await seed(fakes, *(product(f"SKU-{n:02d}") for n in range(25)))
    async with shop(fakes) as s:
        page2 = await s.get("/products", params={"per_page": 10, "page": 2})
        by_sku = await s.get("/products", params={"sku": "SKU-07"})
        too_many = await s.get("/products", params={"per_page": 101})
        past_end = await s.get("/products", params={"per_page": 10, "page": 4})
    assert page2.headers["X-WP-Total"] == "25"
    assert page2.headers["X-WP-TotalPages"] == "3"
    assert 'rel="next"' in page2.headers["Link"]
    assert 'rel="prev"' in page2.headers["Link"]
    assert "page=3" in page2.headers["Link"]
    assert len(page2.json()) == 10
    assert [p["sku"] for p in by_sku.json()] == ["SKU-07"]
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "rest_invalid_param"
    assert past_end.status_code == 400


async def test_create_get_update_and_duplicate_sku(fakes: Fakes) -> None:
    async with shop(fakes) as s:
        created = await s.post("/products", json=product("LED-PANEL-60"))
        pid = created.json()["id"]
        duplicate = await s.post("/products", json=product("LED-PANEL-60"))
        updated = await s.put(f"/products/{pid}", json={"stock_quantity": 0, "sale_price": "8.00"})
        fetched = await s.get(f"/products/{pid}")
        missing = await s.get("/products/999999")
        wrong_type = await s.put(f"/products/{pid}", json={"regular_price": 12.5})
    assert created.status_code == 201
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == "product_invalid_sku"
    assert updated.json()["stock_status"] == "outofstock"
    assert fetched.json()["price"] == "8.00"
    assert fetched.json()["on_sale"] is True
    assert missing.status_code == 404
    assert missing.json()["code"] == "woocommerce_rest_product_invalid_id"
    assert wrong_type.status_code == 400
    assert wrong_type.json()["data"]["params"] == {
        "regular_price": "regular_price is not of type string."
    }


async def test_batch_over_100_objects_is_413(fakes: Fakes) -> None:
    body = {
        "create": [product(f"N-{n}") for n in range(60)],
        "update": [{"id": 1000 + n, "regular_price": "1.00"} for n in range(40)],
        "delete": [5],
    }
    async with shop(fakes) as s:
        reply = await s.post("/products/batch", json=body)
    assert reply.status_code == 413
    assert reply.json()["code"] == "woocommerce_rest_request_entity_too_large"
    async with control(fakes) as c:
        log = (await c.get("/_fake/requests")).json()
        assert (await c.get("/_fake/products")).json() == {}
    assert log[-1]["items"] == {"create": 60, "update": 40, "delete": 1, "total": 101}
    assert log[-1]["status"] == 413


async def test_batch_reports_item_errors_inside_a_200(fakes: Fakes) -> None:
    [existing] = await seed(fakes, product("OLD-1"))
    body = {
        "create": [product("NEW-1"), product("OLD-1")],
        "update": [
            {"id": str(existing["id"]), "regular_price": "11.00"},  # ids may come as strings
            {"id": 424242, "regular_price": "1.00"},
        ],
    }
    async with shop(fakes) as s:
        reply = await s.post("/products/batch", json=body)
    assert reply.status_code == 200
    created, duplicate = reply.json()["create"]
    good_update, unknown = reply.json()["update"]
    assert created["sku"] == "NEW-1"
    assert duplicate["error"]["code"] == "product_invalid_sku"
    assert duplicate["error"]["data"]["status"] == 400
    assert good_update["regular_price"] == "11.00"
    assert unknown == {
        "id": 424242,
        "error": {
            "code": "woocommerce_rest_product_invalid_id",
            "message": "Invalid ID.",
            "data": {"status": 404},
        },
    }


async def test_item_error_fault_fails_only_the_given_sku(fakes: Fakes) -> None:
    async with control(fakes) as c:
        armed = await c.post("/_fake/faults", json={"mode": "item_error", "sku": "B", "count": 1})
    assert armed.status_code == 200
    async with shop(fakes) as s:
        first = await s.post("/products/batch", json={"create": [product("A"), product("B")]})
        retry = await s.post("/products/batch", json={"create": [product("B")]})
    a, b = first.json()["create"]
    assert a["sku"] == "A"
    assert b["error"]["code"] == "woocommerce_rest_product_not_saved"
    assert retry.json()["create"][0]["sku"] == "B"
    async with control(fakes) as c:
        assert set((await c.get("/_fake/products")).json()) == {"A", "B"}


async def test_http429_and_http500_faults_then_recovery(fakes: Fakes) -> None:
    async with control(fakes) as c:
        await c.post("/_fake/faults", json={"mode": "http429", "count": 1})
    async with shop(fakes) as s:
        limited = await s.get("/products")
        fine = await s.get("/products")
    async with control(fakes) as c:
        await c.post("/_fake/faults", json={"mode": "http500", "count": 1})
    async with shop(fakes) as s:
        broken = await s.post("/products", json=product("X"))
        created = await s.post("/products", json=product("X"))
    assert limited.status_code == 429
    assert limited.content == b""
    assert fine.status_code == 200
    assert broken.status_code == 500
    assert created.status_code == 201
