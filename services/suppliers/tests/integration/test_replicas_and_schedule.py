"""Two replicas on one database: one run per supplier per schedule slot, one running
scrape per supplier however many triggers arrive; abandoned runs are closed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from cypher.suppliers.v1 import suppliers_pb2 as pb
from cypher_testkit.broker import BrokerScope
from services.suppliers.tests.integration.suppliers_harness import (
    DatabaseFactory,
    Running,
    settings_for,
    started,
)


async def test_two_replicas_scrape_each_slot_once(
    service: Running, database_factory: DatabaseFactory, broker_scope: BrokerScope
) -> None:
    ids = [(await service.add_supplier(n)).id for n in ("Masterled", "FSL", "Arelux")]
    second = settings_for(service.settings.database_url, broker_scope)
    service.clock.set(datetime(2026, 12, 3, 10, 5, tzinfo=UTC))
    async with started(second, broker_scope, service.clock) as other:
        first_round = await asyncio.gather(service.app.scraper.run_due(), other.scraper.run_due())
        again = await asyncio.gather(service.app.scraper.run_due(), other.scraper.run_due())
    assert sorted(r.supplier_id for runs in first_round for r in runs) == sorted(ids)
    assert [list(r) for r in again] == [[], []]  # the 10:00 slot is taken
    rows = await service.sql("SELECT supplier_id, slot, trigger, status FROM sync_runs")
    assert len(rows) == 3
    assert {r["slot"] for r in rows} == {datetime(2026, 12, 3, 10, tzinfo=UTC)}
    assert {r["status"] for r in rows} == {"SUCCEEDED"}
    # The next slot runs again; outside the window nothing runs.
    service.clock.set(datetime(2026, 12, 3, 14, 0, tzinfo=UTC))
    assert len(await service.app.scraper.run_due()) == 3
    service.clock.set(datetime(2026, 12, 3, 22, 30, tzinfo=UTC))
    assert await service.app.scraper.run_due() == []


async def test_concurrent_triggers_on_two_replicas_share_one_run(
    service: Running, broker_scope: BrokerScope
) -> None:
    arelux = await service.add_supplier("Arelux")
    second = settings_for(service.settings.database_url, broker_scope)
    await service.site(
        "POST", "/_fake/arelux/faults", {"mode": "timeout", "count": 1, "delay_seconds": 1}
    )
    async with started(second, broker_scope, service.clock) as other:
        runs = await asyncio.gather(
            service.app.scraper.trigger(arelux.id),
            other.scraper.trigger(arelux.id),
            service.app.scraper.trigger(arelux.id),
        )
        assert len({r.id for r in runs}) == 1
        await other.scraper.wait_idle()
        await service.app.scraper.wait_idle()
    finished = await service.finished(arelux.id, runs[0].id)
    assert finished.status == pb.SYNC_RUN_STATUS_SUCCEEDED


async def test_a_run_whose_process_died_is_closed_and_the_supplier_runs_again(
    service: Running,
) -> None:
    fsl = await service.add_supplier("FSL")
    stale_start = service.clock.now() - timedelta(hours=2)
    await service.sql(
        "INSERT INTO sync_runs (id, supplier_id, status, trigger, started_at, errors)"
        " VALUES ('00000000-0000-0000-0000-000000000001', $1, 'RUNNING', 'MANUAL', $2, '[]')",
        fsl.id,
        stale_start,
    )
    blocked = await service.stub.TriggerSync(pb.TriggerSyncRequest(supplier_id=fsl.id))
    assert blocked.run.id == "00000000-0000-0000-0000-000000000001"  # still "running"
    service.clock.set(datetime(2026, 12, 3, 23, 0, tzinfo=UTC))  # outside the window
    await service.app.scraper.run_due()
    runs = await service.stub.ListSyncRuns(pb.ListSyncRunsRequest(supplier_id=fsl.id))
    assert runs.runs[0].status == pb.SYNC_RUN_STATUS_FAILED
    assert "abandoned" in runs.runs[0].errors[0]
    fresh = await service.sync(fsl.id)
    assert fresh.status == pb.SYNC_RUN_STATUS_SUCCEEDED
