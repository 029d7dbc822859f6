"""gRPC adapters of the ports: orders (GetOrder, GetCustomer) and pricing (ListVatRates).

Every call has a deadline and, being reads, is retried on transient failures. NOT_FOUND
becomes None; anything that says the upstream did not answer becomes
`UpstreamUnavailable` (the caller keeps its work queued and tries again later)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import grpc

from cypher.orders.v1 import orders_pb2, orders_pb2_grpc
from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_runtime.errors import DomainError
from cypher_runtime.grpc_client import call, make_channel
from cypher_runtime.grpc_errors import error_from_rpc
from integration import wire
from integration.domain.billing import BillingParty
from integration.errors import UpstreamRefused, UpstreamUnavailable
from integration.ports import OrderFacts


def _translate(err: grpc.aio.AioRpcError, service: str) -> DomainError:
    remote = error_from_rpc(err)
    if remote.status in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION):
        return UpstreamRefused(f"{service}: {remote.message}", details={"service": service})
    return UpstreamUnavailable(
        f"{service} did not answer: {remote.status.name} {remote.message}".strip(),
        details={"service": service, "grpc_status": remote.status.name},
    )


class _Lazy:
    """A channel opened on first use, inside the running event loop."""

    def __init__(self, target: str, timeout: float) -> None:
        self.target = target
        self.timeout = timeout
        self._channel: grpc.aio.Channel | None = None

    def channel(self) -> grpc.aio.Channel:
        if self._channel is None:
            self._channel = make_channel(self.target, default_timeout=self.timeout)
        return self._channel

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None


class GrpcOrders(_Lazy):
    def _stub(self) -> orders_pb2_grpc.OrdersServiceAsyncStub:
        return orders_pb2_grpc.OrdersServiceStub(self.channel())  # type: ignore[return-value]

    async def _customer(self, customer_id: str) -> orders_pb2.Customer | None:
        try:
            reply = await call(
                self._stub().GetCustomer,
                orders_pb2.GetCustomerRequest(customer_id=customer_id),
                timeout=self.timeout,
                idempotent=True,
            )
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise _translate(err, "orders") from err
        return reply.customer

    async def get_customer(self, customer_id: str) -> BillingParty | None:
        customer = await self._customer(customer_id)
        return None if customer is None else wire.party_of(customer)

    async def get_order(self, order_id: uuid.UUID) -> OrderFacts | None:
        try:
            reply = await call(
                self._stub().GetOrder,
                orders_pb2.GetOrderRequest(order_id=str(order_id)),
                timeout=self.timeout,
                idempotent=True,
            )
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise _translate(err, "orders") from err
        order = reply.order
        customer = await self._customer(order.customer_id)
        party = (
            wire.party_of(customer)
            if customer is not None
            else BillingParty(customer_id=order.customer_id, name="")
        )
        return wire.order_facts(order, party)


class GrpcVatRates(_Lazy):
    """VAT rates live in pricing (dated records); asked once per (category, day)."""

    def __init__(self, target: str, timeout: float) -> None:
        super().__init__(target, timeout)
        self._known: dict[tuple[str, date], Decimal] = {}

    async def rates_on(self, categories: set[str], on: date) -> dict[str, Decimal]:
        missing = {c for c in categories if (c, on) not in self._known}
        if missing:
            stub: pricing_pb2_grpc.PricingServiceAsyncStub = pricing_pb2_grpc.PricingServiceStub(  # type: ignore[assignment]
                self.channel()
            )
            try:
                reply = await call(
                    stub.ListVatRates,
                    pricing_pb2.ListVatRatesRequest(on_date=on.isoformat()),
                    timeout=self.timeout,
                    idempotent=True,
                )
            except grpc.aio.AioRpcError as err:
                raise _translate(err, "pricing") from err
            for rate in reply.vat_rates:
                category = pricing_pb2.VatCategory.Name(rate.vat_category).removeprefix(
                    "VAT_CATEGORY_"
                )
                self._known[(category, on)] = Decimal(rate.rate_pct)
        return {c: self._known[(c, on)] for c in categories if (c, on) in self._known}
