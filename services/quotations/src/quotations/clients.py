"""gRPC adapters of the ports: pricing QuoteLines, orders GetCustomer and CreateOrder.

Every call has a deadline. QuoteLines and GetCustomer are reads and CreateOrder is
idempotent by quotation id, so all of them are retried on UNAVAILABLE/DEADLINE_EXCEEDED.
Upstream refusals come back as the same coded error; anything that says the upstream
did not answer becomes DependencyUnavailable.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import grpc

from cypher.orders.v1 import orders_pb2, orders_pb2_grpc
from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_runtime.errors import ErrorKind
from cypher_runtime.grpc_client import call, make_channel
from cypher_runtime.grpc_errors import error_from_rpc
from quotations.domain.model import CustomerSnapshot, Quotation
from quotations.errors import DependencyUnavailable, DomainError, remote_error
from quotations.ports import OrdersPort, PlacedOrder, PricedLines, PricingPort
from quotations.wire import customer_from_orders_pb, line_price_from_pb, order_lines_pb

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


class LazyChannel:
    """A channel opened on first use: `quotations serve` wires everything before the
    event loop runs, and a grpc.aio channel belongs to the loop it was created in."""

    def __init__(self, target: str) -> None:
        self._target = target
        self._channel: grpc.aio.Channel | None = None

    def get(self) -> grpc.aio.Channel:
        if self._channel is None:
            self._channel = make_channel(self._target)
        return self._channel

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None


class GrpcPricing(PricingPort):
    def __init__(self, target: str, *, timeout: float) -> None:
        self.channel = LazyChannel(target)
        self.timeout = timeout

    async def quote_lines(
        self, *, customer_id: uuid.UUID, lines: Mapping[str, int], pricing_date: str
    ) -> PricedLines:
        stub: pricing_pb2_grpc.PricingServiceAsyncStub = pricing_pb2_grpc.PricingServiceStub(
            self.channel.get()
        )  # type: ignore[assignment]
        request = pricing_pb2.QuoteLinesRequest(
            customer_id=str(customer_id),
            lines=[pricing_pb2.QuoteLineInput(sku=s, quantity=q) for s, q in lines.items()],
            pricing_date=pricing_date,
        )
        try:
            reply = await call(stub.QuoteLines, request, timeout=self.timeout, idempotent=True)
        except grpc.aio.AioRpcError as err:
            raise translate(err, "pricing") from err
        priced = [line_price_from_pb(ln) for ln in reply.lines]
        if sorted(ln.sku for ln in priced) != sorted(lines):
            raise DependencyUnavailable(
                "pricing did not price every line",
                details={"service": "pricing", "asked": sorted(lines)},
            )
        return PricedLines(lines=priced, pricing_date=reply.pricing_date)


class GrpcOrders(OrdersPort):
    def __init__(self, target: str, *, timeout: float, create_timeout: float) -> None:
        self.channel = LazyChannel(target)
        self.timeout = timeout
        # CreateOrder runs the placement saga (pricing skipped, inventory reserve): longer.
        self.create_timeout = create_timeout

    def _stub(self) -> orders_pb2_grpc.OrdersServiceAsyncStub:
        return orders_pb2_grpc.OrdersServiceStub(self.channel.get())  # type: ignore[return-value]

    async def get_customer(self, customer_id: uuid.UUID) -> CustomerSnapshot:
        request = orders_pb2.GetCustomerRequest(customer_id=str(customer_id))
        try:
            reply = await call(
                self._stub().GetCustomer, request, timeout=self.timeout, idempotent=True
            )
        except grpc.aio.AioRpcError as err:
            raise translate(err, "orders") from err
        return customer_from_orders_pb(reply.customer)

    async def create_order(self, quotation: Quotation, *, allow_backorder: bool) -> PlacedOrder:
        request = orders_pb2.CreateOrderRequest(
            customer_id=str(quotation.customer_id),
            lines=order_lines_pb(quotation),
            allow_backorder=allow_backorder,
            notes=f"Quotation {quotation.number}",
            quotation_id=str(quotation.id),
            quote_request_order_id=str(quotation.source_order_id or ""),
            pricing_date=quotation.pricing_date,
        )
        try:
            # Idempotent by quotation id on the orders side: a retry returns the same order.
            reply = await call(
                self._stub().CreateOrder, request, timeout=self.create_timeout, idempotent=True
            )
        except grpc.aio.AioRpcError as err:
            raise translate(err, "orders") from err
        order = reply.order
        return PlacedOrder(
            id=uuid.UUID(order.id),
            number=order.number,
            status=orders_pb2.OrderStatus.Name(order.status).removeprefix("ORDER_STATUS_"),
            replayed=reply.replayed,
        )
