"""SmartBill documents (integration service): invoices, proformas, credit notes, their
payment state, and the health of the external links (GET /integrations/status)."""

from __future__ import annotations

import decimal
from typing import Literal

from cypher.integration.v1 import integration_pb2 as pb
from gateway.convert import time_of
from gateway.views.common import Decimal, Out, Time, Totals, totals_of

DocumentKindName = Literal["INVOICE", "PROFORMA", "CREDIT_NOTE"]
DocumentStatusName = Literal["PENDING", "ISSUED", "FAILED", "CANCELLED"]
PaymentStatusName = Literal["UNPAID", "PARTIALLY_PAID", "PAID"]
CircuitStateName = Literal["CLOSED", "OPEN", "HALF_OPEN"]


def _enum_name(enum: object, value: int, prefix: str) -> str | None:
    name: str = enum.Name(value)  # type: ignore[attr-defined]
    return None if name.endswith("_UNSPECIFIED") else name.removeprefix(prefix)


def kind_name(value: int) -> DocumentKindName | None:
    return _enum_name(pb.DocumentKind, value, "DOCUMENT_KIND_")  # type: ignore[return-value]


def document_status_name(value: int) -> DocumentStatusName | None:
    return _enum_name(pb.DocumentStatus, value, "DOCUMENT_STATUS_")  # type: ignore[return-value]


def payment_status_name(value: int) -> PaymentStatusName | None:
    return _enum_name(pb.PaymentStatus, value, "PAYMENT_STATUS_")  # type: ignore[return-value]


def circuit_state_name(value: int) -> CircuitStateName | None:
    return _enum_name(pb.CircuitState, value, "CIRCUIT_STATE_")  # type: ignore[return-value]


class InvoiceLine(Out):
    sku: str
    name: str
    unit: str
    quantity: int
    unit_net: Decimal
    vat_rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal
    discount: Decimal | None


class InvoiceSummary(Out):
    """A document of an order, as the order aggregate shows it."""

    id: str
    kind: DocumentKindName | None
    status: DocumentStatusName | None
    series: str | None
    number: str | None
    total: Decimal | None
    currency: str | None
    payment_status: PaymentStatusName | None
    amount_paid: Decimal | None
    amount_due: Decimal | None
    pdf_url: str | None


class Invoice(InvoiceSummary):
    """A SmartBill document. `series`/`number` are null while PENDING (queued, SmartBill
    not reached yet); `error` is SmartBill's text when FAILED; `needs_review` when the
    outcome of a call could not be established and a person must check SmartBill."""

    order_id: str
    customer_id: str
    totals: Totals
    issue_date: str | None
    due_date: str | None
    vat_date: str | None
    lines: list[InvoiceLine]
    error: str | None
    needs_review: bool
    attempts: int
    credited_invoice_id: str | None
    storno: bool
    from_proforma: str | None
    created_at: Time | None
    updated_at: Time | None
    paid_at: Time | None
    version: int


class OrderPayment(Out):
    """The payment state of an order's invoice (null while the order has none)."""

    invoice_id: str
    status: PaymentStatusName | None
    total: Decimal
    amount_paid: Decimal
    amount_due: Decimal
    currency: str
    paid_at: Time | None


def _amount(money: object) -> str | None:
    value: str = money.amount  # type: ignore[attr-defined]
    return value or None


def _due(i: pb.Invoice) -> str | None:
    if i.kind != pb.DOCUMENT_KIND_INVOICE or not i.totals.gross.amount:
        return None
    due = decimal.Decimal(i.totals.gross.amount) - decimal.Decimal(i.amount_paid.amount or "0")
    return f"{max(due, decimal.Decimal(0)):.2f}"


def _summary_fields(i: pb.Invoice) -> dict[str, object]:
    return {
        "id": i.id,
        "kind": kind_name(i.kind),
        "status": document_status_name(i.status),
        "series": i.series or None,
        "number": i.number or None,
        "total": _amount(i.totals.gross),
        "currency": i.totals.gross.currency or None,
        "payment_status": payment_status_name(i.payment_status)
        if i.kind == pb.DOCUMENT_KIND_INVOICE
        else None,
        "amount_paid": _amount(i.amount_paid),
        "amount_due": _due(i),
        "pdf_url": i.pdf_url or None,
    }


def invoice_summary_view(i: pb.Invoice) -> InvoiceSummary:
    return InvoiceSummary.model_validate(_summary_fields(i))


