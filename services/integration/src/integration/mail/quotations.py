"""The quotations adapter: GetQuotationPdf over gRPC (deadline, idempotent retries)."""

from __future__ import annotations

import grpc

from cypher.quotations.v1 import quotations_pb2, quotations_pb2_grpc
from cypher_runtime.grpc_client import call, make_channel
from integration.errors import UpstreamUnavailable
from integration.mail.domain.mails import Attachment


class GrpcQuotationPdfs:
    def __init__(self, target: str, timeout: float) -> None:
        self.target = target
        self.timeout = timeout
        self._channel: grpc.aio.Channel | None = None

    def _stub(self) -> quotations_pb2_grpc.QuotationsServiceAsyncStub:
        if self._channel is None:
            self._channel = make_channel(self.target, default_timeout=self.timeout)
        return quotations_pb2_grpc.QuotationsServiceStub(self._channel)  # type: ignore[return-value]

    async def quotation_pdf(self, quotation_id: str) -> Attachment | None:
        try:
            reply = await call(
                self._stub().GetQuotationPdf,
                quotations_pb2.GetQuotationPdfRequest(quotation_id=quotation_id),
                timeout=self.timeout,
                idempotent=True,
            )
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise UpstreamUnavailable(
                f"quotations did not answer: {err.code().name}",
                details={"service": "quotations"},
            ) from err
        return Attachment(
            reply.filename or f"{quotation_id}.pdf",
            reply.content_type or "application/pdf",
            bytes(reply.content),
        )

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
