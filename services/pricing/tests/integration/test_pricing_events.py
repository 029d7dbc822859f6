"""Events out (through the outbox) and in (through the inbox), on the real broker."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from prometheus_client import REGISTRY
from sqlalchemy import select

from cypher.common.v1 import money_pb2
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.pricing.v1 import events_pb2, pricing_pb2
from cypher.suppliers.v1 import events_pb2 as suppliers_events
from cypher_runtime.messaging.envelope import event_type_of
from cypher_runtime.messaging.outbox_store import outbox
from cypher_testkit.polling import eventually
from services.pricing.tests.integration.pricing_harness import (
    Running,
    create,
    known_customer,
    money,
    rpc_error,
    ts,
)

pb = pricing_pb2

SUPPLIER_PRICE_CHANGED = event_type_of(suppliers_events.SupplierPriceChanged)
ORDER_CONFIRMED = event_type_of(orders_events.OrderConfirmed)
ORDER_CANCELLED = event_type_of(orders_events.OrderCancelled)
PRICE_UPDATED = event_type_of(events_pb2.PriceUpdated)
PRODUCT_UPSERTED = event_type_of(events_pb2.ProductUpserted)
TIER_CHANGED = event_type_of(events_pb2.CustomerTierChanged)
CUSTOMER_UPSERTED = event_type_of(orders_events.CustomerUpserted)


def consumed(pricing: Running, event_type: str, outcome: str) -> float:
    """How many events of a type this test's consumer handled with `outcome`."""
    for consumer in pricing.app.runtime.consumers:
        if event_type in consumer.subscriptions:
            value = REGISTRY.get_sample_value(
                "cypher_events_consumed_total",
                {
                    "service": "pricing",
                    "queue": consumer.queue_name,
                    "event_type": event_type,
                    "outcome": outcome,
                },
            )
            return value or 0.0
    raise AssertionError(f"no consumer for {event_type}")


async def wait_consumed(pricing: Running, event_type: str, outcome: str, count: int) -> None:
    await eventually(
        lambda: _async(consumed(pricing, event_type, outcome)),
        lambda n: n >= count,
        what=f"{count} {outcome} {event_type}",
    )


async def _async(value: Any) -> Any:
    return value


async def product_of(pricing: Running, sku: str) -> pb.Product:
    return (await pricing.stub.GetProduct(pb.GetProductRequest(sku=sku))).product


# -- events out ---------------------------------------------------------------------------
async def test_create_publishes_product_upserted_and_price_updated(pricing: Running) -> None:
    await create(pricing, cost="100", margin="35")

    [upserted] = await pricing.events.wait_for(PRODUCT_UPSERTED)
    [price] = await pricing.events.wait_for(PRICE_UPDATED)

    assert isinstance(upserted, events_pb2.ProductUpserted)
    assert (upserted.product.sku, upserted.created, upserted.version) == ("LED-1", True, 1)
    assert isinstance(price, events_pb2.PriceUpdated)
    assert price.reason == pb.PRICE_CHANGE_REASON_CREATED
    assert (price.new_list_price.amount, price.new_cost.amount, price.version) == (
        "135.00",
        "100.00",
        1,
    )
    assert not price.HasField("old_list_price")
    assert (price.vat_rate, price.new_list_price_gross.amount) == ("21", "163.35")
    assert price.new_effective_price.amount == "135.00"
    [envelope] = pricing.events.of_type(PRICE_UPDATED)
    assert (envelope.subject, envelope.version, envelope.source) == ("LED-1", 1, "/cypher/pricing")


async def test_cost_and_margin_changes_publish_versioned_price_updates(pricing: Running) -> None:
    await create(pricing)
    await pricing.stub.UpdateCost(pb.UpdateCostRequest(sku="LED-1", cost=money("120")))
    await pricing.stub.UpdateProduct(pb.UpdateProductRequest(sku="LED-1", name="Renamed"))
    await pricing.stub.UpdateProduct(pb.UpdateProductRequest(sku="LED-1", margin_pct="50"))

    prices = await pricing.events.wait_for(PRICE_UPDATED, count=3)
    upserts = await pricing.events.wait_for(PRODUCT_UPSERTED, count=4)

    summary = sorted(
        (p.version, p.reason, p.old_list_price.amount, p.new_list_price.amount) for p in prices
    )
    assert summary == [
        (1, pb.PRICE_CHANGE_REASON_CREATED, "", "135.00"),
        (2, pb.PRICE_CHANGE_REASON_COST_UPDATED, "135.00", "162.00"),
        # version 3 was the rename: a product.upserted but no price change
        (4, pb.PRICE_CHANGE_REASON_MARGIN_UPDATED, "162.00", "180.00"),
    ]
    assert sorted(u.version for u in upserts) == [1, 2, 3, 4]


