"""Faults of the fake sites: retries with backoff, failing suppliers that do not stop the
others, garbage, 10 MB pages and endless bodies recorded as errors in bounded time —
never a crash, never a wrong price stored, never a stuck run."""

from __future__ import annotations

import asyncio
import time

from cypher.suppliers.v1 import suppliers_pb2 as pb
from services.suppliers.tests.integration.suppliers_harness import Running


async def prices(service: Running, supplier_id: str) -> dict[str, str]:
    return {p.supplier_sku: p.price.amount for p in await service.products(supplier_id)}


async def test_transient_errors_are_retried_and_the_run_succeeds(service: Running) -> None:
    aca = await service.add_supplier("Aca Lighting")
    await service.site("POST", "/_fake/aca/faults", {"mode": "http500", "count": 2})
    run = await service.sync(aca.id)
    assert run.status == pb.SYNC_RUN_STATUS_SUCCEEDED
    assert run.items_seen == 48
    log = await service.site("GET", "/_fake/requests?supplier=aca")
    assert [r["status"] for r in log] == [500, 500, 200, 200, 200]  # 3 pages, 2 retries


async def test_a_slow_site_is_retried_after_the_request_timeout(service: Running) -> None:
    masterled = await service.add_supplier("Masterled")
    await service.site(
        "POST", "/_fake/masterled/faults", {"mode": "timeout", "count": 1, "delay_seconds": 10}
    )
    started = time.monotonic()
    run = await service.sync(masterled.id)
    assert run.status == pb.SYNC_RUN_STATUS_SUCCEEDED
    assert time.monotonic() - started < 8  # 2 s request deadline, not the site's 10 s


async def test_a_failing_supplier_never_stops_the_others(service: Running) -> None:
    fsl = await service.add_supplier("FSL")
    arelux = await service.add_supplier("Arelux")
    await service.site("POST", "/_fake/fsl/faults", {"mode": "http500", "count": 10})
    runs = await asyncio.gather(service.sync(fsl.id), service.sync(arelux.id))
    failed, fine = runs
    assert failed.status == pb.SYNC_RUN_STATUS_FAILED
    assert "HTTP 500 (after 4 attempts)" in failed.errors[0]
    assert fine.status == pb.SYNC_RUN_STATUS_SUCCEEDED
    assert fine.items_seen == 60
    supplier = await service.stub.GetSupplier(pb.GetSupplierRequest(supplier_id=fsl.id))
    assert supplier.supplier.last_sync_status == pb.SYNC_RUN_STATUS_FAILED


async def test_garbage_fails_the_run_and_keeps_the_stored_prices(service: Running) -> None:
    suppliers = {n: await service.add_supplier(n) for n in ("Braytron", "FSL", "Arelux")}
    before = {n: await prices(service, s.id) for n, s in suppliers.items()}
    for name, s in suppliers.items():
        await service.sync(s.id)
        before[name] = await prices(service, s.id)
        key = {"Braytron": "braytron", "FSL": "fsl", "Arelux": "arelux"}[name]
        await service.site("PUT", f"/_fake/{key}/items/{sorted(before[name])[0]}", {"price": "1"})
        await service.site("POST", f"/_fake/{key}/faults", {"mode": "garbage", "count": 1})
        run = await service.sync(s.id)
        assert run.status == pb.SYNC_RUN_STATUS_FAILED, name
        assert run.error_count >= 1
        assert run.items_seen == 0, name
        assert await prices(service, s.id) == before[name], name


async def test_a_ten_megabyte_page_and_an_endless_body_are_cut_off(service: Running) -> None:
    masterled = await service.add_supplier("Masterled")
    await service.sync(masterled.id)
    stored = await prices(service, masterled.id)
    for mode in ("oversize", "endless"):
        await service.site("PUT", "/_fake/masterled/items/ML000003", {"price": "0.5"})
        await service.site("POST", "/_fake/masterled/faults", {"mode": mode, "count": 1})
        started = time.monotonic()
        run = await service.sync(masterled.id)
        assert run.status == pb.SYNC_RUN_STATUS_FAILED, mode
        assert "above 2000000 bytes" in run.errors[0], run.errors
        assert time.monotonic() - started < 15, mode
        assert await prices(service, masterled.id) == stored


async def test_a_feed_paging_on_and_on_is_stopped_at_the_page_cap(service: Running) -> None:
    aca = await service.add_supplier("Aca Lighting")
    await service.stub.UpdateSupplier(
        pb.UpdateSupplierRequest(
            supplier_id=aca.id,
            feed_config=pb.FeedConfig(values={**aca.feed_config, "max_pages": "2"}),
            expected_version=aca.version,
        )
    )
    run = await service.sync(aca.id)
    assert run.status == pb.SYNC_RUN_STATUS_PARTIAL
    assert run.items_seen == 40  # 20 a page
    assert list(run.errors) == ["stopped after 2 pages"]
