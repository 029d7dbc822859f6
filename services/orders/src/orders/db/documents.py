"""The JSONB documents inside an order row: lines (with their prices), shipments and
returns, to and from the domain objects.

A price is stored in the layout of pricing's `PricedLine` as JSON (proto field names,
int64 as text, enums by name, Money as {amount, currency}, every scalar present): rows
written before prices became a domain value read back unchanged, and the idempotency
fingerprint of a request (`price_document`) is the same as it always was.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from orders.domain.lines import OrderLine, OrderReturn, Shipment, ShipmentStatus
from orders.domain.prices import LinePrice

_MONEY = ("unit_cost", "list_price", "unit_net", "unit_gross", "line_net", "line_vat", "line_gross")
_PERCENT = (
    "tier_discount_pct",
    "volume_discount_pct",
    "promotion_discount_pct",
    "vat_rate",
    "margin_pct",
)
# PricedLine's fields in field-number order (the order MessageToDict writes them in).
_ORDER = (
    "sku",
    "quantity",
    "unit_cost",
    "list_price",
    "tier",
    "tier_discount_pct",
    "volume_discount_pct",
    "promotion_discount_pct",
    "unit_net",
    "vat_rate",
    "unit_gross",
    "line_net",
    "line_vat",
    "line_gross",
    "margin_pct",
    "margin_floor_applied",
    "currency",
    "promotion_id",
    "vat_category",
    "name",
    "unit",
    "pricing_date",
)


def price_document(price: LinePrice) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sku": price.sku,
        "quantity": str(price.quantity),
        "tier": price.tier or "TIER_UNSPECIFIED",
        "margin_floor_applied": price.margin_floor_applied,
        "currency": price.currency,
        "promotion_id": price.promotion_id,
        "vat_category": price.vat_category or "VAT_CATEGORY_UNSPECIFIED",
        "name": price.name,
        "unit": price.unit,
        "pricing_date": price.pricing_date,
    }
    for key in _MONEY:
        amount: Decimal | None = getattr(price, key)
        if amount is not None:
            values[key] = {"amount": str(amount), "currency": price.currency}
    for key in _PERCENT:
        pct: Decimal | None = getattr(price, key)
        values[key] = "" if pct is None else str(pct)
    return {k: values[k] for k in _ORDER if k in values}


def _decimal(text: Any) -> Decimal | None:
    return Decimal(str(text)) if text not in (None, "") else None


def _enum(text: Any, unset: str) -> str:
    return "" if text in (None, "", unset) else str(text)


def price_from_document(doc: dict[str, Any]) -> LinePrice:
    moneys = {k: doc[k] for k in _MONEY if isinstance(doc.get(k), dict)}
    currency = str(doc.get("currency") or "") or next(
        (str(m.get("currency")) for m in moneys.values() if m.get("currency")), "RON"
    )

    def amount(key: str) -> Decimal | None:
        return _decimal(moneys[key].get("amount")) if key in moneys else None

    return LinePrice(
        sku=str(doc.get("sku", "")),
        quantity=int(doc.get("quantity") or 0),
        currency=currency,
        tier=_enum(doc.get("tier"), "TIER_UNSPECIFIED"),
        margin_floor_applied=bool(doc.get("margin_floor_applied", False)),
        promotion_id=str(doc.get("promotion_id") or ""),
        vat_category=_enum(doc.get("vat_category"), "VAT_CATEGORY_UNSPECIFIED"),
        name=str(doc.get("name") or ""),
        unit=str(doc.get("unit") or ""),
        pricing_date=str(doc.get("pricing_date") or ""),
        unit_cost=amount("unit_cost"),
        list_price=amount("list_price"),
        unit_net=amount("unit_net"),
        unit_gross=amount("unit_gross"),
        line_net=amount("line_net"),
        line_vat=amount("line_vat"),
        line_gross=amount("line_gross"),
        tier_discount_pct=_decimal(doc.get("tier_discount_pct")),
        volume_discount_pct=_decimal(doc.get("volume_discount_pct")),
        promotion_discount_pct=_decimal(doc.get("promotion_discount_pct")),
        vat_rate=_decimal(doc.get("vat_rate")),
        margin_pct=_decimal(doc.get("margin_pct")),
    )


def lines_document(lines: list[OrderLine]) -> list[dict[str, Any]]:
    return [
        {
            "sku": ln.sku,
            "quantity": ln.quantity,
            "shipped": ln.shipped,
            "delivered": ln.delivered,
            "returned": ln.returned,
            "backordered": ln.backordered,
            "price": price_document(ln.price) if ln.price is not None else None,
            "price_locked": ln.price_locked,
        }
        for ln in lines
    ]


def lines_from_document(doc: list[dict[str, Any]]) -> list[OrderLine]:
    return [
        OrderLine(
            sku=ln["sku"],
            quantity=int(ln["quantity"]),
            shipped=int(ln["shipped"]),
            delivered=int(ln["delivered"]),
            returned=int(ln["returned"]),
            backordered=int(ln["backordered"]),
            price=price_from_document(ln["price"]) if ln.get("price") else None,
            price_locked=bool(ln["price_locked"]),
        )
        for ln in doc
    ]


def shipments_document(shipments: list[Shipment]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(s.id),
            "lines": s.lines,
            "status": s.status.value,
            "carrier": s.carrier,
            "tracking_number": s.tracking_number,
            "shipped_at": s.shipped_at.isoformat(),
            "delivered_at": s.delivered_at.isoformat() if s.delivered_at else None,
        }
        for s in shipments
    ]


def shipments_from_document(doc: list[dict[str, Any]]) -> list[Shipment]:
    return [
        Shipment(
            id=uuid.UUID(s["id"]),
            lines={k: int(v) for k, v in s["lines"].items()},
            status=ShipmentStatus(s["status"]),
            carrier=s["carrier"],
            tracking_number=s["tracking_number"],
            shipped_at=datetime.fromisoformat(s["shipped_at"]),
            delivered_at=datetime.fromisoformat(s["delivered_at"]) if s["delivered_at"] else None,
        )
        for s in doc
    ]


def returns_document(returns: list[OrderReturn]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(r.id),
            "lines": r.lines,
            "reason": r.reason,
            "created_at": r.created_at.isoformat(),
        }
        for r in returns
    ]


def returns_from_document(doc: list[dict[str, Any]]) -> list[OrderReturn]:
    return [
        OrderReturn(
            id=uuid.UUID(r["id"]),
            lines={k: int(v) for k, v in r["lines"].items()},
            reason=r["reason"],
            created_at=datetime.fromisoformat(r["created_at"]),
        )
        for r in doc
    ]
