"""`woo.sync_completed`, built from a finished run."""

from __future__ import annotations

from cypher.integration.v1 import events_pb2
from cypher_runtime.messaging.envelope import Event
from integration.shop import wire
from integration.shop.domain.runs import RunFinished, SyncRun

AGGREGATE = "woo_sync_run"


def published(run: SyncRun) -> list[Event]:
    events = []
    for change in run.changes:
        if isinstance(change, RunFinished):
            message = events_pb2.WooSyncCompleted(
                run_id=str(run.id),
                mode=wire.MODE_PB[run.mode],
                status=wire.STATUS_PB[run.status],
                items_total=run.items_total,
                items_succeeded=run.items_succeeded,
                items_failed=run.items_failed,
                started_at=wire.timestamp_pb(run.started_at),
                finished_at=wire.timestamp_pb(change.at),
                occurred_at=wire.timestamp_pb(change.at),
            )
            events.append(
                Event(
                    message=message,
                    aggregate_type=AGGREGATE,
                    aggregate_id=str(run.id),
                    version=1,
                    occurred_at=change.at,
                )
            )
    run.changes.clear()
    return events
