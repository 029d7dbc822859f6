"""WooCommerce v3 bodies: a `ShopProduct` as the fields we write, and the per-item
answers of `POST /products/batch` read back in request order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from integration.shop.domain.products import ShopProduct, StockStatus


def _shop_time(value: datetime | None) -> str | None:
    # The shop's date fields are naive local times; our shop runs on UTC.
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def fields(product: ShopProduct) -> dict[str, Any]:
    sale = product.sale
    return {
        "sku": product.sku,
        "regular_price": f"{product.regular_price:.2f}",
        # An empty sale price and null dates clear a promotion that ended.
        "sale_price": "" if sale is None else f"{sale.price:.2f}",
        "date_on_sale_from": None if sale is None else _shop_time(sale.starts_at),
        "date_on_sale_to": None if sale is None else _shop_time(sale.ends_at),
        "manage_stock": True,
        "stock_quantity": product.stock_quantity,
        "stock_status": product.stock_status.value,
        "backorders": "notify" if product.stock_status == StockStatus.ON_BACKORDER else "no",
    }


def update_item(woo_id: int, product: ShopProduct) -> dict[str, Any]:
    return {"id": woo_id, **fields(product)}


def create_item(product: ShopProduct) -> dict[str, Any]:
    return {"name": product.name or product.sku, "type": "simple", **fields(product)}


@dataclass(frozen=True)
class ItemResult:
    woo_id: int | None
    error: str = ""
    # The shop already holds this sku under another id (a create that raced).
    existing_id: int | None = None


def item_result(raw: Any) -> ItemResult:
    if not isinstance(raw, dict):
        return ItemResult(None, "malformed batch item")
    error = raw.get("error")
    woo_id = raw.get("id") if isinstance(raw.get("id"), int) and raw.get("id") else None
    if error is None:
        if woo_id is None:
            return ItemResult(None, "batch item without id")
        return ItemResult(woo_id)
    if not isinstance(error, dict):
        return ItemResult(woo_id, str(error))
    code = str(error.get("code", "error"))
    message = str(error.get("message", ""))
    data = error.get("data")
    existing = (
        data.get("resource_id")
        if code == "product_invalid_sku" and isinstance(data, dict)
        else None
    )
    return ItemResult(
        woo_id,
        f"{code}: {message}".strip(": "),
        existing if isinstance(existing, int) else None,
    )


def batch_results(body: Any, key: str, expected: int) -> list[ItemResult]:
    """The answers of one group (`create`/`update`), in request order."""
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) != expected:
        return [ItemResult(None, f"batch answer lacks its {key} items")] * expected
    return [item_result(raw) for raw in items]