def invoice_view(i: pb.Invoice) -> Invoice:
    return Invoice.model_validate(
        {
            **_summary_fields(i),
            "order_id": i.order_id,
            "customer_id": i.customer_id,
            "totals": totals_of(i.totals),
            "issue_date": i.issue_date or None,
            "due_date": i.due_date or None,
            "vat_date": i.vat_date or None,
            "lines": [
                InvoiceLine(
                    sku=ln.sku,
                    name=ln.name,
                    unit=ln.unit,
                    quantity=ln.quantity,
                    unit_net=ln.unit_net.amount,
                    vat_rate=ln.vat_rate,
                    net=ln.net.amount,
                    vat=ln.vat.amount,
                    gross=ln.gross.amount,
                    discount=ln.discount.amount
                    if ln.discount.amount and decimal.Decimal(ln.discount.amount) != 0
                    else None,
                )
                for ln in i.lines
            ],
            "error": i.error or None,
            "needs_review": i.needs_review,
            "attempts": i.attempts,
            "credited_invoice_id": i.credited_invoice_id or None,
            "storno": i.storno,
            "from_proforma": i.from_proforma or None,
            "created_at": time_of(i, "created_at"),
            "updated_at": time_of(i, "updated_at"),
            "paid_at": time_of(i, "paid_at"),
            "version": i.version,
        }
    )


def payment_view(documents: list[pb.Invoice]) -> OrderPayment | None:
    """The order's payment state: that of its invoice (not cancelled), if it has one."""
    for i in documents:
        if (
            i.kind == pb.DOCUMENT_KIND_INVOICE
            and i.status != pb.DOCUMENT_STATUS_CANCELLED
            and i.totals.gross.amount
        ):
            return OrderPayment(
                invoice_id=i.id,
                status=payment_status_name(i.payment_status),
                total=i.totals.gross.amount,
                amount_paid=i.amount_paid.amount or "0.00",
                amount_due=_due(i) or "0.00",
                currency=i.totals.gross.currency or "RON",
                paid_at=time_of(i, "paid_at"),
            )
    return None


# -- GET /integrations/status -------------------------------------------------------------


class Breaker(Out):
    state: CircuitStateName | None
    consecutive_failures: int
    opened_at: Time | None
    next_attempt_at: Time | None = None


class SyncRun(Out):
    name: str
    last_run_at: Time | None
    last_success_at: Time | None
    last_status: str | None


class ExternalSystem(Out):
    """One external system (SmartBill, WooCommerce, SMTP …): its circuit breaker, when a
    call to it last succeeded (the latest successful run of its jobs), its last error,
    and the work waiting for it."""

    name: str
    breaker: Breaker | None
    last_success_at: Time | None
    last_error: str | None
    runs: list[SyncRun]
    backlog: dict[str, int]


class IntegrationStatus(Out):
    systems: list[ExternalSystem]
    backlog: dict[str, int]


# Which external system a backlog counter waits for; a counter not listed here is shown
# under the system its name starts with, else only in the overall `backlog`.
BACKLOG_SYSTEM = {
    "pending_invoices": "smartbill",
    "pending_proformas": "smartbill",
    "unpaid_invoices": "smartbill",
    "failed_invoices": "smartbill",
    "pending_woo_items": "woocommerce",
    "failed_woo_items": "woocommerce",
    "pending_mails": "smtp",
}


def _system_of(name: str, known: list[str]) -> str:
    """A run named `smartbill_payments` belongs to `smartbill`; `woocommerce_full` to
    `woocommerce`."""
    for system in known:
        if name == system or name.startswith(f"{system}_"):
            return system
    return name.split("_", 1)[0]


def integration_status_view(reply: pb.GetIntegrationStatusResponse) -> IntegrationStatus:
    names: list[str] = [b.name for b in reply.circuit_breakers]
    runs: dict[str, list[SyncRun]] = {}
    for run in reply.last_syncs:
        system = _system_of(run.name, names)
        if system not in names:
            names.append(system)
        runs.setdefault(system, []).append(
            SyncRun(
                name=run.name,
                last_run_at=time_of(run, "last_run_at"),
                last_success_at=time_of(run, "last_success_at"),
                last_status=run.last_status or None,
            )
        )
    backlog = {f.name: int(v) for f, v in reply.backlog.ListFields()}
    for f in pb.IntegrationBacklog.DESCRIPTOR.fields:
        backlog.setdefault(f.name, 0)
    per_system: dict[str, dict[str, int]] = {}
    for counter, value in backlog.items():
        system = BACKLOG_SYSTEM.get(counter) or _system_of(counter, names)
        if system in names:
            per_system.setdefault(system, {})[counter] = value
    breakers = {b.name: b for b in reply.circuit_breakers}
    systems = []
    for name in names:
        b = breakers.get(name)
        successes = [r.last_success_at for r in runs.get(name, []) if r.last_success_at]
        systems.append(
            ExternalSystem(
                name=name,
                breaker=None
                if b is None
                else Breaker(
                    state=circuit_state_name(b.state),
                    consecutive_failures=b.consecutive_failures,
                    opened_at=time_of(b, "opened_at"),
                    next_attempt_at=time_of(b, "next_attempt_at"),
                ),
                last_success_at=max(successes) if successes else None,
                last_error=(b.last_error or None) if b is not None else None,
                runs=runs.get(name, []),
                backlog=per_system.get(name, {}),
            )
        )
    return IntegrationStatus(systems=systems, backlog=backlog)
