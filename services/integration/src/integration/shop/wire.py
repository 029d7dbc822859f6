"""Proto ↔ shop-sync conversions (runs, modes, status) and nothing else."""

from __future__ import annotations

from cypher.integration.v1 import integration_pb2 as pb
from cypher_runtime.errors import ValidationFailed
from cypher_runtime.proto_values import optional_timestamp_pb, timestamp_pb
from integration.shop.domain.runs import RunStatus, SyncMode, SyncRun

__all__ = ["MODE_PB", "STATUS_PB", "mode_of", "run_pb", "timestamp_pb"]

MODE_PB = {
    SyncMode.FULL: pb.WOO_SYNC_MODE_FULL,
    SyncMode.INCREMENTAL: pb.WOO_SYNC_MODE_INCREMENTAL,
    SyncMode.RETRY_FAILED: pb.WOO_SYNC_MODE_RETRY_FAILED,
}
STATUS_PB = {
    RunStatus.RUNNING: pb.WOO_SYNC_RUN_STATUS_RUNNING,
    RunStatus.SUCCEEDED: pb.WOO_SYNC_RUN_STATUS_SUCCEEDED,
    RunStatus.PARTIAL: pb.WOO_SYNC_RUN_STATUS_PARTIAL,
    RunStatus.FAILED: pb.WOO_SYNC_RUN_STATUS_FAILED,
}
_MODES: dict[int, SyncMode] = {int(v): k for k, v in MODE_PB.items()}


def mode_of(value: int) -> SyncMode:
    mode = _MODES.get(int(value))
    if mode is None:
        raise ValidationFailed({"mode": "must be one of full, incremental, retry_failed"})
    return mode


def run_pb(run: SyncRun | None) -> pb.WooSyncRun | None:
    if run is None:
        return None
    return pb.WooSyncRun(
        id=str(run.id),
        mode=MODE_PB[run.mode],
        status=STATUS_PB[run.status],
        started_at=timestamp_pb(run.started_at),
        finished_at=optional_timestamp_pb(run.finished_at),
        items_total=run.items_total,
        items_succeeded=run.items_succeeded,
        items_failed=run.items_failed,
        batches=run.batches,
    )
