"""Demo suppliers for the local stack, configured through the public API like any
operator would: the five suppliers of scripts/demo_suppliers.json against the local
stand-ins of their sites, a first scrape of each, the demo products mapped to the items
that are them, and the demo products following Masterled's price (so a Masterled price
change moves our cost). Only when no supplier exists yet."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx

DEMO_SUPPLIERS = Path(__file__).with_name("demo_suppliers.json")
FOLLOWED = "Masterled"
SYNC_TIMEOUT_SECONDS = 60.0


def _ok(reply: httpx.Response) -> Any:
    reply.raise_for_status()
    return reply.json()["data"]


async def _synced(client: httpx.AsyncClient, supplier_id: str) -> dict[str, Any]:
    run = _ok(await client.post(f"/suppliers/{supplier_id}/sync"))
    deadline = time.monotonic() + SYNC_TIMEOUT_SECONDS
    while run["status"] == "RUNNING" and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        runs = _ok(await client.get(f"/suppliers/{supplier_id}/sync-runs", params={"limit": 5}))
        run = next(r for r in runs if r["id"] == run["id"])
    return dict(run)


async def seed_suppliers(client: httpx.AsyncClient, sites_url: str, follow_skus: list[str]) -> str:
    """`client` is logged in as admin on the API base URL; `follow_skus` are the products
    whose cost follows Masterled's price."""
    if _ok(await client.get("/suppliers", params={"limit": 1})):
        return "suppliers already configured"
    demo = json.loads(DEMO_SUPPLIERS.read_text())
    summary: list[str] = []
    followed_id = ""
    async with httpx.AsyncClient(base_url=sites_url, timeout=10) as sites:
        for entry in demo:
            supplier = _ok(
                await client.post(
                    "/suppliers",
                    json={
                        "name": entry["name"],
                        "feed_format": entry["feed_format"],
                        "feed_url": sites_url.rstrip("/") + entry["path"],
                        "feed_config": entry["feed_config"],
                        "currency": entry["currency"],
                    },
                )
            )
            run = await _synced(client, supplier["id"])
            # Which of the site's items are our demo products: the fake site's own listing.
            key = entry["path"].strip("/").split("/")[0]
            items = (await sites.get(f"/_fake/{key}/items")).json()
            mapped = 0
            for item in items:
                if item.get("our_sku"):
                    _ok(
                        await client.post(
                            f"/suppliers/{supplier['id']}/mappings",
                            json={"supplier_sku": item["supplier_sku"], "sku": item["our_sku"]},
                        )
                    )
                    mapped += 1
            if entry["name"] == FOLLOWED:
                followed_id = supplier["id"]
            summary.append(f"{entry['name']} ({run['items_seen']} items, {mapped} mapped)")
    for sku in follow_skus:
        _ok(
            await client.patch(
                f"/products/{sku}",
                json={"supplier_id": followed_id, "follows_supplier_price": True},
            )
        )
    return "suppliers configured: " + ", ".join(summary) + f"; products follow {FOLLOWED}"
