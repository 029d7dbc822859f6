"""Demo data for the local stack, loaded through the public API like any client would:
a few LED products with stock in the three warehouses and one B2B customer. Only when
the catalogue is empty, so `make dev` can run any number of times."""

from __future__ import annotations

import asyncio

import httpx
from seed_suppliers import seed_suppliers

PRODUCTS = [
    ("LED-PANEL-60", "Panou LED 60x60 40W 4000K", "panels", "buc", "82.50", "35"),
    ("LED-BULB-E27", "Bec LED E27 10W 2700K", "bulbs", "buc", "6.40", "60"),
    ("LED-STRIP-5M", "Bandă LED 5m 14.4W/m IP65", "strips", "rolă", "48.00", "40"),
    ("LED-FLOOD-100", "Proiector LED 100W IP66", "floodlights", "buc", "145.00", "30"),
    ("LED-TRACK-30", "Spot șină LED 30W negru", "track", "buc", "97.20", "38"),
]
STOCK = {"A": 40, "B": 25, "C": 10}


async def receive(client: httpx.AsyncClient, receipt: dict[str, object]) -> httpx.Response:
    """Book a receipt for a product created a moment ago. Inventory learns products from
    pricing's events, so for that moment it answers 409 PRODUCT_UNKNOWN_YET: retry."""
    for _ in range(150):
        reply = await client.post("/inventory/receipts", json=receipt)
        if reply.status_code != 409 or reply.json()["error"]["code"] != "PRODUCT_UNKNOWN_YET":
            return reply
        await asyncio.sleep(0.1)
    return reply


async def seed(gateway_url: str, email: str, password: str, sites_url: str) -> str:
    async with httpx.AsyncClient(base_url=f"{gateway_url}/api/v1", timeout=10) as client:
        login = await client.post("/auth/login", json={"email": email, "password": password})
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['data']['access_token']}"
        existing = await client.get("/products", params={"limit": 1})
        existing.raise_for_status()
        if existing.json()["data"]:
            return "demo data already present; " + await seed_suppliers(
                client, sites_url, [p[0] for p in PRODUCTS]
            )
        for sku, name, category, unit, cost, margin in PRODUCTS:
            reply = await client.post(
                "/products",
                json={
                    "sku": sku,
                    "name": name,
                    "category": category,
                    "unit": unit,
                    "cost": cost,
                    "margin_pct": margin,
                },
            )
            reply.raise_for_status()
            for warehouse, quantity in STOCK.items():
                receipt = await receive(
                    client,
                    {"sku": sku, "warehouse": warehouse, "quantity": quantity, "reference": "demo"},
                )
                receipt.raise_for_status()
        customer = await client.post(
            "/customers",
            json={
                "name": "Lumina Construct SRL",
                "email": "achizitii@lumina-construct.example",
                "company": "Lumina Construct SRL",
                "vat_code": "RO18547290",
                "phone": "+40 21 555 0100",
            },
        )
        customer.raise_for_status()
        loaded = f"demo data loaded: {len(PRODUCTS)} products with stock, 1 customer"
        return f"{loaded}; " + await seed_suppliers(client, sites_url, [p[0] for p in PRODUCTS])
