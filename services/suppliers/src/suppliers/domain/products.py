"""Supplier products (one per supplier sku), their mapping to our sku, price changes and
the alert threshold rule."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from suppliers.domain.feed import FeedItem
from suppliers.errors import ValidationFailed

PCT = Decimal("0.01")
DEFAULT_ALERT_THRESHOLD_PCT = Decimal("10")


def change_pct(old: Decimal, new: Decimal) -> Decimal:
    """Signed percent change, two decimals (old is always positive: prices are)."""
    return ((new - old) * 100 / old).quantize(PCT, rounding=ROUND_HALF_UP)


def raises_alert(pct: Decimal, threshold_pct: Decimal) -> bool:
    """A change strictly above the threshold (either direction) needs a person."""
    return abs(pct) > threshold_pct


@dataclass(frozen=True)
class PriceChange:
    old_price: Decimal
    new_price: Decimal
    change_pct: Decimal
    alert: bool


@dataclass(frozen=True)
class SupplierProduct:
    id: str
    supplier_id: str
    supplier_sku: str
    name: str
    price: Decimal
    currency: str
    sku: str | None
    in_stock: bool
    stock_quantity: int | None
    url: str
    last_seen_at: datetime
    price_changed_at: datetime
    version: int
    created_at: datetime

    def observed(
        self, item: FeedItem, at: datetime, threshold_pct: Decimal
    ) -> tuple[SupplierProduct, PriceChange | None]:
        """This product as the feed shows it now and the price change, if any. The
        version moves only when something stored changed."""
        change: PriceChange | None = None
        if item.price != self.price:
            pct = change_pct(self.price, item.price)
            change = PriceChange(self.price, item.price, pct, raises_alert(pct, threshold_pct))
        same = (
            change is None
            and item.name == self.name
            and item.in_stock == self.in_stock
            and item.stock_quantity == self.stock_quantity
            and item.url == self.url
        )
        updated = replace(
            self,
            name=item.name or self.name,
            price=item.price,
            in_stock=item.in_stock,
            stock_quantity=item.stock_quantity,
            url=item.url,
            last_seen_at=at,
            price_changed_at=at if change else self.price_changed_at,
            version=self.version if same else self.version + 1,
        )
        return updated, change

    def mapped_to(self, sku: str) -> SupplierProduct:
        sku = sku.strip()
        if not sku or len(sku) > 64:
            raise ValidationFailed({"sku": "must be 1 to 64 characters"})
        if sku == self.sku:
            return self
        return replace(self, sku=sku, version=self.version + 1)


def first_seen(
    product_id: str, supplier_id: str, currency: str, item: FeedItem, at: datetime
) -> SupplierProduct:
    return SupplierProduct(
        id=product_id,
        supplier_id=supplier_id,
        supplier_sku=item.supplier_sku,
        name=item.name,
        price=item.price,
        currency=currency,
        sku=None,
        in_stock=item.in_stock,
        stock_quantity=item.stock_quantity,
        url=item.url,
        last_seen_at=at,
        price_changed_at=at,
        version=1,
        created_at=at,
    )


class AlertStatus(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"


@dataclass(frozen=True)
class PriceAlert:
    id: str
    supplier_id: str
    supplier_sku: str
    sku: str | None
    old_price: Decimal
    new_price: Decimal
    currency: str
    change_pct: Decimal
    status: AlertStatus
    sync_run_id: str
    created_at: datetime
    acknowledged_at: datetime | None = None

    def acknowledged(self, at: datetime) -> PriceAlert:
        """Idempotent: acknowledging twice keeps the first time."""
        if self.status is AlertStatus.ACKNOWLEDGED:
            return self
        return replace(self, status=AlertStatus.ACKNOWLEDGED, acknowledged_at=at)
