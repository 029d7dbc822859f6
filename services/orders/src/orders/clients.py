"""gRPC adapters of the ports: pricing QuoteLines, inventory Reserve/Confirm/Release/Get.

Every call has a deadline; only idempotent calls are retried (all of these are:
Reserve is idempotent by order id). Upstream refusals come back as the same coded
error; anything that says the upstream did not answer becomes DependencyUnavailable.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import grpc

from cypher.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_runtime.errors import ErrorKind
from cypher_runtime.grpc_client import call, make_channel
from cypher_runtime.grpc_errors import error_from_rpc
from orders.domain.model import Backorder
from orders.domain.recovery import ReservationState
from orders.errors import DependencyUnavailable, DomainError, remote_error
from orders.ports import InventoryPort, PricedQuote, PricingPort, ReservationInfo
from orders.proto_mapping import line_price_from_proto

_KINDS: dict[grpc.StatusCode, ErrorKind] = {
    grpc.StatusCode.INVALID_ARGUMENT: ErrorKind.INVALID,
    grpc.StatusCode.OUT_OF_RANGE: ErrorKind.INVALID,
    grpc.StatusCode.NOT_FOUND: ErrorKind.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION: ErrorKind.PRECONDITION,
    grpc.StatusCode.ABORTED: ErrorKind.CONFLICT,
    grpc.StatusCode.ALREADY_EXISTS: ErrorKind.CONFLICT,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ErrorKind.EXHAUSTED,
}


def translate(err: grpc.aio.AioRpcError, service: str) -> DomainError:
    remote = error_from_rpc(err)
    kind = _KINDS.get(remote.status)
    if kind is None:  # UNAVAILABLE, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL…
        return DependencyUnavailable(
            f"{service} did not answer: {remote.status.name} {remote.message}".strip(),
            details={"service": service, "grpc_status": remote.status.name},
        )
    return remote_error(remote.code, kind, remote.message, remote.details)


_STATES = {
    inventory_pb2.RESERVATION_STATUS_PENDING: ReservationState.PENDING,
    inventory_pb2.RESERVATION_STATUS_CONFIRMED: ReservationState.CONFIRMED,
    inventory_pb2.RESERVATION_STATUS_PARTIALLY_COMMITTED: ReservationState.PARTIALLY_COMMITTED,
    inventory_pb2.RESERVATION_STATUS_COMMITTED: ReservationState.COMMITTED,
    inventory_pb2.RESERVATION_STATUS_RELEASED: ReservationState.RELEASED,
    inventory_pb2.RESERVATION_STATUS_EXPIRED: ReservationState.EXPIRED,
}


def reservation_from_proto(res: inventory_pb2.Reservation) -> ReservationInfo:
    return ReservationInfo(
        id=res.id,
        order_id=uuid.UUID(res.order_id),
        state=_STATES.get(res.status, ReservationState.RELEASED),
        backorders=tuple(
            Backorder(sku=b.sku, quantity=int(b.quantity), expected_date=b.expected_date)
            for b in res.backorders
            if b.quantity > 0
        ),
    )


class LazyChannel:
    """A channel opened on first use: `orders serve` builds its wiring before the event
    loop runs, and a grpc.aio channel belongs to the loop it was created in."""

    def __init__(self, target: str | grpc.aio.Channel) -> None:
        self._target = target if isinstance(target, str) else None
        self._channel = None if isinstance(target, str) else target

    def get(self) -> grpc.aio.Channel:
        if self._channel is None:
            assert self._target is not None
            self._channel = make_channel(self._target)
        return self._channel


class GrpcPricing(PricingPort):
    def __init__(self, target: str | grpc.aio.Channel, *, timeout: float = 3.0) -> None:
        self._channel = LazyChannel(target)
        self._stub: pricing_pb2_grpc.PricingServiceAsyncStub | None = None
        self.timeout = timeout

    @property
    def stub(self) -> pricing_pb2_grpc.PricingServiceAsyncStub:
        if self._stub is None:
            self._stub = pricing_pb2_grpc.PricingServiceStub(self._channel.get())  # type: ignore[assignment]
        return self._stub

    async def quote_lines(
        self, *, customer_id: uuid.UUID, lines: Mapping[str, int], pricing_date: str
    ) -> PricedQuote:
        request = pricing_pb2.QuoteLinesRequest(
            customer_id=str(customer_id),
            lines=[pricing_pb2.QuoteLineInput(sku=s, quantity=q) for s, q in lines.items()],
            pricing_date=pricing_date,
        )
        try:
            reply = await call(self.stub.QuoteLines, request, timeout=self.timeout, idempotent=True)
        except grpc.aio.AioRpcError as err:
            raise translate(err, "pricing") from err
        return PricedQuote(
            prices={ln.sku: line_price_from_proto(ln) for ln in reply.lines},
            pricing_date=reply.pricing_date,
            currency=reply.currency or "RON",
        )


class GrpcInventory(InventoryPort):
    def __init__(self, target: str | grpc.aio.Channel, *, timeout: float = 3.0) -> None:
        self._channel = LazyChannel(target)
        self._stub: inventory_pb2_grpc.InventoryServiceAsyncStub | None = None
        self.timeout = timeout

    @property
    def stub(self) -> inventory_pb2_grpc.InventoryServiceAsyncStub:
        if self._stub is None:
            self._stub = inventory_pb2_grpc.InventoryServiceStub(self._channel.get())  # type: ignore[assignment]
        return self._stub

    async def reserve(
        self, *, order_id: uuid.UUID, lines: Mapping[str, int], allow_backorder: bool
    ) -> ReservationInfo:
        request = inventory_pb2.ReserveRequest(
            order_id=str(order_id),
            lines=[inventory_pb2.StockLine(sku=s, quantity=q) for s, q in lines.items()],
            allow_backorder=allow_backorder,
        )
        try:
            # Idempotent by order id, so a retry after a lost answer is safe.
            reply = await call(self.stub.Reserve, request, timeout=self.timeout, idempotent=True)
        except grpc.aio.AioRpcError as err:
            raise translate(err, "inventory") from err
        return reservation_from_proto(reply.reservation)

    async def confirm_reservation(self, *, order_id: uuid.UUID) -> None:
        request = inventory_pb2.ConfirmReservationRequest(order_id=str(order_id))
        try:
            await call(self.stub.ConfirmReservation, request, timeout=self.timeout, idempotent=True)
        except grpc.aio.AioRpcError as err:
            raise translate(err, "inventory") from err

    async def release(self, *, order_id: uuid.UUID, reason: str) -> None:
        request = inventory_pb2.ReleaseRequest(
            order_id=str(order_id),
            reason=inventory_pb2.RELEASE_REASON_COMPENSATION,
            reason_detail=reason,
        )
        try:
            await call(self.stub.Release, request, timeout=self.timeout, idempotent=True)
        except grpc.aio.AioRpcError as err:
            raise translate(err, "inventory") from err

    async def get_reservation(self, *, order_id: uuid.UUID) -> ReservationInfo | None:
        request = inventory_pb2.GetReservationRequest(order_id=str(order_id))
        try:
            reply = await call(
                self.stub.GetReservation, request, timeout=self.timeout, idempotent=True
            )
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise translate(err, "inventory") from err
        return reservation_from_proto(reply.reservation)
