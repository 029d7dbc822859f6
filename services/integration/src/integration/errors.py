"""Coded errors of the integration service (one stable machine code each).

grpc-free: the runtime's interceptor maps each `kind` to a gRPC status and the gateway
maps that to HTTP (FAILED_PRECONDITION → 409 with the reason in `details`).
"""

from __future__ import annotations

from collections.abc import Sequence

from cypher_runtime.errors import (
    DomainError,
    ErrorKind,
    IllegalState,
    NotFound,
    ValidationFailed,
)

__all__ = [
    "CustomerDataIncomplete",
    "DocumentNotIssued",
    "IllegalDocumentState",
    "InvoiceNotFound",
    "OrderNotFound",
    "OrderNotInvoiceable",
    "ProformaNotAllowed",
    "SmartBillUnavailable",
    "UnknownVatCategory",
    "UpstreamRefused",
    "UpstreamUnavailable",
    "ValidationFailed",
]


class InvoiceNotFound(NotFound):
    code = "INVOICE_NOT_FOUND"

    def __init__(self, invoice_id: str) -> None:
        super().__init__(f"invoice {invoice_id} not found", details={"invoice_id": invoice_id})


class OrderNotFound(NotFound):
    code = "ORDER_NOT_FOUND"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} not found", details={"order_id": order_id})


class OrderNotInvoiceable(IllegalState):
    """Only a delivered order is invoiced (DELIVERED, or later states that imply it)."""

    code = "ORDER_NOT_INVOICEABLE"

    def __init__(self, order_id: str, status: str) -> None:
        super().__init__(
            f"order {order_id} is {status}: only a delivered order is invoiced",
            details={"order_id": order_id, "status": status, "required": "DELIVERED"},
        )


class ProformaNotAllowed(IllegalState):
    """A proforma is refused for a cancelled (or returned) order."""

    code = "PROFORMA_NOT_ALLOWED"

    def __init__(self, order_id: str, status: str) -> None:
        super().__init__(
            f"order {order_id} is {status}: no proforma for it",
            details={"order_id": order_id, "status": status},
        )


class CustomerDataIncomplete(IllegalState):
    """The customer lacks what a Romanian invoice needs; `missing` names each field."""

    code = "CUSTOMER_DATA_INCOMPLETE"

    def __init__(self, customer_id: str, missing: Sequence[str]) -> None:
        names = ", ".join(missing)
        super().__init__(
            f"customer {customer_id} lacks invoice data: {names}",
            details={"customer_id": customer_id, "missing": list(missing)},
        )
        self.missing = tuple(missing)


class UnknownVatCategory(IllegalState):
    code = "UNKNOWN_VAT_CATEGORY"

    def __init__(self, sku: str, category: str) -> None:
        super().__init__(
            f"{sku}: no VAT rate or SmartBill tax name for category {category!r}",
            details={"sku": sku, "vat_category": category},
        )


class IllegalDocumentState(IllegalState):
    code = "ILLEGAL_DOCUMENT_STATE"

    def __init__(self, document_id: str, state: str, wanted: str) -> None:
        super().__init__(
            f"document {document_id} is {state}: cannot {wanted}",
            details={"document_id": document_id, "state": state, "action": wanted},
        )


class DocumentNotIssued(IllegalState):
    code = "DOCUMENT_NOT_ISSUED"

    def __init__(self, document_id: str) -> None:
        super().__init__(
            f"document {document_id} has no SmartBill number yet",
            details={"document_id": document_id},
        )


class SmartBillUnavailable(DomainError):
    """SmartBill cannot be reached now (circuit open, blocked, down): 503, retry later.
    Only for reads that need SmartBill now (a PDF); issuing never fails on it, it waits."""

    code = "SMARTBILL_UNAVAILABLE"
    kind = ErrorKind.UNAVAILABLE

    def __init__(self, reason: str) -> None:
        super().__init__(f"SmartBill is unavailable: {reason}", details={"reason": reason})


class UpstreamUnavailable(DomainError):
    """orders or pricing did not answer: the work stays queued and is tried later."""

    code = "UPSTREAM_UNAVAILABLE"
    kind = ErrorKind.UNAVAILABLE


class UpstreamRefused(IllegalState):
    """An upstream refused a read we built (a bug of ours or bad data there)."""

    code = "UPSTREAM_REFUSED"


class WebhookNotFound(NotFound):
    code = "WEBHOOK_NOT_FOUND"

    def __init__(self, endpoint_id: str) -> None:
        super().__init__(f"webhook {endpoint_id} not found", details={"webhook_id": endpoint_id})


class DeliveryNotFound(NotFound):
    code = "DELIVERY_NOT_FOUND"

    def __init__(self, delivery_id: str) -> None:
        super().__init__(f"delivery {delivery_id} not found", details={"delivery_id": delivery_id})
