"""The e-shop sync (REST_API.md "Integration"): start a WooCommerce sync and read its
status, through gRPC to integration."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict

from cypher.integration.v1 import integration_pb2 as pb
from cypher_runtime.proto_values import datetime_from_pb, rfc3339
from gateway.deps import Integration, require
from gateway.envelope import Envelope, ok

router = APIRouter(tags=["integration"])

MODES = {
    "full": pb.WOO_SYNC_MODE_FULL,
    "incremental": pb.WOO_SYNC_MODE_INCREMENTAL,
    "retry_failed": pb.WOO_SYNC_MODE_RETRY_FAILED,
}
MODE_NAMES = {v: k for k, v in MODES.items()}
STATUS_NAMES = {
    pb.WOO_SYNC_RUN_STATUS_RUNNING: "running",
    pb.WOO_SYNC_RUN_STATUS_SUCCEEDED: "succeeded",
    pb.WOO_SYNC_RUN_STATUS_PARTIAL: "partial",
    pb.WOO_SYNC_RUN_STATUS_FAILED: "failed",
}
CIRCUIT_NAMES = {
    pb.CIRCUIT_STATE_CLOSED: "CLOSED",
    pb.CIRCUIT_STATE_OPEN: "OPEN",
    pb.CIRCUIT_STATE_HALF_OPEN: "HALF_OPEN",
}


class WooSyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["full", "incremental", "retry_failed"]


class WooSyncRunView(BaseModel):
    id: str
    mode: str
    status: str
    started_at: str | None
    finished_at: str | None
    items_total: int
    items_succeeded: int
    items_failed: int
    batches: int


class WooFailureView(BaseModel):
    sku: str
    error: str
    attempts: int


class CircuitBreakerView(BaseModel):
    name: str
    state: str
    consecutive_failures: int
    opened_at: str | None
    next_attempt_at: str | None
    last_error: str


class WooSyncStatusView(BaseModel):
    current_run: WooSyncRunView | None
    last_full_run: WooSyncRunView | None
    last_incremental_run: WooSyncRunView | None
    last_retry_run: WooSyncRunView | None
    # Changes waiting for the next batch (the backlog).
    pending_items: int
    # Items the shop refused; the retry run sends them again.
    failed_items: int
    mapped_products: int
    failures: list[WooFailureView]
    circuit_breaker: CircuitBreakerView


def _time(message: object, field: str) -> str | None:
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    stamp: Timestamp = getattr(message, field)
    return rfc3339(datetime_from_pb(stamp))


def run_view(run: pb.WooSyncRun) -> WooSyncRunView:
    return WooSyncRunView(
        id=run.id,
        mode=MODE_NAMES.get(run.mode, "unknown"),
        status=STATUS_NAMES.get(run.status, "unknown"),
        started_at=_time(run, "started_at"),
        finished_at=_time(run, "finished_at"),
        items_total=run.items_total,
        items_succeeded=run.items_succeeded,
        items_failed=run.items_failed,
        batches=run.batches,
    )


def _optional_run(run: pb.WooSyncRun, present: bool) -> WooSyncRunView | None:
    return run_view(run) if present else None


def status_view(reply: pb.GetWooSyncStatusResponse) -> WooSyncStatusView:
    breaker = reply.circuit_breaker
    return WooSyncStatusView(
        current_run=_optional_run(reply.current_run, reply.HasField("current_run")),
        last_full_run=_optional_run(reply.last_full_run, reply.HasField("last_full_run")),
        last_incremental_run=_optional_run(
            reply.last_incremental_run, reply.HasField("last_incremental_run")
        ),
        last_retry_run=_optional_run(reply.last_retry_run, reply.HasField("last_retry_run")),
        pending_items=reply.pending_items,
        failed_items=reply.failed_items,
        mapped_products=reply.mapped_products,
        failures=[
            WooFailureView(sku=f.sku, error=f.error, attempts=f.attempts) for f in reply.failures
        ],
        circuit_breaker=CircuitBreakerView(
            name=breaker.name,
            state=CIRCUIT_NAMES.get(breaker.state, "UNKNOWN"),
            consecutive_failures=breaker.consecutive_failures,
            opened_at=_time(breaker, "opened_at"),
            next_attempt_at=_time(breaker, "next_attempt_at"),
            last_error=breaker.last_error,
        ),
    )


@router.post(
    "/integrations/woocommerce/sync",
    status_code=202,
    response_model=Envelope[WooSyncRunView],
    summary="Start a WooCommerce sync (full, incremental, retry_failed); 409 if one runs",
)
async def trigger_woo_sync(
    body: WooSyncRequest,
    integration: Integration,
    _: Annotated[object, require("integrations:write")],
) -> JSONResponse:
    reply = await integration.write(
        integration.stub.TriggerWooSync,
        pb.TriggerWooSyncRequest(mode=MODES[body.mode]),
        # A full/retry run starts in the background; an incremental one is a flush.
        timeout=max(integration.timeout, 30.0),
    )
    return ok(run_view(reply.run).model_dump(), status_code=202)


@router.get(
    "/integrations/woocommerce/status",
    response_model=Envelope[WooSyncStatusView],
    summary="Last runs, backlog, failed items and the shop's circuit breaker",
)
async def woo_sync_status(
    integration: Integration,
    _: Annotated[object, require("integrations:read")],
) -> JSONResponse:
    reply = await integration.read(integration.stub.GetWooSyncStatus, pb.GetWooSyncStatusRequest())
    return ok(status_view(reply).model_dump())
