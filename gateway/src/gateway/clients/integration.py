"""The integration service: invoices, proformas, e-shop synchronisation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cypher.integration.v1 import integration_pb2 as pb
from gateway.clients.base import UpstreamClient

if TYPE_CHECKING:
    from cypher.integration.v1.integration_pb2_grpc import IntegrationServiceAsyncStub as Stub
else:
    Stub = object


class IntegrationClient(UpstreamClient[Stub]):
    service = "integration"

    async def invoices_of(self, order_id: str, *, part: bool = False) -> pb.ListInvoicesResponse:
        return await self.read(
            self.stub.ListInvoices, pb.ListInvoicesRequest(order_id=order_id), part=part
        )

    async def create_proforma(self, order_id: str) -> pb.CreateProformaResponse:
        return await self.write(
            self.stub.CreateProforma, pb.CreateProformaRequest(order_id=order_id)
        )