# -- events in: supplier prices -------------------------------------------------------------
def supplier_price(
    sku: str, amount: str, *, version: int, supplier: str = "sup-aca"
) -> suppliers_events.SupplierPriceChanged:
    return suppliers_events.SupplierPriceChanged(
        supplier_id=supplier,
        supplier_sku=f"X-{sku}",
        sku=sku,
        old_price=money_pb2.Money(amount="100.00", currency="RON"),
        new_price=money_pb2.Money(amount=amount, currency="RON"),
        change_pct="12.5",
        version=version,
    )


async def publish_supplier(pricing: Running, msg: Any, *, event_id: str | None = None) -> str:
    return await pricing.publish(
        msg,
        subject=f"{msg.supplier_id}:{msg.supplier_sku}",
        aggregate_type="supplier_product",
        version=msg.version,
        event_id=event_id,
        source="/cypher/suppliers",
    )


async def test_supplier_price_change_updates_followers_once(pricing: Running) -> None:
    await create(pricing, "FOLLOW", supplier_id="sup-aca", follows=True)
    await create(pricing, "STAYS", supplier_id="sup-aca", follows=False)

    first = await publish_supplier(pricing, supplier_price("FOLLOW", "112.50", version=5))
    [price] = await pricing.events.wait_for(
        PRICE_UPDATED, lambda m: m.reason == pb.PRICE_CHANGE_REASON_SUPPLIER_COST
    )
    assert (price.sku, price.old_cost.amount, price.new_cost.amount) == (
        "FOLLOW",
        "100.00",
        "112.50",
    )
    assert (price.supplier_id, price.new_list_price.amount, price.version) == (
        "sup-aca",
        "151.88",
        2,
    )

    # The same event again, then an older version of the supplier item: no effect.
    await publish_supplier(pricing, supplier_price("FOLLOW", "112.50", version=5), event_id=first)
    await publish_supplier(pricing, supplier_price("FOLLOW", "90.00", version=4))
    # A product that does not follow its supplier keeps its cost.
    await publish_supplier(pricing, supplier_price("STAYS", "80.00", version=1))
    await wait_consumed(pricing, SUPPLIER_PRICE_CHANGED, "duplicate", 1)
    await wait_consumed(pricing, SUPPLIER_PRICE_CHANGED, "stale", 1)
    await wait_consumed(pricing, SUPPLIER_PRICE_CHANGED, "applied", 2)

    follow = await product_of(pricing, "FOLLOW")
    stays = await product_of(pricing, "STAYS")
    assert (follow.cost.amount, follow.version) == ("112.50", 2)
    assert (stays.cost.amount, stays.version) == ("100.00", 1)
    supplier_updates = [
        p
        for p in pricing.events.of_type(PRICE_UPDATED)
        if p.message.supplier_id  # type: ignore[attr-defined]
    ]
    assert len(supplier_updates) == 1


async def test_supplier_price_change_refreshes_a_cached_price(pricing: Running) -> None:
    await create(pricing, "FOLLOW", supplier_id="sup-aca", follows=True)
    before = (await pricing.stub.GetPrice(pb.GetPriceRequest(sku="FOLLOW"))).line

    await publish_supplier(pricing, supplier_price("FOLLOW", "200", version=1))

    async def price() -> str:
        line = (await pricing.stub.GetPrice(pb.GetPriceRequest(sku="FOLLOW"))).line
        return line.unit_net.amount

    assert before.unit_net.amount == "135.00"
    assert await eventually(price, lambda p: p == "270.00", what="new price served")


# -- events in: orders → spend → tier ----------------------------------------------------------
def confirmed(order_id: str, customer: str, net: str, *, at: Any) -> Any:
    return orders_events.OrderConfirmed(
        order_id=order_id,
        number="CMD-2026-000001",
        customer_id=customer,
        net_total=money_pb2.Money(amount=net, currency="RON"),
        confirmed_at=ts(at),
        version=2,
        occurred_at=ts(at),
    )


def cancelled(order_id: str, customer: str, net: str) -> Any:
    return orders_events.OrderCancelled(
        order_id=order_id,
        customer_id=customer,
        net_total=money_pb2.Money(amount=net, currency="RON"),
        version=5,
    )


async def publish_order(pricing: Running, msg: Any, *, event_id: str | None = None) -> str:
    return await pricing.publish(
        msg,
        subject=msg.order_id,
        aggregate_type="order",
        version=msg.version,
        event_id=event_id,
        source="/cypher/orders",
    )


