"""The IntegrationService servicer: request → wire → use case → wire. No SQL, no rule,
no error mapping (the runtime's interceptor maps coded errors). The WooCommerce RPCs
are mixed in from `integration.shop.grpc_api` (main.py); GetIntegrationStatus reports
every guard (SmartBill's here, the shop's and the SMTP server's given as `other_links`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cypher.integration.v1 import integration_pb2 as pb
from cypher.integration.v1 import integration_pb2_grpc
from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, in_transaction
from cypher_runtime.paging import page_limit
from cypher_runtime.proto_values import optional_timestamp_pb
from integration import queries, wire
from integration.cancellation import cancel_invoice
from integration.db.documents import Documents
from integration.domain.documents import DocumentKind
from integration.errors import DocumentNotIssued, InvoiceNotFound, SmartBillUnavailable
from integration.issuance import Issuer
from integration.ports import LinkPort, SmartBillPort
from integration.service import InvoicingService
from integration.smartbill.outcomes import NotSent, Refused, Uncertain

Context = Any  # grpc.aio.ServicerContext; the interceptor owns status handling


def pdf_path(document_id: str) -> str:
    """Where the gateway serves the document's PDF."""
    return f"/api/v1/invoices/{document_id}/pdf"


class IntegrationServicer(integration_pb2_grpc.IntegrationServiceServicer):
    def __init__(
        self,
        *,
        db: Database,
        service: InvoicingService,
        issuer: Issuer,
        smartbill: SmartBillPort,
        link: LinkPort,
        clock: Clock,
        create_wait_seconds: float,
        other_links: Sequence[LinkPort] = (),
    ) -> None:
        self.db = db
        self.service = service
        self.issuer = issuer
        self.smartbill = smartbill
        self.link = link
        self.clock = clock
        self.create_wait = create_wait_seconds
        # The shop's and the SMTP server's guards, reported beside SmartBill's.
        self.other_links = tuple(other_links)

    def _pb(self, doc: Any) -> pb.Invoice:
        return wire.invoice_pb(doc, pdf_path=pdf_path(str(doc.id)))

    async def ListInvoices(
        self, request: pb.ListInvoicesRequest, context: Context
    ) -> pb.ListInvoicesResponse:
        limit = page_limit(request.page.limit)
        order_id = (
            wire.uuid_field(request.order_id, "order_id") if request.order_id.strip() else None
        )
        async with self.db.unit_of_work() as uow:
            page = await queries.list_documents(
                uow,
                limit=limit,
                cursor=request.page.cursor,
                order_id=order_id,
                kind=wire.kind_filter(request.kind),
                payment_status=wire.payment_filter(request.payment_status),
            )
        response = pb.ListInvoicesResponse(invoices=[self._pb(d) for d in page.documents])
        response.page.next_cursor = page.next_cursor
        return response

    async def GetInvoice(
        self, request: pb.GetInvoiceRequest, context: Context
    ) -> pb.GetInvoiceResponse:
        document_id = wire.uuid_field(request.invoice_id, "invoice_id")
        async with self.db.unit_of_work() as uow:
            doc = await self.service.get(uow, document_id)
        return pb.GetInvoiceResponse(invoice=self._pb(doc))

    async def CreateInvoice(
        self, request: pb.CreateInvoiceRequest, context: Context
    ) -> pb.CreateInvoiceResponse:
        order_id = wire.uuid_field(request.order_id, "order_id")
        doc, replayed = await in_transaction(
            self.db, lambda uow: self.service.request_invoice(uow, order_id)
        )
        await self.issuer.wait_settled(doc.id, self.create_wait)
        async with self.db.unit_of_work() as uow:
            doc = await self.service.get(uow, doc.id)
        return pb.CreateInvoiceResponse(invoice=self._pb(doc), replayed=replayed)

    async def CreateProforma(
        self, request: pb.CreateProformaRequest, context: Context
    ) -> pb.CreateProformaResponse:
        order_id = wire.uuid_field(request.order_id, "order_id")
        doc, _ = await in_transaction(
            self.db, lambda uow: self.service.request_proforma(uow, order_id)
        )
        await self.issuer.wait_settled(doc.id, self.create_wait)
        async with self.db.unit_of_work() as uow:
            doc = await self.service.get(uow, doc.id)
        return pb.CreateProformaResponse(proforma=self._pb(doc))

    async def GetInvoicePdf(
        self, request: pb.GetInvoicePdfRequest, context: Context
    ) -> pb.GetInvoicePdfResponse:
        document_id = wire.uuid_field(request.invoice_id, "invoice_id")
        async with self.db.unit_of_work() as uow:
            doc = await Documents(uow).get(document_id)
        if doc is None:
            raise InvoiceNotFound(str(document_id))
        ref = doc.ref
        if ref is None:
            raise DocumentNotIssued(str(document_id))
        kind = "estimate" if doc.kind == DocumentKind.PROFORMA else "invoice"
        try:
            content = await self.smartbill.pdf(kind, ref)
        except (NotSent, Uncertain, Refused) as exc:
            raise SmartBillUnavailable(exc.message) from exc
        return pb.GetInvoicePdfResponse(
            content=content,
            filename=f"{ref.series}-{ref.number}.pdf",
            content_type="application/pdf",
        )

    async def CancelInvoice(
        self, request: pb.CancelInvoiceRequest, context: Context
    ) -> pb.CancelInvoiceResponse:
        document_id = wire.uuid_field(request.invoice_id, "invoice_id")
        doc = await cancel_invoice(self.db, self.service, self.smartbill, self.clock, document_id)
        return pb.CancelInvoiceResponse(invoice=self._pb(doc))

    async def GetIntegrationStatus(
        self, request: pb.GetIntegrationStatusRequest, context: Context
    ) -> pb.GetIntegrationStatusResponse:
        async with self.db.unit_of_work() as uow:
            runs = await queries.link_run_list(uow)
            runs += await queries.shop_run_list(uow)
            counts = await queries.backlog_counts(uow)
            mail_sent_at = await queries.last_mail_sent_at(uow)
        links = [self.link.status(), *(link.status() for link in self.other_links)]
        # Each guard as a line of its own: the last call that got through, the last
        # that failed. The mail log keeps the last sent mail across restarts.
        durable = {"smtp": mail_sent_at}
        runs += [queries.guard_run(status, durable.get(status.name)) for status in links]
        return pb.GetIntegrationStatusResponse(
            circuit_breakers=[wire.breaker_pb(status) for status in links],
            last_syncs=[
                pb.LastSync(
                    name=run.name,
                    last_run_at=optional_timestamp_pb(run.last_run_at),
                    last_success_at=optional_timestamp_pb(run.last_success_at),
                    last_status=run.last_status,
                )
                for run in runs
            ],
            backlog=pb.IntegrationBacklog(
                pending_invoices=counts["pending_invoices"],
                pending_proformas=counts["pending_proformas"],
                unpaid_invoices=counts["unpaid_invoices"],
                failed_invoices=counts["failed"],
                pending_woo_items=counts["pending_woo_items"],
                failed_woo_items=counts["failed_woo_items"],
                pending_mails=counts["pending_mails"],
            ),
        )
