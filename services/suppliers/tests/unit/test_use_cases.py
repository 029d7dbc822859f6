"""Use cases on in-memory stores: scraped items applied (new, changed, unchanged),
alerts and events, mappings, runs, supplier orders and backorder drafts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from cypher.suppliers.v1 import events_pb2 as ev
from cypher_runtime.clock import FixedClock
from suppliers.domain.feed import FeedItem
from suppliers.domain.orders import OrderLine, OrderStatus
from suppliers.domain.supplier import FeedFormat, SupplierDraft
from suppliers.domain.sync import SyncRun, SyncTrigger
from suppliers.errors import SupplierInactive, ValidationFailed
from suppliers.service import BackorderLine, Policy, SuppliersService

from .memory_stores import Memory

T0 = datetime(2026, 12, 3, 10, tzinfo=UTC)
CSV = {"sku_column": "code", "price_column": "price"}


def service(memory: Memory, clock: FixedClock) -> SuppliersService:
    counter = itertools.count(1)
    return SuppliersService(
        clock, Policy(), new_id=lambda: f"id-{next(counter)}", stores=memory.stores
    )


def item(code: str, price: str, stock: int = 5) -> FeedItem:
    return FeedItem(code, f"Item {code}", Decimal(price), stock > 0, stock, "")


async def supplier(svc: SuppliersService, memory: Memory, name: str) -> str:
    created = await svc.create_supplier(
        memory.uow,
        SupplierDraft(
            name=name,
            feed_format=FeedFormat.CSV,
            feed_url=f"http://sites.test/{name}.csv",
            feed_config=CSV,
        ),
    )
    return created.id


async def scrape(
    svc: SuppliersService, memory: Memory, supplier_id: str, items: list[FeedItem]
) -> SyncRun:
    run, started = await svc.start_run(memory.uow, supplier_id, SyncTrigger.MANUAL)
    assert started
    assert run is not None
    s = await svc.get_supplier(memory.uow, supplier_id)
    await svc.apply_items(memory.uow, s, run, items)
    return await svc.finish_run(memory.uow, run, failed=False, validators=None)


async def test_items_new_changed_unchanged_with_alerts_and_events() -> None:
    memory, clock = Memory(), FixedClock(T0)
    svc = service(memory, clock)
    sid = await supplier(svc, memory, "masterled")
    first = await scrape(svc, memory, sid, [item("A", "10.00"), item("B", "20.00")])
    assert (first.items_seen, first.items_new, first.items_unmapped) == (2, 2, 2)
    await svc.map_item(memory.uow, sid, "A", "LED-A")
    clock.advance(timedelta(hours=4))
    second = await scrape(
        svc, memory, sid, [item("A", "11.50"), item("B", "20.00"), item("C", "1.00")]
    )
    assert (second.items_seen, second.items_new, second.items_changed) == (3, 1, 1)
    assert second.price_alerts_raised == 1
    (alert,) = memory.alerts.rows.values()
    assert (alert.sku, alert.change_pct) == ("LED-A", Decimal("15.00"))
    changes = [
        e.message for e in memory.uow_.published if isinstance(e.message, ev.SupplierPriceChanged)
    ]
    assert [(m.sku, m.alert_raised, m.price_alert_id) for m in changes] == [
        ("LED-A", True, alert.id)
    ]
    assert memory.products.rows[(sid, "B")].last_seen_at == clock.now()  # seen, not rewritten
    assert memory.products.rows[(sid, "B")].version == 1
    assert [p.price for p in memory.products.history] == [
        Decimal("10.00"),
        Decimal("20.00"),
        Decimal("11.50"),
        Decimal("1.00"),
    ]
    done = [
        e.message for e in memory.uow_.published if isinstance(e.message, ev.SupplierSyncCompleted)
    ]
    assert len(done) == 2


async def test_one_running_run_per_supplier_and_inactive_suppliers_refused() -> None:
    memory, clock = Memory(), FixedClock(T0)
    svc = service(memory, clock)
    sid = await supplier(svc, memory, "fsl")
    first, started = await svc.start_run(memory.uow, sid, SyncTrigger.MANUAL)
    again, started_again = await svc.start_run(memory.uow, sid, SyncTrigger.MANUAL)
    assert started
    assert not started_again
    assert again is first
    clock.advance(timedelta(hours=1))
    assert await svc.abandon_stale_runs(memory.uow, clock.now() - timedelta(minutes=20)) == 1
    assert first is not None
    assert memory.runs.rows[first.id].status == "FAILED"
    await svc.update_supplier(memory.uow, sid, SupplierDraft(active=False), 0)
    with pytest.raises(SupplierInactive):
        await svc.start_run(memory.uow, sid, SyncTrigger.MANUAL)


async def test_backorder_drafts_one_order_per_best_supplier_once() -> None:
    memory, clock = Memory(), FixedClock(T0)
    svc = service(memory, clock)
    cheap, dear = await supplier(svc, memory, "cheap"), await supplier(svc, memory, "dear")
    await scrape(svc, memory, cheap, [item("C1", "8.00"), item("C2", "3.00", stock=0)])
    await scrape(svc, memory, dear, [item("D1", "9.00"), item("D2", "4.00")])
    for sid, code, sku in (
        (cheap, "C1", "LED-1"),
        (dear, "D1", "LED-1"),
        (cheap, "C2", "LED-2"),
        (dear, "D2", "LED-2"),
    ):
        await svc.map_item(memory.uow, sid, code, sku)
    lines = [
        BackorderLine("LED-1", 4, datetime(2026, 12, 13).date()),
        BackorderLine("LED-2", 2, None),
        BackorderLine("LED-NONE", 1, None),
    ]
    drafts = await svc.draft_for_backorder(memory.uow, "order-1", lines)
    again = await svc.draft_for_backorder(memory.uow, "order-1", lines)
    assert [d.id for d in drafts] == [d.id for d in again]
    by_supplier = {d.supplier_id: d for d in drafts}
    # LED-1: cheapest in stock is "cheap"; LED-2: "cheap" is out of stock, so "dear".
    assert [(ln.sku, ln.supplier_sku, ln.quantity) for ln in by_supplier[cheap].lines] == [
        ("LED-1", "C1", 4)
    ]
    assert [(ln.sku, ln.unit_price) for ln in by_supplier[dear].lines] == [
        ("LED-2", Decimal("4.00"))
    ]
    assert all(d.status is OrderStatus.DRAFT for d in drafts)
    assert not any(isinstance(e.message, ev.SupplierOrderPlaced) for e in memory.uow_.published)


async def test_an_order_line_takes_the_mapped_item_and_its_price() -> None:
    memory, clock = Memory(), FixedClock(T0)
    svc = service(memory, clock)
    sid = await supplier(svc, memory, "aca")
    await scrape(svc, memory, sid, [item("ACA-1", "12.40")])
    await svc.map_item(memory.uow, sid, "ACA-1", "LED-9")
    order, replayed = await svc.create_order(
        memory.uow, sid, [OrderLine("LED-9", "", 3, Decimal(-1))], idempotency_key="k1"
    )
    assert not replayed
    assert (order.lines[0].supplier_sku, order.lines[0].unit_price) == ("ACA-1", Decimal("12.40"))
    assert order.status is OrderStatus.PLACED
    same, replayed = await svc.create_order(
        memory.uow, sid, [OrderLine("LED-9", "", 3, Decimal(-1))], idempotency_key="k1"
    )
    assert replayed
    assert same.id == order.id
    with pytest.raises(ValidationFailed):
        await svc.create_order(memory.uow, sid, [OrderLine("UNMAPPED", "", 1, Decimal(-1))])