async def outbox_rows(pricing: Running, event_type: str) -> list[str]:
    """Aggregate ids of the events of a type written to the outbox so far."""
    async with pricing.app.runtime.db.engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.aggregate_id).where(outbox.c.event_type == event_type)
        )
        return [r.aggregate_id for r in rows]


async def tier_of(pricing: Running, customer: str) -> pb.CustomerTier:
    return (
        await pricing.stub.GetCustomerTier(pb.GetCustomerTierRequest(customer_id=customer))
    ).customer_tier


async def test_confirmed_orders_raise_the_tier_strictly_above_the_threshold(
    pricing: Running,
) -> None:
    customer = str(uuid.uuid4())
    now = pricing.clock.now()

    await publish_order(pricing, confirmed(str(uuid.uuid4()), customer, "5000.00", at=now))
    await wait_consumed(pricing, ORDER_CONFIRMED, "applied", 1)
    at_threshold = await tier_of(pricing, customer)
    # Same customer, id in upper case: still the same customer.
    await publish_order(pricing, confirmed(str(uuid.uuid4()), customer.upper(), "0.01", at=now))
    [changed] = await pricing.events.wait_for(TIER_CHANGED)
    above = await tier_of(pricing, customer)

    assert (at_threshold.tier, at_threshold.monthly_spend.amount) == (pb.TIER_STANDARD, "5000.00")
    assert (above.tier, above.monthly_spend.amount) == (pb.TIER_1, "5000.01")
    assert (changed.customer_id, changed.old_tier, changed.new_tier) == (
        customer,
        pb.TIER_STANDARD,
        pb.TIER_1,
    )
    assert changed.monthly_spend.amount == "5000.01"
    assert not changed.overridden


async def test_replayed_confirm_counts_once_and_cancel_removes_the_spend(pricing: Running) -> None:
    customer = str(uuid.uuid4())
    order = str(uuid.uuid4())
    now = pricing.clock.now()

    event_id = await publish_order(pricing, confirmed(order, customer, "6000", at=now))
    await pricing.events.wait_for(TIER_CHANGED)
    await publish_order(pricing, confirmed(order, customer, "6000", at=now), event_id=event_id)
    await wait_consumed(pricing, ORDER_CONFIRMED, "duplicate", 1)
    once = await tier_of(pricing, customer)
    await publish_order(pricing, cancelled(order, customer, "6000"))
    await pricing.events.wait_for(TIER_CHANGED, count=2)
    after_cancel = await tier_of(pricing, customer)

    assert (once.tier, once.monthly_spend.amount) == (pb.TIER_1, "6000.00")
    assert (after_cancel.tier, after_cancel.monthly_spend.amount) == (pb.TIER_STANDARD, "0.00")
    versions = [e.message.version for e in pricing.events.of_type(TIER_CHANGED)]  # type: ignore[attr-defined]
    assert versions == sorted(versions)


async def test_cancel_arriving_before_its_confirm_still_ends_cancelled(pricing: Running) -> None:
    customer = str(uuid.uuid4())
    order = str(uuid.uuid4())
    other = str(uuid.uuid4())
    now = pricing.clock.now()

    await publish_order(pricing, cancelled(order, customer, "20000"))
    await wait_consumed(pricing, ORDER_CANCELLED, "applied", 1)
    await publish_order(pricing, confirmed(order, customer, "20000", at=now))
    await wait_consumed(pricing, ORDER_CONFIRMED, "stale", 1)
    # The same late confirm under another aggregate version header (no versioning): the
    # spend rows still keep the order cancelled.
    late = confirmed(order, customer, "20000", at=now)
    await pricing.publish(late, subject=order, aggregate_type="order", version=None)
    await publish_order(pricing, confirmed(other, customer, "10", at=now))
    await wait_consumed(pricing, ORDER_CONFIRMED, "applied", 2)
    # Every effect of those events is committed (the consumer counts after its commit):
    # a tier change would be in the outbox now. And on the broker, a sentinel change
    # written after them arrives after anything they announced.
    in_outbox = await outbox_rows(pricing, TIER_CHANGED)
    sentinel = await known_customer(pricing)
    await pricing.stub.SetCustomerTierOverride(
        pb.SetCustomerTierOverrideRequest(customer_id=sentinel, tier=pb.TIER_1)
    )
    await pricing.events.wait_for(TIER_CHANGED, lambda m: m.customer_id == sentinel)

    tier = await tier_of(pricing, customer)
    assert (tier.tier, tier.monthly_spend.amount) == (pb.TIER_STANDARD, "10.00")
    assert in_outbox == []
    assert [e.message.customer_id for e in pricing.events.of_type(TIER_CHANGED)] == [sentinel]  # type: ignore[attr-defined]


