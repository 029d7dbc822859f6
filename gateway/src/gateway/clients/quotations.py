"""The quotations service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cypher.quotations.v1 import quotations_pb2 as pb
from gateway.clients.base import UpstreamClient

if TYPE_CHECKING:
    from cypher.quotations.v1.quotations_pb2_grpc import QuotationsServiceAsyncStub as Stub
else:
    Stub = object

# A bulk creation prices and looks up one customer after the other; a conversion runs
# orders' placement saga; sending renders the PDF.
BULK_TIMEOUT_SECONDS = 30.0
CONVERT_TIMEOUT_SECONDS = 30.0
DOCUMENT_TIMEOUT_SECONDS = 10.0


class QuotationsClient(UpstreamClient[Stub]):
    service = "quotations"

    # Creations carry the client's idempotency key when it sent one; only then is a
    # retry safe (quotations answers the first quotation again).

    async def create(self, req: pb.CreateQuotationRequest) -> pb.CreateQuotationResponse:
        return await self.write(
            self.stub.CreateQuotation, req, idempotent=bool(req.idempotency_key)
        )

    async def bulk_create(
        self, req: pb.BulkCreateQuotationsRequest
    ) -> pb.BulkCreateQuotationsResponse:
        return await self.write(
            self.stub.BulkCreateQuotations,
            req,
            idempotent=bool(req.idempotency_key),
            timeout=max(self.timeout, BULK_TIMEOUT_SECONDS),
        )

    async def get(self, quotation_id: str) -> pb.GetQuotationResponse:
        return await self.read(
            self.stub.GetQuotation, pb.GetQuotationRequest(quotation_id=quotation_id)
        )

    async def list(self, req: pb.ListQuotationsRequest) -> pb.ListQuotationsResponse:
        return await self.read(self.stub.ListQuotations, req)

    # Not retried: a second PATCH after a lost answer would bump the version again, and
    # a second send/accept/reject would be refused as an illegal transition.

    async def update(self, req: pb.UpdateQuotationRequest) -> pb.UpdateQuotationResponse:
        return await self.write(self.stub.UpdateQuotation, req)

    async def send(self, req: pb.SendQuotationRequest) -> pb.SendQuotationResponse:
        return await self.write(
            self.stub.SendQuotation, req, timeout=max(self.timeout, DOCUMENT_TIMEOUT_SECONDS)
        )

    async def accept(self, quotation_id: str) -> pb.AcceptQuotationResponse:
        return await self.write(
            self.stub.AcceptQuotation, pb.AcceptQuotationRequest(quotation_id=quotation_id)
        )

    async def reject(self, req: pb.RejectQuotationRequest) -> pb.RejectQuotationResponse:
        return await self.write(self.stub.RejectQuotation, req)

    async def convert(self, req: pb.ConvertQuotationRequest) -> pb.ConvertQuotationResponse:
        # Idempotent by quotation id: a repeat answers the same order.
        return await self.write(
            self.stub.ConvertQuotation,
            req,
            idempotent=True,
            timeout=max(self.timeout, CONVERT_TIMEOUT_SECONDS),
        )

    async def pdf(self, quotation_id: str) -> pb.GetQuotationPdfResponse:
        return await self.read(
            self.stub.GetQuotationPdf,
            pb.GetQuotationPdfRequest(quotation_id=quotation_id),
            timeout=max(self.timeout, DOCUMENT_TIMEOUT_SECONDS),
        )
