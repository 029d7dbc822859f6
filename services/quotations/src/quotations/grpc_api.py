"""The QuotationsService servicer: request → wire → use case (in its transaction) → wire.
No SQL, no rule, no error mapping (the runtime's interceptor maps coded errors)."""

from __future__ import annotations

from typing import Any

from cypher.common.v1 import pagination_pb2
from cypher.quotations.v1 import quotations_pb2 as pb
from cypher.quotations.v1 import quotations_pb2_grpc
from cypher_runtime.db import Database, in_transaction, session_scope
from quotations import wire
from quotations.conversion import Conversion
from quotations.queries import QuotationFilter, list_quotations
from quotations.service import CreateQuotation, QuotationsService, UpdateQuotation

Context = Any  # grpc.aio.ServicerContext; the interceptor owns status handling


class QuotationsServicer(quotations_pb2_grpc.QuotationsServiceServicer):
    def __init__(self, db: Database, service: QuotationsService, conversion: Conversion) -> None:
        self.db = db
        self.service = service
        self.conversion = conversion

    async def CreateQuotation(
        self, request: pb.CreateQuotationRequest, context: Context
    ) -> pb.CreateQuotationResponse:
        cmd = CreateQuotation(
            customer_id=wire.required_uuid(request.customer_id, "customer_id"),
            lines=wire.line_requests(request.lines),
            notes=request.notes,
            idempotency_key=request.idempotency_key,
            source_order_id=wire.uuid_field(
                request.source_order_id, "source_order_id", required=False
            ),
            pricing_date=wire.pricing_date_field(request.pricing_date),
        )
        quotation, replayed = await in_transaction(
            self.db, lambda uow: self.service.create(uow, cmd)
        )
        return pb.CreateQuotationResponse(quotation=wire.quotation_pb(quotation), replayed=replayed)

    async def BulkCreateQuotations(
        self, request: pb.BulkCreateQuotationsRequest, context: Context
    ) -> pb.BulkCreateQuotationsResponse:
        lines = wire.line_requests(request.lines)
        result = await in_transaction(
            self.db,
            lambda uow: self.service.bulk_create(
                uow,
                list(request.customer_ids),
                lines,
                notes=request.notes,
                idempotency_key=request.idempotency_key,
            ),
        )
        return pb.BulkCreateQuotationsResponse(
            quotations=wire.quotations_pb(result.created),
            failures=[
                pb.BulkCreateFailure(customer_id=f.customer_id, error=wire.error_detail_pb(f.error))
                for f in result.failures
            ],
        )

    async def GetQuotation(
        self, request: pb.GetQuotationRequest, context: Context
    ) -> pb.GetQuotationResponse:
        quotation_id = wire.required_uuid(request.quotation_id, "quotation_id")
        quotation = await in_transaction(self.db, lambda uow: self.service.get(uow, quotation_id))
        return pb.GetQuotationResponse(quotation=wire.quotation_pb(quotation))

    async def ListQuotations(
        self, request: pb.ListQuotationsRequest, context: Context
    ) -> pb.ListQuotationsResponse:
        where = QuotationFilter(
            status=wire.status_from_pb(request.status),
            customer_id=wire.uuid_field(request.customer_id, "customer_id", required=False),
            sku=request.sku.strip(),
            expiring_before=wire.expiring_before(request),
        )
        async with session_scope(self.db) as session:
            page = await list_quotations(
                session, where, limit=request.page.limit, cursor=request.page.cursor
            )
        return pb.ListQuotationsResponse(
            quotations=wire.quotations_pb(page.items),
            page=pagination_pb2.PageResponse(next_cursor=page.next_cursor),
        )

    async def UpdateQuotation(
        self, request: pb.UpdateQuotationRequest, context: Context
    ) -> pb.UpdateQuotationResponse:
        cmd = UpdateQuotation(
            quotation_id=wire.required_uuid(request.quotation_id, "quotation_id"),
            notes=request.notes if request.HasField("notes") else None,
            lines=wire.line_requests(request.lines.items) if request.HasField("lines") else None,
            recipient_email=(
                request.recipient_email if request.HasField("recipient_email") else None
            ),
            expected_version=request.expected_version,
        )
        quotation = await in_transaction(self.db, lambda uow: self.service.update(uow, cmd))
        return pb.UpdateQuotationResponse(quotation=wire.quotation_pb(quotation))

    async def SendQuotation(
        self, request: pb.SendQuotationRequest, context: Context
    ) -> pb.SendQuotationResponse:
        quotation_id = wire.required_uuid(request.quotation_id, "quotation_id")
        quotation = await in_transaction(
            self.db,
            lambda uow: self.service.send(
                uow,
                quotation_id,
                recipient_email=request.recipient_email,
                message=request.message,
            ),
        )
        return pb.SendQuotationResponse(quotation=wire.quotation_pb(quotation))

    async def AcceptQuotation(
        self, request: pb.AcceptQuotationRequest, context: Context
    ) -> pb.AcceptQuotationResponse:
        quotation_id = wire.required_uuid(request.quotation_id, "quotation_id")
        quotation = await in_transaction(
            self.db, lambda uow: self.service.accept(uow, quotation_id)
        )
        return pb.AcceptQuotationResponse(quotation=wire.quotation_pb(quotation))

    async def RejectQuotation(
        self, request: pb.RejectQuotationRequest, context: Context
    ) -> pb.RejectQuotationResponse:
        quotation_id = wire.required_uuid(request.quotation_id, "quotation_id")
        quotation = await in_transaction(
            self.db, lambda uow: self.service.reject(uow, quotation_id, request.reason)
        )
        return pb.RejectQuotationResponse(quotation=wire.quotation_pb(quotation))

    async def ConvertQuotation(
        self, request: pb.ConvertQuotationRequest, context: Context
    ) -> pb.ConvertQuotationResponse:
        quotation_id = wire.required_uuid(request.quotation_id, "quotation_id")
        quotation, _ = await self.conversion.convert(
            quotation_id, allow_backorder=request.allow_backorder
        )
        return pb.ConvertQuotationResponse(
            quotation=wire.quotation_pb(quotation),
            order_id=str(quotation.order_id or ""),
            order_number=quotation.order_number,
        )

    async def GetQuotationPdf(
        self, request: pb.GetQuotationPdfRequest, context: Context
    ) -> pb.GetQuotationPdfResponse:
        quotation_id = wire.required_uuid(request.quotation_id, "quotation_id")
        filename, content = await in_transaction(
            self.db, lambda uow: self.service.document(uow, quotation_id)
        )
        return pb.GetQuotationPdfResponse(
            content=content, filename=filename, content_type="application/pdf"
        )
