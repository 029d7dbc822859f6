"""What orders needs from pricing and inventory: the ports the saga and the recoverer
depend on (unit tests implement them in memory), and their gRPC adapters.

Every call has a deadline; only idempotent calls are retried (all of these are: Reserve
is idempotent by order id). An upstream's refusal comes back as the same coded error;
anything that says the upstream did not answer becomes DependencyUnavailable.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping

import grpc

from cypher.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_runtime.errors import ErrorKind
from cypher_runtime.grpc_client import call, make_channel
from cypher_runtime.grpc_errors import error_from_rpc
from orders.domain.placement import Reservation
from orders.domain.prices import PricedQuote
from orders.errors import DependencyUnavailable, DomainError, remote_error
from orders.wire import quote_from_proto, reservation_from_proto


class PricingPort(ABC):
    @abstractmethod
    async def quote_lines(
        self, *, customer_id: uuid.UUID, lines: Mapping[str, int], pricing_date: str
    ) -> PricedQuote:
        """Price every line for the customer on `pricing_date` ("" = today)."""


class InventoryPort(ABC):
    @abstractmethod
    async def reserve(
        self, *, order_id: uuid.UUID, lines: Mapping[str, int], allow_backorder: bool
    ) -> Reservation:
        """Reserve (idempotent by order id); INSUFFICIENT_STOCK when short and not backorderable."""

    @abstractmethod
    async def confirm_reservation(self, *, order_id: uuid.UUID) -> None:
        """Stop the reservation from expiring (the order is confirmed)."""

    @abstractmethod
    async def release(self, *, order_id: uuid.UUID, reason: str) -> None:
        """Release whatever is reserved for the order (idempotent; tombstones it)."""

    @abstractmethod
    async def get_reservation(self, *, order_id: uuid.UUID) -> Reservation | None:
        """The order's reservation, or None when inventory has none."""


_KINDS: dict[grpc.StatusCode, ErrorKind] = {
    grpc.StatusCode.INVALID_ARGUMENT: ErrorKind.INVALID,
    grpc.StatusCode.OUT_OF_RANGE: ErrorKind.INVALID,
    grpc.StatusCode.NOT_FOUND: ErrorKind.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION: ErrorKind.PRECONDITION,
    grpc.StatusCode.ABORTED: ErrorKind.CONFLICT,
    grpc.StatusCode.ALREADY_EXISTS: ErrorKind.ALREADY_EXISTS,
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


def _channel(target: str | grpc.aio.Channel) -> grpc.aio.Channel:
    return make_channel(target) if isinstance(target, str) else target


class GrpcPricing(PricingPort):
    def __init__(self, target: str | grpc.aio.Channel, *, timeout: float = 3.0) -> None:
        self.stub: pricing_pb2_grpc.PricingServiceAsyncStub = pricing_pb2_grpc.PricingServiceStub(  # type: ignore[assignment]
            _channel(target)
        )
        self.timeout = timeout

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
        return quote_from_proto(reply)


class GrpcInventory(InventoryPort):
    def __init__(self, target: str | grpc.aio.Channel, *, timeout: float = 3.0) -> None:
        self.stub: inventory_pb2_grpc.InventoryServiceAsyncStub = (
            inventory_pb2_grpc.InventoryServiceStub(_channel(target))  # type: ignore[assignment]
        )
        self.timeout = timeout

    async def reserve(
        self, *, order_id: uuid.UUID, lines: Mapping[str, int], allow_backorder: bool
    ) -> Reservation:
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

    async def get_reservation(self, *, order_id: uuid.UUID) -> Reservation | None:
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
