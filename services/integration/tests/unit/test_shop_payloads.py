"""WooCommerce bodies: the fields we write, per-item answers of a batch."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from integration.shop.domain.products import Sale, ShopProduct, StockStatus
from integration.shop.payloads import batch_results, create_item, item_result, update_item


def product(sale: Sale | None = None, status: StockStatus = StockStatus.IN_STOCK) -> ShopProduct:
    return ShopProduct("LED-1", "Panou LED", Decimal("157.3"), sale, 4, status)


def test_an_update_writes_prices_as_strings_and_clears_an_ended_sale() -> None:
    body = update_item(101, product())
    assert body["id"] == 101
    assert body["regular_price"] == "157.30"
    assert body["sale_price"] == ""
    assert body["date_on_sale_from"] is None
    assert body["date_on_sale_to"] is None
    assert body["manage_stock"] is True
    assert (body["stock_quantity"], body["stock_status"]) == (4, "instock")


def test_a_sale_carries_its_window_in_shop_time() -> None:
    sale = Sale(
        Decimal("141.57"),
        datetime(2026, 12, 1, 8, 30, tzinfo=UTC),
        datetime(2026, 12, 8, 8, 30, tzinfo=UTC),
    )
    body = create_item(product(sale, StockStatus.ON_BACKORDER))
    assert body["name"] == "Panou LED"
    assert body["sku"] == "LED-1"
    assert body["sale_price"] == "141.57"
    assert body["date_on_sale_from"] == "2026-12-01T08:30:00"
    assert body["date_on_sale_to"] == "2026-12-08T08:30:00"
    assert body["stock_status"] == "onbackorder"
    assert body["backorders"] == "notify"


def test_item_answers() -> None:
    assert item_result({"id": 7, "sku": "A"}).error == ""
    failed = item_result(
        {"id": 7, "error": {"code": "woocommerce_rest_product_not_saved", "message": "no"}}
    )
    assert failed.error == "woocommerce_rest_product_not_saved: no"
    duplicate = item_result(
        {
            "id": 0,
            "error": {
                "code": "product_invalid_sku",
                "message": "dup",
                "data": {"status": 400, "resource_id": 123},
            },
        }
    )
    assert duplicate.existing_id == 123
    assert item_result("garbage").error == "malformed batch item"


def test_a_short_answer_fails_every_item_of_its_group() -> None:
    results = batch_results({"update": [{"id": 1}]}, "update", 2)
    assert [r.error for r in results] == ["batch answer lacks its update items"] * 2
    assert [r.woo_id for r in batch_results({"update": [{"id": 1}, {"id": 2}]}, "update", 2)] == [
        1,
        2,
    ]
