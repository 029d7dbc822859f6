"""The shop's products as WooCommerce holds them, and its rules for writing them:
typed fields, unique SKUs, stock status following the managed quantity. Refusals are
`WooError`s carrying WooCommerce's error code, message and HTTP status."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
STATUSES = ("draft", "pending", "private", "publish")
STRING_FIELDS = ("name", "sku", "regular_price", "sale_price", "description", "short_description")
DATE_FIELDS = ("date_on_sale_from", "date_on_sale_to")
PRICE = re.compile(r"^(\d+(\.\d+)?)?$")


class WooError(Exception):
    def __init__(self, code: str, message: str, status: int, **data: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.data = data

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "data": {"status": self.status, **self.data},
        }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def invalid_param(errors: dict[str, str]) -> WooError:
    return WooError(
        "rest_invalid_param",
        f"Invalid parameter(s): {', '.join(errors)}",
        400,
        params=errors,
    )


def validate(fields: Any) -> dict[str, Any]:
    """The writable fields of a create/update body, type-checked as WooCommerce does."""
    if not isinstance(fields, dict):
        raise WooError("rest_invalid_json", "Invalid JSON body passed.", 400)
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key in STRING_FIELDS:
        if key in fields:
            if isinstance(fields[key], str):
                clean[key] = fields[key]
            else:
                errors[key] = f"{key} is not of type string."
    for key in ("regular_price", "sale_price"):
        if key in clean and not PRICE.match(clean[key]):
            errors[key] = f"{key} is not a valid price."
    for key in DATE_FIELDS:
        if key in fields:
            if fields[key] is None or isinstance(fields[key], str):
                clean[key] = fields[key] or None
            else:
                errors[key] = f"{key} is not of type string,null."
    if "manage_stock" in fields:
        if isinstance(fields["manage_stock"], bool):
            clean["manage_stock"] = fields["manage_stock"]
        else:
            errors["manage_stock"] = "manage_stock is not of type boolean."
    if "stock_quantity" in fields:
        qty = fields["stock_quantity"]
        if qty is None or (isinstance(qty, int) and not isinstance(qty, bool)):
            clean["stock_quantity"] = qty
        else:
            errors["stock_quantity"] = "stock_quantity is not of type integer,null."
    for key, allowed in (("stock_status", STOCK_STATUSES), ("status", STATUSES)):
        if key in fields:
            if fields[key] in allowed:
                clean[key] = fields[key]
            else:
                errors[key] = f"{key} is not one of {', '.join(allowed)}."
    if errors:
        raise invalid_param(errors)
    return clean


class Shop:
    def __init__(self) -> None:
        self.products: dict[int, dict[str, Any]] = {}
        self._last_id = 100  # real shops never start at 1; ids stay distinct from counts

    def get(self, product_id: int) -> dict[str, Any]:
        product = self.products.get(product_id)
        if product is None:
            raise WooError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        return product

    def by_sku(self, sku: str) -> dict[str, Any] | None:
        return next((p for p in self.products.values() if p["sku"] == sku and sku), None)

    def _check_sku(self, sku: str | None, own_id: int | None) -> None:
        if not sku:
            return
        other = self.by_sku(sku)
        if other is not None and other["id"] != own_id:
            raise WooError(
                "product_invalid_sku",
                "Invalid or duplicated SKU.",
                400,
                resource_id=other["id"],
                unique_sku=f"{sku}-1",
            )

    def create(self, fields: Any) -> dict[str, Any]:
        clean = validate(fields)
        self._check_sku(clean.get("sku"), None)
        self._last_id += 1
        now = _now()
        product: dict[str, Any] = {
            "id": self._last_id,
            "name": "",
            "slug": "",
            "permalink": "",
            "date_created": now,
            "date_modified": now,
            "type": "simple",
            "status": "publish",
            "sku": "",
            "price": "",
            "regular_price": "",
            "sale_price": "",
            "date_on_sale_from": None,
            "date_on_sale_to": None,
            "on_sale": False,
            "manage_stock": False,
            "stock_quantity": None,
            "stock_status": "instock",
        }
        self._apply(product, clean)
        self.products[product["id"]] = product
        return product

    def update(self, product_id: Any, fields: Any) -> dict[str, Any]:
        product = self.get(_product_id(product_id))
        clean = validate(fields)
        self._check_sku(clean.get("sku"), product["id"])
        self._apply(product, clean)
        product["date_modified"] = _now()
        return product

    def delete(self, product_id: Any, force: bool = True) -> dict[str, Any]:
        product = self.get(_product_id(product_id))
        if force:
            del self.products[product["id"]]
        else:
            product["status"] = "trash"
        return product

    def _apply(self, product: dict[str, Any], clean: dict[str, Any]) -> None:
        product.update(clean)
        product["slug"] = re.sub(r"[^a-z0-9]+", "-", product["name"].lower()).strip("-")
        product["permalink"] = f"/product/{product['slug']}/"
        qty = product["stock_quantity"]
        if product["manage_stock"] and qty is not None:
            # The managed quantity decides, except that a shop allowing backorders
            # keeps selling at zero.
            if qty > 0:
                product["stock_status"] = "instock"
            elif product["stock_status"] != "onbackorder":
                product["stock_status"] = "outofstock"
        on_sale = bool(product["sale_price"]) and _in_window(
            product["date_on_sale_from"], product["date_on_sale_to"]
        )
        product["on_sale"] = on_sale
        product["price"] = product["sale_price"] if on_sale else product["regular_price"]


def _product_id(value: Any) -> int:
    """An id as the REST API takes it: a JSON integer or a numeric string."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise WooError("woocommerce_rest_product_invalid_id", "Invalid ID.", 400)
    return value


def _in_window(start: str | None, end: str | None) -> bool:
    # A bare date means the whole day, as in the shop's admin.
    now = _now()
    begins = None if start is None else (start + "T00:00:00")[:19]
    ends = None if end is None else (end + "T23:59:59")[:19]
    return (begins is None or begins <= now) and (ends is None or now <= ends)
