"""The integration service: invoices, proformas, e-shop synchronisation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cypher.common.v1 import pagination_pb2
from cypher.integration.v1 import integration_pb2 as pb
from gateway.clients.base import UpstreamClient

if TYPE_CHECKING:
    from cypher.integration.v1.integration_pb2_grpc import IntegrationServiceAsyncStub as Stub
else:
    Stub = object

# Creating a document waits (in the service) up to INTEGRATION_CREATE_WAIT_SECONDS for
# SmartBill's number before it answers PENDING: the call needs more than a read's deadline.
CREATE_TIMEOUT_SECONDS = 15.0


class IntegrationClient(UpstreamClient[Stub]):
    service = "integration"

    async def invoices_of(self, order_id: str, *, part: bool = False) -> pb.ListInvoicesResponse:
        return await self.read(
            self.stub.ListInvoices, pb.ListInvoicesRequest(order_id=order_id), part=part
        )

    async def list_invoices(
        self,
        *,
        limit: int,
        cursor: str | None,
        order_id: str | None = None,
        kind: pb.DocumentKind.ValueType = pb.DOCUMENT_KIND_UNSPECIFIED,
        payment_status: pb.PaymentStatus.ValueType = pb.PAYMENT_STATUS_UNSPECIFIED,
    ) -> pb.ListInvoicesResponse:
        return await self.read(
            self.stub.ListInvoices,
            pb.ListInvoicesRequest(
                page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
                order_id=order_id or "",
                kind=kind,
                payment_status=payment_status,
            ),
        )

    async def get_invoice(self, invoice_id: str) -> pb.GetInvoiceResponse:
        return await self.read(self.stub.GetInvoice, pb.GetInvoiceRequest(invoice_id=invoice_id))

    async def invoice_pdf(self, invoice_id: str) -> pb.GetInvoicePdfResponse:
        # Fetched from SmartBill at the call (its reads are retried there): one attempt here.
        return await self.write(
            self.stub.GetInvoicePdf,
            pb.GetInvoicePdfRequest(invoice_id=invoice_id),
            timeout=max(self.timeout, CREATE_TIMEOUT_SECONDS),
        )

    # One invoice and one proforma per order, ever: the service answers a repeat with the
    # same document, so a retry of these writes is safe.

    async def create_invoice(self, order_id: str) -> pb.CreateInvoiceResponse:
        return await self.write(
            self.stub.CreateInvoice,
            pb.CreateInvoiceRequest(order_id=order_id),
            idempotent=True,
            timeout=max(self.timeout, CREATE_TIMEOUT_SECONDS),
        )

    async def create_proforma(self, order_id: str) -> pb.CreateProformaResponse:
        return await self.write(
            self.stub.CreateProforma,
            pb.CreateProformaRequest(order_id=order_id),
            idempotent=True,
            timeout=max(self.timeout, CREATE_TIMEOUT_SECONDS),
        )

    async def status(self) -> pb.GetIntegrationStatusResponse:
        return await self.read(self.stub.GetIntegrationStatus, pb.GetIntegrationStatusRequest())

    # -- webhooks (owner = the partner's customer id; empty for staff, who see all) ------

    async def create_webhook(
        self, *, customer_id: str, url: str, events: list[str], secret: str, description: str
    ) -> pb.CreateWebhookEndpointResponse:
        # Not retried: a lost answer would leave an endpoint whose secret nobody saw.
        return await self.write(
            self.stub.CreateWebhookEndpoint,
            pb.CreateWebhookEndpointRequest(
                customer_id=customer_id,
                url=url,
                event_types=events,
                secret=secret,
                description=description,
            ),
        )

    async def list_webhooks(
        self, *, owner: str, limit: int, cursor: str | None
    ) -> pb.ListWebhookEndpointsResponse:
        return await self.read(
            self.stub.ListWebhookEndpoints,
            pb.ListWebhookEndpointsRequest(
                owner_customer_id=owner,
                page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
            ),
        )

    async def get_webhook(self, webhook_id: str, *, owner: str) -> pb.GetWebhookEndpointResponse:
        return await self.read(
            self.stub.GetWebhookEndpoint,
            pb.GetWebhookEndpointRequest(id=webhook_id, owner_customer_id=owner),
        )

    async def update_webhook(
        self, request: pb.UpdateWebhookEndpointRequest
    ) -> pb.UpdateWebhookEndpointResponse:
        # Setting fields to given values: repeating it is harmless.
        return await self.write(self.stub.UpdateWebhookEndpoint, request, idempotent=True)

    async def delete_webhook(self, webhook_id: str, *, owner: str) -> None:
        await self.write(
            self.stub.DeleteWebhookEndpoint,
            pb.DeleteWebhookEndpointRequest(id=webhook_id, owner_customer_id=owner),
        )

    async def webhook_deliveries(
        self, webhook_id: str, *, owner: str, status: str, limit: int, cursor: str | None
    ) -> pb.ListWebhookDeliveriesResponse:
        return await self.read(
            self.stub.ListWebhookDeliveries,
            pb.ListWebhookDeliveriesRequest(
                endpoint_id=webhook_id,
                owner_customer_id=owner,
                status=status,
                page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
            ),
        )

    async def retry_webhook_delivery(
        self, webhook_id: str, delivery_id: str, *, owner: str
    ) -> pb.RetryWebhookDeliveryResponse:
        return await self.write(
            self.stub.RetryWebhookDelivery,
            pb.RetryWebhookDeliveryRequest(
                endpoint_id=webhook_id, delivery_id=delivery_id, owner_customer_id=owner
            ),
            idempotent=True,
        )
