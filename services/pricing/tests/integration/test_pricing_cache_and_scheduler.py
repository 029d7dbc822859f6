"""The price cache (hits, invalidation on writes and on events from other replicas) and
the promotion boundary scheduler driven by an injected clock."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select, text

from cypher.pricing.v1 import events_pb2, pricing_pb2
from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.envelope import event_type_of
from cypher_runtime.messaging.outbox_store import outbox
from cypher_testkit.broker import BrokerScope
from cypher_testkit.polling import eventually
from pricing.cache import PRODUCT
from pricing.domain.product import ProductChanges
from services.pricing.tests.integration.pricing_harness import (
    DatabaseFactory,
    Running,
    create,
    known_customer,
    money,
    running_service,
    ts,
)

PRICE_UPDATED = event_type_of(events_pb2.PriceUpdated)

pb = pricing_pb2


async def unit_net(pricing: Running, sku: str = "LED-1", customer_id: str = "") -> str:
    line = (await pricing.stub.GetPrice(pb.GetPriceRequest(sku=sku, customer_id=customer_id))).line
    return line.unit_net.amount


async def metric(pricing: Running, name: str, kind: str) -> float:
    async with httpx.AsyncClient() as client:
        body = (await client.get(f"http://127.0.0.1:{pricing.settings.http_port}/metrics")).text
    match = re.search(rf'^{name}{{kind="{kind}"}} ([0-9.e+]+)$', body, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


# -- cache ---------------------------------------------------------------------------------
async def test_prices_are_cached_until_another_replica_announces_a_change(
    pricing: Running,
) -> None:
    await create(pricing)
    hits_before = await metric(pricing, "cypher_pricing_cache_hits_total", "product")
    misses_before = await metric(pricing, "cypher_pricing_cache_misses_total", "product")
    assert await unit_net(pricing) == "135.00"  # miss: loaded and cached

    # Another replica changes the row; this process has not heard of it yet.
    async with pricing.app.runtime.db.engine.begin() as conn:
        await conn.execute(text("UPDATE products SET cost = 200 WHERE sku = 'LED-1'"))
    served = await unit_net(pricing)
    # …until that replica's price.updated arrives through the broker.
    await pricing.publish(
        events_pb2.PriceUpdated(sku="LED-1", version=99),
        subject="LED-1",
        aggregate_type="product_price",
        version=99,
        source="/cypher/pricing",
    )
    refreshed = await eventually(
        lambda: unit_net(pricing), lambda p: p == "270.00", what="fresh price"
    )

    assert served == "135.00"  # a hit: the stale row was not read
    assert refreshed == "270.00"
    assert await metric(pricing, "cypher_pricing_cache_hits_total", "product") > hits_before
    assert await metric(pricing, "cypher_pricing_cache_misses_total", "product") > misses_before


async def test_a_write_invalidates_the_cache_at_once(pricing: Running) -> None:
    await create(pricing)
    assert await unit_net(pricing) == "135.00"

    await pricing.stub.UpdateCost(pb.UpdateCostRequest(sku="LED-1", cost=money("120")))
    after_cost = await unit_net(pricing)
    now = pricing.clock.now()
    await pricing.stub.CreatePromotion(
        pb.CreatePromotionRequest(
            name="cat",
            category="bulbs",
            discount_pct="10",
            starts_at=ts(now),
            ends_at=ts(now + timedelta(days=1)),
        )
    )
    after_promo = await unit_net(pricing)

    assert after_cost == "162.00"
    assert after_promo == "145.80"


async def test_a_write_drops_what_it_changed_once_committed(pricing: Running) -> None:
    """Not through the broker: `write` itself drops the entry after the commit, before it
    returns (the invalidation listener would only do so once the relay published)."""
    await create(pricing)
    await pricing.events.wait_for(PRICE_UPDATED)  # the create's own invalidation is past
    svc = pricing.app.service

    async def cached() -> object:
        await unit_net(pricing)
        return svc.cache.get(PRODUCT, "LED-1")

    cached_before = await eventually(cached, lambda v: v is not None, what="LED-1 cached")

    async def failing(uow: UnitOfWork) -> None:
        await svc.products.update(uow, "LED-1", ProductChanges(cost=Decimal(110)))
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await svc.write(failing)
    kept_after_rollback = svc.cache.get(PRODUCT, "LED-1")
    await svc.write(
        lambda uow: svc.products.update(uow, "LED-1", ProductChanges(cost=Decimal(120)))
    )
    dropped = svc.cache.get(PRODUCT, "LED-1")

    assert cached_before is not None
    assert kept_after_rollback is not None
    assert dropped is None


# -- promotion boundaries ----------------------------------------------------------------------
async def test_scheduler_announces_promotion_start_and_end(pricing: Running) -> None:
    await create(pricing)
    now = pricing.clock.now()
    starts, ends = now + timedelta(hours=1), now + timedelta(hours=2)
    promo = (
        await pricing.stub.CreatePromotion(
            pb.CreatePromotionRequest(
                name="Flash", sku="LED-1", discount_pct="20", starts_at=ts(starts), ends_at=ts(ends)
            )
        )
    ).promotion
    svc = pricing.app.service
    assert await svc.write(svc.promotions.emit_due_boundaries) == 0  # nothing due yet
    assert await unit_net(pricing) == "135.00"

    pricing.clock.set(starts)  # the start instant itself: active
    [started] = await pricing.events.wait_for(
        PRICE_UPDATED, lambda m: m.reason == pb.PRICE_CHANGE_REASON_PROMOTION
    )
    at_start = await unit_net(pricing)
    pricing.clock.set(ends - timedelta(microseconds=1))
    assert await svc.write(svc.promotions.emit_due_boundaries) == 0
    before_end = await unit_net(pricing)
    pricing.clock.set(ends)  # the end instant: inactive
    promo_events = await pricing.events.wait_for(
        PRICE_UPDATED, lambda m: m.reason == pb.PRICE_CHANGE_REASON_PROMOTION, count=2
    )
    at_end = await unit_net(pricing)

    assert (started.old_effective_price.amount, started.new_effective_price.amount) == (
        "135.00",
        "108.00",
    )
    assert (started.promotion_id, started.promotion_discount_pct) == (promo.id, "20")
    assert started.new_effective_price_gross.amount == "130.68"
    assert started.new_list_price.amount == "135.00"
    assert (at_start, before_end, at_end) == ("108.00", "108.00", "135.00")
    ended = promo_events[1]
    assert (ended.old_effective_price.amount, ended.new_effective_price.amount) == (
        "108.00",
        "135.00",
    )
    assert ended.promotion_id == ""
    versions = [e.version for e in pricing.events.of_type(PRICE_UPDATED)]
    assert versions == [1, 2, 3]


async def test_ending_a_category_promotion_now_reprices_every_sku(pricing: Running) -> None:
    for sku in ("A", "B"):
        await create(pricing, sku, category="strips")
    await create(pricing, "OTHER", category="bulbs")
    now = pricing.clock.now()
    promo = (
        await pricing.stub.CreatePromotion(
            pb.CreatePromotionRequest(
                name="Strips",
                category="strips",
                discount_pct="50",
                starts_at=ts(now - timedelta(days=1)),
                ends_at=ts(now + timedelta(days=1)),
            )
        )
    ).promotion
    started = await pricing.events.wait_for(
        PRICE_UPDATED, lambda m: m.reason == pb.PRICE_CHANGE_REASON_PROMOTION, count=2
    )

    await pricing.stub.EndPromotion(pb.EndPromotionRequest(promotion_id=promo.id))
    promo_events = await pricing.events.wait_for(
        PRICE_UPDATED, lambda m: m.reason == pb.PRICE_CHANGE_REASON_PROMOTION, count=4
    )

    assert sorted(m.sku for m in started) == ["A", "B"]
    assert sorted((m.sku, m.new_effective_price.amount) for m in promo_events[2:]) == [
        ("A", "135.00"),
        ("B", "135.00"),
    ]
    assert await unit_net(pricing, "A") == "135.00"
    svc = pricing.app.service
    pricing.clock.advance(timedelta(days=2))  # its planned end passes: already announced
    assert await svc.write(svc.promotions.emit_due_boundaries) == 0


async def test_two_replicas_announce_each_boundary_once(
    pricing: Running, database_factory: DatabaseFactory, broker_scope: BrokerScope
) -> None:
    for sku in ("S1", "S2", "S3"):
        await create(pricing, sku, category="spots")
    now = pricing.clock.now()
    starts = now + timedelta(minutes=5)
    engine = pricing.app.runtime.db.engine
    async with running_service(
        database_factory,
        broker_scope,
        database_url=pricing.settings.database_url,
        clock=pricing.clock,
    ):
        await pricing.stub.CreatePromotion(
            pb.CreatePromotionRequest(
                name="Spots",
                category="spots",
                discount_pct="5",
                starts_at=ts(starts),
                ends_at=ts(starts + timedelta(hours=1)),
            )
        )
        pricing.clock.set(starts)  # both schedulers see it due

        async def start_announced() -> bool:
            async with engine.connect() as conn:
                q = text(
                    "SELECT count(*) FROM promotion_boundaries "
                    "WHERE kind = 'START' AND emitted_at IS NOT NULL"
                )
                return int((await conn.execute(q)).scalar_one()) == 1

        await eventually(start_announced, what="start boundary announced")
        # Fence: this lock waits for every transaction still holding a lock on the
        # boundaries (a second scheduler that also claimed the boundary, if they could
        # both claim it) to end, so every announcement ever made is in the outbox now.
        async with engine.begin() as conn:
            await conn.execute(text("LOCK TABLE promotion_boundaries IN ACCESS EXCLUSIVE MODE"))

    async with engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.payload).where(outbox.c.event_type == PRICE_UPDATED)
        )
        stored = [events_pb2.PriceUpdated.FromString(r.payload) for r in rows]
    in_outbox = [m.sku for m in stored if m.reason == pb.PRICE_CHANGE_REASON_PROMOTION]
    # On the broker too: a sentinel written after the fence is published after them.
    await create(pricing, "SENTINEL", category="other")
    await pricing.events.wait_for(PRICE_UPDATED, lambda m: m.sku == "SENTINEL")
    announced = [
        e.message.sku  # type: ignore[attr-defined]
        for e in pricing.events.of_type(PRICE_UPDATED)
        if e.message.reason == pb.PRICE_CHANGE_REASON_PROMOTION  # type: ignore[attr-defined]
    ]

    assert sorted(in_outbox) == ["S1", "S2", "S3"]
    assert sorted(announced) == ["S1", "S2", "S3"]


async def test_quote_of_50_lines_costs_one_database_statement(pricing: Running) -> None:
    from sqlalchemy import event

    for i in range(50):
        await create(pricing, f"Q{i:02d}", category=f"c{i % 3}")
    now = pricing.clock.now()
    await pricing.stub.CreatePromotion(
        pb.CreatePromotionRequest(
            name="c1",
            category="c1",
            discount_pct="10",
            starts_at=ts(now),
            ends_at=ts(now + timedelta(days=1)),
        )
    )
    customer = await known_customer(pricing, "8f14e45f-ceea-467f-a0e6-000000000001")
    await pricing.stub.SetCustomerTierOverride(
        pb.SetCustomerTierOverrideRequest(customer_id=customer, tier=pb.TIER_1)
    )
    request = pb.QuoteLinesRequest(
        customer_id=customer,
        lines=[pb.QuoteLineInput(sku=f"Q{i:02d}", quantity=i + 1) for i in range(50)],
    )
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        # The same engine serves the outbox relay, the health probe and the promotion
        # scheduler's polling too; those statements are not the quote's.
        background = ("outbox", "promotion_boundaries", "inbox")
        if statement.strip() != "SELECT 1" and not any(t in statement for t in background):
            statements.append(statement)

    engine = pricing.app.runtime.db.engine.sync_engine
    pricing.app.service.cache.clear()  # cold: products, promotions, tier and rules all missing
    event.listen(engine, "before_cursor_execute", count)

    async def statements_of_one_call() -> int:
        statements.clear()
        assert await pricing.stub.QuoteLines(request) == cold
        return len(statements)

    try:
        cold = await pricing.stub.QuoteLines(request)
        cold_statements = list(statements)
        # This replica's own events (from the setup above) still arrive and invalidate
        # entries for a moment; once they are through, a call needs no statement at all.
        await eventually(statements_of_one_call, lambda n: n == 0, what="quote from cache")
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert len(cold.lines) == 50
    assert {line.tier for line in cold.lines} == {pb.TIER_1}
    assert sum(1 for line in cold.lines if line.promotion_id) == 17  # the c1 products
    assert len(cold_statements) == 1, cold_statements
