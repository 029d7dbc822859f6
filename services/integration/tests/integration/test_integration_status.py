"""GetIntegrationStatus beside SmartBill: the WooCommerce and SMTP guards (breaker state,
last success, last error) and their backlog, read from the running service."""

from __future__ import annotations

from decimal import Decimal

from cypher.integration.v1 import integration_pb2 as pb
from cypher_testkit.polling import eventually

from .shop_harness import ShopHarness, gross, shop

__all__ = ["shop"]


async def overall(shop: ShopHarness) -> pb.GetIntegrationStatusResponse:
    return await shop.stub.GetIntegrationStatus(pb.GetIntegrationStatusRequest())


def breakers(status: pb.GetIntegrationStatusResponse) -> dict[str, pb.CircuitBreakerStatus]:
    return {b.name: b for b in status.circuit_breakers}


def syncs(status: pb.GetIntegrationStatusResponse) -> dict[str, pb.LastSync]:
    return {s.name: s for s in status.last_syncs}


async def test_status_reports_the_shop_and_smtp_guards_beside_smartbill(
    shop: ShopHarness,
) -> None:
    before = await overall(shop)
    assert set(breakers(before)) == {"smartbill", "woocommerce", "smtp"}
    assert all(b.state == pb.CIRCUIT_STATE_CLOSED for b in before.circuit_breakers)
    # Nothing called yet: no success, no status.
    assert not syncs(before)["woocommerce"].HasField("last_success_at")
    assert syncs(before)["smtp"].last_status == ""
    assert before.backlog.pending_woo_items == 0
    assert before.backlog.pending_mails == 0

    await shop.product("ST-1", "100.00", stock=2)
    await shop.shop_shows("ST-1", lambda p: p["regular_price"] == gross(Decimal("130.00")))
    synced = await eventually(
        lambda: overall(shop),
        lambda s: syncs(s).get("woocommerce_incremental", pb.LastSync()).last_status == "succeeded",
        what="incremental run recorded",
    )
    lines = syncs(synced)
    assert lines["woocommerce_incremental"].HasField("last_success_at")
    assert lines["woocommerce"].last_status == "succeeded"
    assert lines["woocommerce"].HasField("last_success_at")
    assert synced.backlog.pending_woo_items == 0
    assert synced.backlog.failed_woo_items == 0

    # The shop goes away: its breaker opens with the error, the change waits as backlog,
    # and SmartBill's and the SMTP server's breakers are untouched.
    await shop.proxy.stop()
    await shop.cost("ST-1", "200.00")
    down = await eventually(
        lambda: overall(shop),
        lambda s: breakers(s)["woocommerce"].state == pb.CIRCUIT_STATE_OPEN,
        timeout=20,
        what="woocommerce breaker OPEN",
    )
    woo = breakers(down)["woocommerce"]
    assert woo.last_error != ""
    assert woo.consecutive_failures >= 2
    assert woo.HasField("opened_at")
    assert syncs(down)["woocommerce"].last_status == "failed"
    assert down.backlog.pending_woo_items == 1
    assert breakers(down)["smartbill"].state == pb.CIRCUIT_STATE_CLOSED
    assert breakers(down)["smtp"].state == pb.CIRCUIT_STATE_CLOSED

    await shop.proxy.start()
    await shop.shop_shows("ST-1", lambda p: p["regular_price"] == gross(Decimal("260.00")))
    back = await eventually(
        lambda: overall(shop),
        lambda s: (
            breakers(s)["woocommerce"].state == pb.CIRCUIT_STATE_CLOSED
            and s.backlog.pending_woo_items == 0
        ),
        what="breaker CLOSED, backlog drained",
    )
    assert syncs(back)["woocommerce"].last_status == "succeeded"


async def test_status_counts_failed_shop_items(shop: ShopHarness) -> None:
    await shop.product("SF-1", "10.00", stock=1)
    await shop.shop_shows("SF-1", lambda p: p["stock_quantity"] == 1)
    await eventually(shop.status, lambda s: s.pending_items == 0, what="nothing pending")
    await shop.fault("item_error", count=1, sku="SF-1")
    await shop.cost("SF-1", "30.00")
    failed = await eventually(
        lambda: overall(shop),
        lambda s: s.backlog.failed_woo_items == 1,
        what="one failed shop item",
    )
    assert syncs(failed)["woocommerce_incremental"].last_status == "partial"
    # The call itself went through: the guard saw a success, not an outage.
    assert breakers(failed)["woocommerce"].state == pb.CIRCUIT_STATE_CLOSED