async def test_spend_ages_out_of_the_window_and_the_sweep_lowers_the_tier(
    pricing: Running,
) -> None:
    customer = str(uuid.uuid4())
    now = pricing.clock.now()
    await publish_order(pricing, confirmed(str(uuid.uuid4()), customer, "16000", at=now))
    await pricing.events.wait_for(TIER_CHANGED, lambda m: m.new_tier == pb.TIER_2)

    pricing.clock.advance(timedelta(days=30))
    live = await tier_of(pricing, customer)
    svc = pricing.app.service
    swept = await svc.write(svc.customers.sweep_tiers)
    [dropped] = await pricing.events.wait_for(
        TIER_CHANGED, lambda m: m.new_tier == pb.TIER_STANDARD
    )

    assert (live.tier, live.monthly_spend.amount) == (pb.TIER_STANDARD, "0.00")
    assert swept == 1
    assert (dropped.old_tier, dropped.reason) == (pb.TIER_2, "spend aged out")


async def test_tier_changes_reprice_a_cached_customer(pricing: Running) -> None:
    await create(pricing)
    customer = str(uuid.uuid4())
    request = pb.GetPriceRequest(sku="LED-1", customer_id=customer)
    standard = (await pricing.stub.GetPrice(request)).line  # now cached

    await publish_order(
        pricing, confirmed(str(uuid.uuid4()), customer, "30000.01", at=pricing.clock.now())
    )

    async def tier() -> int:
        return (await pricing.stub.GetPrice(request)).line.tier

    assert standard.tier == pb.TIER_STANDARD
    await eventually(tier, lambda t: t == pb.TIER_3, what="TIER_3 price served")
    line = (await pricing.stub.GetPrice(request)).line
    assert (line.tier_discount_pct, line.unit_net.amount) == ("15", "114.75")


async def test_override_publishes_tier_changed(pricing: Running) -> None:
    customer = await known_customer(pricing)

    await pricing.stub.SetCustomerTierOverride(
        pb.SetCustomerTierOverrideRequest(customer_id=customer, tier=pb.TIER_3, reason="VIP")
    )
    [changed] = await pricing.events.wait_for(TIER_CHANGED)

    assert (changed.new_tier, changed.overridden, changed.reason) == (pb.TIER_3, True, "VIP")


# -- known customers (a tier override needs an existing customer) ---------------------------
async def test_a_tier_override_for_an_unknown_customer_is_not_found(pricing: Running) -> None:
    stranger = str(uuid.uuid4())

    err = await rpc_error(
        pricing.stub.SetCustomerTierOverride(
            pb.SetCustomerTierOverrideRequest(customer_id=stranger, tier=pb.TIER_3)
        )
    )
    tier = await tier_of(pricing, stranger)

    assert (err.status.name, err.code) == ("NOT_FOUND", "CUSTOMER_NOT_FOUND")
    assert err.details == {"customer_id": stranger}
    assert (tier.tier, tier.overridden) == (pb.TIER_STANDARD, False)  # nothing was stored


async def test_customer_upserted_makes_a_customer_known(pricing: Running) -> None:
    customer = str(uuid.uuid4())
    before = await rpc_error(
        pricing.stub.SetCustomerTierOverride(
            pb.SetCustomerTierOverrideRequest(customer_id=customer, tier=pb.TIER_2)
        )
    )

    await known_customer(pricing, customer, version=3)
    set_tier = await pricing.stub.SetCustomerTierOverride(
        pb.SetCustomerTierOverrideRequest(customer_id=customer, tier=pb.TIER_2)
    )
    # An older version arriving late is recorded as stale and changes nothing.
    await known_customer(pricing, customer, version=2)
    await wait_consumed(pricing, CUSTOMER_UPSERTED, "stale", 1)

    assert before.code == "CUSTOMER_NOT_FOUND"
    assert (set_tier.customer_tier.tier, set_tier.customer_tier.overridden) == (pb.TIER_2, True)
    assert consumed(pricing, CUSTOMER_UPSERTED, "applied") == 1


async def test_a_customer_with_a_confirmed_order_is_known(pricing: Running) -> None:
    customer = str(uuid.uuid4())
    await publish_order(
        pricing, confirmed(str(uuid.uuid4()), customer, "10", at=pricing.clock.now())
    )
    await wait_consumed(pricing, ORDER_CONFIRMED, "applied", 1)

    reply = await pricing.stub.SetCustomerTierOverride(
        pb.SetCustomerTierOverrideRequest(customer_id=customer, tier=pb.TIER_1, reason="loyal")
    )

    assert (reply.customer_tier.tier, reply.customer_tier.monthly_spend.amount) == (
        pb.TIER_1,
        "10.00",
    )
