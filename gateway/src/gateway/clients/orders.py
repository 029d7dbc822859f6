"""The orders service: customers and orders (the order saga runs there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cypher.orders.v1 import orders_pb2 as pb
from gateway.clients.base import UpstreamClient

if TYPE_CHECKING:
    from cypher.orders.v1.orders_pb2_grpc import OrdersServiceAsyncStub as Stub
else:
    Stub = object

# Placing an order runs the saga (pricing + reservation + confirmation): a longer deadline.
SAGA_TIMEOUT_SECONDS = 15.0


class OrdersClient(UpstreamClient[Stub]):
    service = "orders"

    async def create_customer(self, req: pb.CreateCustomerRequest) -> pb.CreateCustomerResponse:
        return await self.write(self.stub.CreateCustomer, req)

    async def get_customer(self, customer_id: str) -> pb.GetCustomerResponse:
        return await self.read(
            self.stub.GetCustomer, pb.GetCustomerRequest(customer_id=customer_id)
        )

    async def list_customers(self, req: pb.ListCustomersRequest) -> pb.ListCustomersResponse:
        return await self.read(self.stub.ListCustomers, req)

    async def update_customer(self, req: pb.UpdateCustomerRequest) -> pb.UpdateCustomerResponse:
        return await self.write(self.stub.UpdateCustomer, req)

    # Creating calls carry the client's idempotency key when it sent one; only then is a
    # retry safe (orders answers the first outcome again).

    async def create_order(self, req: pb.CreateOrderRequest) -> pb.CreateOrderResponse:
        return await self.write(
            self.stub.CreateOrder,
            req,
            idempotent=bool(req.idempotency_key),
            timeout=max(self.timeout, SAGA_TIMEOUT_SECONDS),
        )

    async def create_quote_request(
        self, req: pb.CreateQuoteRequestRequest
    ) -> pb.CreateQuoteRequestResponse:
        return await self.write(
            self.stub.CreateQuoteRequest, req, idempotent=bool(req.idempotency_key)
        )

    async def create_shipment(self, req: pb.CreateShipmentRequest) -> pb.CreateShipmentResponse:
        return await self.write(self.stub.CreateShipment, req, idempotent=bool(req.idempotency_key))

    async def get_order(self, order_id: str) -> pb.GetOrderResponse:
        return await self.read(self.stub.GetOrder, pb.GetOrderRequest(order_id=order_id))

    async def list_orders(self, req: pb.ListOrdersRequest) -> pb.ListOrdersResponse:
        return await self.read(self.stub.ListOrders, req)

    async def get_history(self, order_id: str) -> pb.GetOrderHistoryResponse:
        return await self.read(
            self.stub.GetOrderHistory, pb.GetOrderHistoryRequest(order_id=order_id)
        )

    async def change_status(self, req: pb.ChangeOrderStatusRequest) -> pb.ChangeOrderStatusResponse:
        return await self.write(self.stub.ChangeOrderStatus, req)

    async def record_delivery(self, req: pb.RecordDeliveryRequest) -> pb.RecordDeliveryResponse:
        # Idempotent per shipment.
        return await self.write(self.stub.RecordDelivery, req, idempotent=True)

    async def cancel(self, req: pb.CancelOrderRequest) -> pb.CancelOrderResponse:
        # Cancelling a cancelled order is a no-op.
        return await self.write(self.stub.CancelOrder, req, idempotent=True)

    async def return_goods(self, req: pb.ReturnOrderRequest) -> pb.ReturnOrderResponse:
        return await self.write(self.stub.ReturnOrder, req, idempotent=bool(req.idempotency_key))
