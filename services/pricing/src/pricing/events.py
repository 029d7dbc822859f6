"""The events pricing publishes, built from the changes the use cases record
(`ProductSaved`, `PriceChanged`, `TierChanged`) and written through the outbox with
`uow.publish(*events.published(...))`.

Aggregate types differ per event so that a consumer applying several of them with
version checks does not mistake product.upserted v7 for an already-applied price v7.
"""

from __future__ import annotations

from cypher.pricing.v1 import events_pb2
from cypher_runtime.messaging.envelope import Event
from cypher_runtime.proto_values import money_pb, timestamp_pb
from pricing.domain.customer import TierChanged
from pricing.domain.price_change import PriceChanged, ProductSaved
from pricing.wire.api import REASON_TO_PB, TIER_TO_PB, VAT_TO_PB, pct_text, product_pb

PRICE_AGGREGATE = "product_price"
PRODUCT_AGGREGATE = "product"
TIER_AGGREGATE = "customer_tier"

Change = ProductSaved | PriceChanged | TierChanged


def published(*changes: Change) -> list[Event]:
    """The events announcing `changes`, in order; a price change that moved nothing a
    subscriber sees (`PriceChanged.announced`) is not announced."""
    out: list[Event] = []
    for change in changes:
        if isinstance(change, ProductSaved):
            out.append(product_upserted(change))
        elif isinstance(change, PriceChanged):
            if change.announced:
                out.append(price_updated(change))
        else:
            out.append(customer_tier_changed(change))
    return out


def price_updated(change: PriceChanged) -> Event:
    before, after, new = change.before, change.after, change.new
    c = after.currency
    msg = events_pb2.PriceUpdated(
        sku=after.sku,
        new_list_price=money_pb(after.list_price, c),
        new_cost=money_pb(after.cost, c),
        margin_pct=pct_text(after.margin_pct),
        vat_category=VAT_TO_PB[after.vat_category],
        vat_rate=pct_text(new.vat_rate_pct),
        new_list_price_gross=money_pb(change.new_list_price_gross, c),
        reason=REASON_TO_PB[change.reason],
        reason_detail=change.detail,
        supplier_id=change.supplier_id,
        version=after.version,
        occurred_at=timestamp_pb(change.at),
        new_effective_price=money_pb(new.unit_net, c),
        promotion_id=new.promotion_id or "",
        promotion_discount_pct=pct_text(new.promotion_discount_pct) if new.promotion_id else "",
        new_effective_price_gross=money_pb(new.unit_gross, c),
    )
    if before is not None:
        msg.old_list_price.CopyFrom(money_pb(before.list_price, before.currency))
        msg.old_cost.CopyFrom(money_pb(before.cost, before.currency))
    if change.old is not None:
        msg.old_effective_price.CopyFrom(money_pb(change.old.unit_net, change.old.currency))
    return Event(
        message=msg,
        aggregate_type=PRICE_AGGREGATE,
        aggregate_id=after.sku,
        version=after.version,
        occurred_at=change.at,
    )


def product_upserted(saved: ProductSaved) -> Event:
    product = saved.product
    msg = events_pb2.ProductUpserted(
        product=product_pb(product, saved.created_at, saved.updated_at),
        created=saved.created,
        version=product.version,
        occurred_at=timestamp_pb(saved.updated_at),
    )
    return Event(
        message=msg,
        aggregate_type=PRODUCT_AGGREGATE,
        aggregate_id=product.sku,
        version=product.version,
        occurred_at=saved.updated_at,
    )


def customer_tier_changed(change: TierChanged) -> Event:
    before, after = change.before, change.after
    msg = events_pb2.CustomerTierChanged(
        customer_id=after.customer_id,
        old_tier=TIER_TO_PB[before.effective],
        new_tier=TIER_TO_PB[after.effective],
        monthly_spend=money_pb(after.spend, change.currency),
        overridden=after.overridden,
        reason=change.reason,
        version=after.version,
        occurred_at=timestamp_pb(change.at),
    )
    return Event(
        message=msg,
        aggregate_type=TIER_AGGREGATE,
        aggregate_id=after.customer_id,
        version=after.version,
        occurred_at=change.at,
    )
