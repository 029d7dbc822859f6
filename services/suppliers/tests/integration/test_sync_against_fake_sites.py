"""Scrapes of the five fake supplier sites over real HTTP: every format, price changes
with alerts and events, conditional requests, a sixth supplier added as data."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

import grpc
import pytest

from cypher.suppliers.v1 import events_pb2 as ev
from cypher.suppliers.v1 import suppliers_pb2 as pb
from services.suppliers.tests.integration.suppliers_harness import Running

CATALOGUES = {"Aca Lighting": 48, "Braytron": 55, "Masterled": 36, "FSL": 42, "Arelux": 60}


async def test_every_supplier_and_format_syncs_completely(service: Running) -> None:
    suppliers = {name: await service.add_supplier(name) for name in CATALOGUES}
    for name, supplier in suppliers.items():
        run = await service.sync(supplier.id)
        size = CATALOGUES[name]
        assert run.status == pb.SYNC_RUN_STATUS_SUCCEEDED, (name, list(run.errors))
        assert (run.items_seen, run.items_new, run.items_unmapped) == (size, size, size), name
        assert run.items_changed == 0
        listed = await service.products(supplier.id, unmapped_only=True)
        assert len(listed) == size
    fsl = {p.supplier_sku: p for p in await service.products(suppliers["FSL"].id)}
    on_site = {i["supplier_sku"]: i for i in await service.site("GET", "/_fake/fsl/items")}
    assert {k: Decimal(p.price.amount) for k, p in fsl.items()} == {
        k: Decimal(i["price"]) for k, i in on_site.items()
    }
    assert all(p.stock_quantity == on_site[k]["stock"] for k, p in fsl.items())
    arelux = await service.products(suppliers["Arelux"].id, search="ARX-0001")
    assert arelux[0].price.currency == "EUR"
    completed = await service.events(ev.SupplierSyncCompleted, lambda m: True, count=5)
    assert {m.supplier_id for m in completed} == {s.id for s in suppliers.values()}


async def test_a_price_jump_raises_an_alert_and_every_change_is_announced(
    service: Running,
) -> None:
    masterled = await service.add_supplier("Masterled")
    await service.sync(masterled.id)
    mapped = await service.stub.CreateMapping(
        pb.CreateMappingRequest(
            supplier_id=masterled.id, supplier_sku="ML000001", sku="LED-PANEL-60"
        )
    )
    assert mapped.supplier_product.sku == "LED-PANEL-60"
    old = Decimal(mapped.supplier_product.price.amount)
    jump = (old * Decimal("1.15")).quantize(Decimal("0.01"))
    await service.site("PUT", "/_fake/masterled/items/ML000001", {"price": str(jump)})
    await service.site("PUT", "/_fake/masterled/items/ML000002", {"price": "999.99"})
    run = await service.sync(masterled.id)
    assert (run.items_changed, run.price_alerts_raised) == (2, 2)
    alerts = await service.stub.ListPriceAlerts(
        pb.ListPriceAlertsRequest(supplier_id=masterled.id, sku="LED-PANEL-60", open_only=True)
    )
    (alert,) = alerts.price_alerts
    assert (alert.old_price.amount, alert.new_price.amount) == (str(old), str(jump))
    assert abs(Decimal(alert.change_pct) - 15) < Decimal("0.1")  # cents rounding
    (changed,) = await service.events(ev.SupplierPriceChanged, lambda m: m.sku == "LED-PANEL-60")
    assert changed.alert_raised
    assert changed.price_alert_id == alert.id
    assert changed.new_price.amount == str(jump)
    assert changed.version == 3  # seen, mapped, changed

    small = (jump * Decimal("1.05")).quantize(Decimal("0.01"))
    await service.site("PUT", "/_fake/masterled/items/ML000001", {"price": str(small)})
    await service.sync(masterled.id)
    calm = await service.events(ev.SupplierPriceChanged, lambda m: m.new_price.amount == str(small))
    assert not calm[0].alert_raised
    assert calm[0].price_alert_id == ""
    still = await service.stub.ListPriceAlerts(
        pb.ListPriceAlertsRequest(sku="LED-PANEL-60", open_only=True)
    )
    assert len(still.price_alerts) == 1

    acked = await service.stub.AcknowledgePriceAlert(
        pb.AcknowledgePriceAlertRequest(price_alert_id=alert.id)
    )
    assert acked.price_alert.status == pb.PRICE_ALERT_STATUS_ACKNOWLEDGED
    again = await service.stub.AcknowledgePriceAlert(
        pb.AcknowledgePriceAlertRequest(price_alert_id=alert.id)
    )
    assert again.price_alert.acknowledged_at == acked.price_alert.acknowledged_at

    history = await service.stub.ListPriceHistory(
        pb.ListPriceHistoryRequest(supplier_id=masterled.id, supplier_sku="ML000001")
    )
    assert [p.price.amount for p in history.points] == [str(small), str(jump), str(old)]
    assert history.points[1].change_pct == alert.change_pct
    assert history.points[2].change_pct == ""  # first sighting


async def test_an_unchanged_feed_answers_not_modified(service: Running) -> None:
    fsl = await service.add_supplier("FSL")
    await service.sync(fsl.id)
    second = await service.sync(fsl.id)
    assert second.status == pb.SYNC_RUN_STATUS_SUCCEEDED
    assert second.items_seen == 0  # 304: nothing re-read
    log = await service.site("GET", "/_fake/requests?supplier=fsl")
    assert [r["status"] for r in log] == [200, 304]
    await service.site("PUT", "/_fake/fsl/items/FSL.00002", {"stock": 0})
    service.clock.advance(timedelta(hours=4))
    third = await service.sync(fsl.id)
    assert (third.items_seen, third.items_changed) == (42, 0)  # stock only: no price change
    (item,) = await service.products(fsl.id, search="FSL.00002")
    assert not item.in_stock
    (other,) = await service.products(fsl.id, search="FSL.00003")
    assert other.version == 1  # unchanged: not rewritten, but seen again
    assert other.last_seen_at.ToDatetime(tzinfo=UTC) == service.clock.now()


async def test_a_sixth_supplier_is_added_through_the_api_alone(service: Running) -> None:
    created = await service.stub.CreateSupplier(
        pb.CreateSupplierRequest(
            name="Lumen Distribuție",
            feed_format=pb.FEED_FORMAT_JSON,
            feed_url=f"{service.fakes.suppliers_url}/arelux/api/products?page=1&per_page=7",
            feed_config={
                "items_path": "items",
                "sku_field": "code",
                "price_field": "pricing.net",
                "name_field": "title",
                "next_page_path": "next",
            },
            currency="EUR",
            active=True,
            schedule=pb.SyncSchedule(
                interval_minutes=60, window_start_hour=7, window_end_hour=19, enabled=True
            ),
        )
    )
    run = await service.sync(created.supplier.id)
    assert run.status == pb.SYNC_RUN_STATUS_SUCCEEDED
    assert run.items_seen == 60
    pages = await service.site("GET", "/_fake/requests?supplier=arelux")
    assert len(pages) == 9  # 60 items, 7 a page
    got = await service.stub.GetSupplier(pb.GetSupplierRequest(supplier_id=created.supplier.id))
    assert got.supplier.schedule.interval_minutes == 60
    assert got.supplier.last_sync_status == pb.SYNC_RUN_STATUS_SUCCEEDED


async def test_bad_configuration_is_refused_with_field_errors(service: Running) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await service.stub.CreateSupplier(
            pb.CreateSupplierRequest(
                name="Broken",
                feed_format=pb.FEED_FORMAT_CSV,
                feed_url="not a url",
                feed_config={"sku_column": "code"},
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "feed_config.price_column" in (err.value.details() or "")
    await service.add_supplier("FSL")
    with pytest.raises(grpc.aio.AioRpcError) as dup:
        await service.add_supplier("FSL")
    assert dup.value.code() == grpc.StatusCode.ALREADY_EXISTS
