"""The WooCommerce sync against the fake shop, with real pricing and inventory: what is
pushed, coalescing and batching, per-item failures and their retry, outages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import grpc
import pytest

from cypher.integration.v1 import integration_pb2 as pb
from cypher_testkit.broker import BrokerScope
from cypher_testkit.fakes import Fakes
from cypher_testkit.polling import eventually

from .shop_harness import DatabaseFactory, ShopHarness, gross, running, shop

__all__ = ["shop"]


async def test_a_new_product_appears_and_a_cost_change_follows(shop: ShopHarness) -> None:
    await shop.product("LED-100", "100.00", stock=5)
    first = await shop.shop_shows(
        "LED-100",
        lambda p: p["regular_price"] == gross(Decimal("130.00")) and p["stock_quantity"] == 5,
    )
    assert first["stock_status"] == "instock"
    assert first["manage_stock"] is True
    assert first["sale_price"] == ""
    assert first["name"] == "Panou LED LED-100"

    await shop.cost("LED-100", "200.00")
    after = await shop.shop_shows(
        "LED-100", lambda p: p["regular_price"] == gross(Decimal("260.00")), timeout=10
    )
    assert after["id"] == first["id"]  # the same shop product, found once and remembered
    rows = await shop.sql("SELECT woo_id, state FROM shop_items WHERE sku = 'LED-100'")
    assert rows[0]["woo_id"] == first["id"]
    assert rows[0]["state"] == "SYNCED"


async def test_stock_to_zero_shows_out_of_stock(shop: ShopHarness) -> None:
    await shop.product("LED-200", "50.00", stock=4)
    await shop.shop_shows("LED-200", lambda p: p["stock_quantity"] == 4)
    await shop.adjust("LED-200", -4)
    shown = await shop.shop_shows("LED-200", lambda p: p["stock_quantity"] == 0)
    assert shown["stock_status"] == "outofstock"


async def test_a_promotion_is_a_sale_price_with_its_window(shop: ShopHarness) -> None:
    await shop.product("LED-300", "100.00", stock=2)
    await shop.shop_shows("LED-300", lambda p: p["regular_price"] == "157.30")
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    ends = starts + timedelta(days=7)
    await shop.promotion(sku="LED-300", pct="10", starts=starts, days=7)
    shown = await shop.shop_shows("LED-300", lambda p: p["sale_price"] != "")
    assert shown["regular_price"] == "157.30"
    assert shown["sale_price"] == "141.57"  # 130 × 0.9 = 117 net, + 21 %
    assert shown["date_on_sale_from"] == starts.strftime("%Y-%m-%dT%H:%M:%S")
    assert shown["date_on_sale_to"] == ends.strftime("%Y-%m-%dT%H:%M:%S")
    assert shown["on_sale"] is True
    assert shown["price"] == "141.57"


async def test_250_changes_at_once_go_out_as_3_batches(
    database_factory: DatabaseFactory, broker_scope: BrokerScope, fakes: Fakes
) -> None:
    async with running(database_factory, broker_scope, fakes) as shop:
        skus = [f"BULK-{i:03d}" for i in range(250)]
        gate = asyncio.Semaphore(4)

        async def create(sku: str) -> None:
            async with gate:
                await shop.product(sku, "10.00", category="bulk")

        await asyncio.gather(*(create(sku) for sku in skus))
        await eventually(
            lambda: shop.shop_products(),
            lambda found: all(s in found and found[s]["regular_price"] == "15.73" for s in skus),
            timeout=90,
            what="250 products in the shop",
        )
        await eventually(shop.status, lambda s: s.pending_items == 0, what="nothing pending")
        before = len(await shop.batch_calls())
        before_all = len(await shop.shop_requests())

        # One promotion on their category: pricing announces 250 price changes at once.
        starts = datetime.now(UTC) - timedelta(minutes=1)
        await shop.promotion(category="bulk", pct="10", starts=starts, days=3)
        await eventually(
            lambda: shop.shop_products(),
            lambda found: all(found[s]["sale_price"] == "14.16" for s in skus),
            timeout=30,
            what="250 sale prices in the shop",
        )
        calls = (await shop.batch_calls())[before:]
        assert [c["items"]["total"] for c in calls] == [100, 100, 50]
        assert all(c["items"]["update"] == c["items"]["total"] for c in calls)
        assert [
            r for r in (await shop.shop_requests())[before_all:] if not r["path"].endswith("/batch")
        ] == []


async def test_an_item_error_fails_one_sku_and_the_retry_run_sends_it(shop: ShopHarness) -> None:
    for sku in ("ERR-1", "ERR-2", "ERR-3"):
        await shop.product(sku, "10.00", stock=1)
    await eventually(
        shop.shop_products,
        lambda found: all(s in found for s in ("ERR-1", "ERR-2", "ERR-3")),
        what="three products",
    )
    await eventually(shop.status, lambda s: s.pending_items == 0, what="nothing pending")
    await shop.fault("item_error", count=1, sku="ERR-2")
    for sku in ("ERR-1", "ERR-2", "ERR-3"):
        await shop.cost(sku, "30.00")

    status = await eventually(shop.status, lambda s: s.failed_items == 1, what="one failed item")
    assert [f.sku for f in status.failures] == ["ERR-2"]
    assert "woocommerce_rest_product_not_saved" in status.failures[0].error
    assert status.last_incremental_run.status == pb.WOO_SYNC_RUN_STATUS_PARTIAL
    products = await shop.shop_products()
    assert products["ERR-1"]["regular_price"] == products["ERR-3"]["regular_price"] == "47.19"
    assert products["ERR-2"]["regular_price"] == "15.73"  # the shop kept the old price

    run = await shop.trigger(pb.WOO_SYNC_MODE_RETRY_FAILED)
    done = await shop.run_finished(run.id)
    assert done.status == pb.WOO_SYNC_RUN_STATUS_SUCCEEDED
    assert (done.items_total, done.items_succeeded, done.batches) == (1, 1, 1)
    assert (await shop.shop_products())["ERR-2"]["regular_price"] == "47.19"
    assert (await shop.status()).failed_items == 0


async def test_nothing_is_lost_while_the_shop_is_down(shop: ShopHarness) -> None:
    await shop.product("DOWN-1", "10.00", stock=3)
    await shop.shop_shows("DOWN-1", lambda p: p["stock_quantity"] == 3)
    await shop.proxy.stop()  # the shop is unreachable
    await shop.cost("DOWN-1", "40.00")
    await shop.product("DOWN-2", "20.00", stock=1)

    status = await eventually(
        shop.status,
        lambda s: s.circuit_breaker.state == pb.CIRCUIT_STATE_OPEN,
        timeout=20,
        what="breaker OPEN",
    )
    assert status.circuit_breaker.name == "woocommerce"
    assert status.pending_items == 2
    assert status.failed_items == 0
    await asyncio.sleep(1.5)
    assert (await shop.status()).pending_items == 2

    await shop.proxy.start()
    await shop.shop_shows("DOWN-1", lambda p: p["regular_price"] == "62.92", timeout=30)
    await shop.shop_shows("DOWN-2", lambda p: p["regular_price"] == "31.46")
    final = await eventually(
        shop.status,
        lambda s: s.pending_items == 0 and s.circuit_breaker.state == pb.CIRCUIT_STATE_CLOSED,
        what="backlog drained, breaker CLOSED",
    )
    assert final.failed_items == 0


async def test_500s_and_429s_are_retried_with_backoff(shop: ShopHarness) -> None:
    await shop.product("RETRY-1", "10.00", stock=1)
    await shop.shop_shows("RETRY-1", lambda p: p["stock_quantity"] == 1)
    await shop.fault("http429", count=1)
    await shop.receive("RETRY-1", 6)
    await shop.shop_shows("RETRY-1", lambda p: p["stock_quantity"] == 7)
    await shop.fault("http500", count=1)
    await shop.receive("RETRY-1", 1)
    await shop.shop_shows("RETRY-1", lambda p: p["stock_quantity"] == 8)
    statuses = [r["status"] for r in await shop.batch_calls()]
    assert 429 in statuses
    assert 500 in statuses
    assert (await shop.status()).failed_items == 0


async def test_full_sync_maps_existing_products_and_creates_missing_ones(
    shop: ShopHarness,
) -> None:
    # Products that were in the shop before CYPHER: matched by sku, never duplicated.
    seeded = await shop.seed_shop(
        [{"sku": f"FULL-{i}", "name": f"Old {i}", "regular_price": "1.00"} for i in range(3)]
    )
    for i in range(4):
        await shop.product(f"FULL-{i}", "10.00", stock=i)
    await eventually(shop.status, lambda s: s.pending_items == 0, timeout=30, what="settled")
    await shop.sql("UPDATE shop_items SET woo_id = NULL")  # forget every mapping

    run = await shop.trigger(pb.WOO_SYNC_MODE_FULL)
    assert run.status == pb.WOO_SYNC_RUN_STATUS_RUNNING
    with pytest.raises(grpc.aio.AioRpcError) as busy:
        await shop.trigger(pb.WOO_SYNC_MODE_FULL)
    assert busy.value.code() == grpc.StatusCode.ABORTED
    done = await shop.run_finished(run.id)
    assert done.status == pb.WOO_SYNC_RUN_STATUS_SUCCEEDED
    assert done.items_total == 4
    assert done.batches == 1

    products = await shop.shop_products()
    assert [products[f"FULL-{i}"]["id"] for i in range(3)] == [p["id"] for p in seeded]
    assert len([s for s in products if s.startswith("FULL-")]) == 4
    assert {products[f"FULL-{i}"]["regular_price"] for i in range(4)} == {"15.73"}
    status = await shop.status()
    assert status.mapped_products == 4
    assert status.last_full_run.id == run.id


async def test_an_unknown_sku_fails_alone(shop: ShopHarness) -> None:
    from cypher.inventory.v1 import events_pb2 as inventory_events

    await shop.product("KNOWN-1", "10.00", stock=1)
    await shop.shop_shows("KNOWN-1", lambda p: p["stock_quantity"] == 1)
    await shop.publish(inventory_events.InventoryStockChanged(sku="GHOST-1", total_available=3))
    await shop.receive("KNOWN-1", 1)
    status = await eventually(shop.status, lambda s: s.failed_items == 1, what="ghost failed")
    assert status.failures[0].sku == "GHOST-1"
    assert "not priced" in status.failures[0].error
    await shop.shop_shows("KNOWN-1", lambda p: p["stock_quantity"] == 2)
