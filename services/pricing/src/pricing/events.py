"""The events pricing publishes (built from domain objects, written through the outbox).

Aggregate types differ per event so that a consumer applying several of them with
version checks does not mistake product.upserted v7 for an already-applied price v7.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from cypher.pricing.v1 import events_pb2
from cypher_runtime.messaging.envelope import Event
from pricing.domain.customer import CustomerTier
from pricing.domain.money import ONE, fraction, pct_text, round_money
from pricing.domain.product import Product
from pricing.domain.quote import PricedLine
from pricing.store import StoredProduct
from pricing.wire import REASONS, TIER_TO_PB, VAT_TO_PB, money, product_pb, timestamp

PRICE_AGGREGATE = "product_price"
PRODUCT_AGGREGATE = "product"
TIER_AGGREGATE = "customer_tier"


def price_updated(
    *,
    before: Product | None,
    after: Product,
    old_effective: PricedLine | None,
    new_effective: PricedLine,
    reason: str,
    detail: str,
    supplier_id: str = "",
    at: datetime,
) -> Event:
    c = after.currency
    vat = new_effective.vat_rate_pct
    msg = events_pb2.PriceUpdated(
        sku=after.sku,
        new_list_price=money(after.list_price, c),
        new_cost=money(after.cost, c),
        margin_pct=pct_text(after.margin_pct),
        vat_category=VAT_TO_PB[after.vat_category],
        vat_rate=pct_text(vat),
        new_list_price_gross=money(round_money(after.list_price * (ONE + fraction(vat))), c),
        reason=REASONS[reason],
        reason_detail=detail,
        supplier_id=supplier_id,
        version=after.version,
        occurred_at=timestamp(at),
        new_effective_price=money(new_effective.unit_net, c),
        promotion_id=new_effective.promotion_id or "",
        promotion_discount_pct=pct_text(new_effective.promotion_discount_pct)
        if new_effective.promotion_id
        else "",
        new_effective_price_gross=money(new_effective.unit_gross, c),
    )
    if before is not None:
        msg.old_list_price.CopyFrom(money(before.list_price, before.currency))
        msg.old_cost.CopyFrom(money(before.cost, before.currency))
    if old_effective is not None:
        msg.old_effective_price.CopyFrom(money(old_effective.unit_net, old_effective.currency))
    return Event(
        message=msg,
        aggregate_type=PRICE_AGGREGATE,
        aggregate_id=after.sku,
        version=after.version,
        occurred_at=at,
    )


def product_upserted(stored: StoredProduct, *, created: bool, at: datetime) -> Event:
    msg = events_pb2.ProductUpserted(
        product=product_pb(stored),
        created=created,
        version=stored.product.version,
        occurred_at=timestamp(at),
    )
    return Event(
        message=msg,
        aggregate_type=PRODUCT_AGGREGATE,
        aggregate_id=stored.product.sku,
        version=stored.product.version,
        occurred_at=at,
    )


def customer_tier_changed(
    *,
    before: CustomerTier,
    after: CustomerTier,
    currency: str,
    reason: str,
    at: datetime,
) -> Event:
    msg = events_pb2.CustomerTierChanged(
        customer_id=after.customer_id,
        old_tier=TIER_TO_PB[before.effective],
        new_tier=TIER_TO_PB[after.effective],
        monthly_spend=money(after.spend, currency),
        overridden=after.overridden,
        reason=reason,
        version=after.version,
        occurred_at=timestamp(at),
    )
    return Event(
        message=msg,
        aggregate_type=TIER_AGGREGATE,
        aggregate_id=after.customer_id,
        version=after.version,
        occurred_at=at,
    )


def parse_amount(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)
