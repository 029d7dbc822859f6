"""The SmartBill Cloud REST client. It knows SmartBill only by configuration (base URL,
account e-mail and API token, company CIF), so the real service and the local fake are
the same code path. Every call has a timeout and goes through the guard (throttle +
circuit breaker). Reads are retried with backoff on transport failures; writes never
are: a write whose outcome is unknown raises `Uncertain` and the caller looks the
document up before deciding anything (issuance.py)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from integration.domain.billing import Draft
from integration.domain.documents import DocRef
from integration.ports import PaymentState
from integration.smartbill import payloads
from integration.smartbill.guard import Guard
from integration.smartbill.outcomes import (
    AccountBlocked,
    CircuitOpen,
    NotSent,
    Refused,
    SmartBillError,
    Uncertain,
)

log = logging.getLogger(__name__)

# SmartBill's block after one call too many lasts 10 minutes (when it sends no reset).
DEFAULT_BLOCK = timedelta(minutes=10)


@dataclass(frozen=True)
class SmartBillConfig:
    base_url: str
    email: str
    token: str
    cif: str
    timeout_seconds: float
    connect_timeout_seconds: float
    read_attempts: int


def _retryable_read(exc: BaseException) -> bool:
    # The circuit and the block have their own clocks; retrying into them is pointless.
    if isinstance(exc, CircuitOpen | AccountBlocked):
        return False
    return isinstance(exc, NotSent | Uncertain)


class SmartBillClient:
    def __init__(
        self,
        config: SmartBillConfig,
        guard: Guard,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.guard = guard
        base = config.base_url.rstrip("/") + "/"
        self.http = httpx.AsyncClient(
            base_url=base,
            auth=httpx.BasicAuth(config.email, config.token),
            headers={"Accept": "application/json"},
            timeout=httpx.Timeout(config.timeout_seconds, connect=config.connect_timeout_seconds),
            transport=transport,
        )

    async def close(self) -> None:
        await self.http.aclose()

    # -- one call ------------------------------------------------------------------------
    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        binary: bool = False,
    ) -> Any:
        headers = {"Accept": "application/octet-stream"} if binary else {}
        try:
            response = await self.http.request(
                method, path, params=params, json=body, headers=headers
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NotSent(f"{method} {path}: cannot connect ({type(exc).__name__})") from exc
        except httpx.TimeoutException as exc:
            raise Uncertain(f"{method} {path}: no answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise Uncertain(f"{method} {path}: connection broken ({type(exc).__name__})") from exc
        self.guard.throttle.observe(dict(response.headers))
        return self._read(method, path, response, binary)

    def _read(self, method: str, path: str, response: httpx.Response, binary: bool) -> Any:
        status = response.status_code
        text = _error_text(response)
        if status == 403:
            raise AccountBlocked(f"{method} {path}: blocked (403) {text}".strip(), _reset(response))
        if status == 401:
            raise NotSent(f"{method} {path}: credentials refused (401) {text}".strip())
        if status >= 500:
            raise Uncertain(f"{method} {path}: HTTP {status} {text}".strip())
        if status >= 400:
            raise Refused(text or f"HTTP {status}", status)
        if binary and not response.headers.get("content-type", "").startswith("application/json"):
            return response.content
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Uncertain(f"{method} {path}: unreadable answer") from exc
        if not isinstance(data, dict):
            raise Uncertain(f"{method} {path}: unexpected answer {str(data)[:80]}")
        if str(data.get("errorText") or "").strip():
            # Business errors often come with HTTP 200: still an error.
            raise Refused(str(data["errorText"]).strip(), status)
        return data

    async def _write(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async def attempt() -> Any:
            return await self._send(method, path, body=body)

        result: dict[str, Any] = await self.guard.call(attempt)
        return result

    async def _get(self, path: str, params: dict[str, str], *, binary: bool = False) -> Any:
        async def attempt() -> Any:
            return await self._send("GET", path, params=params, binary=binary)

        async for retry in AsyncRetrying(
            stop=stop_after_attempt(self.config.read_attempts),
            wait=wait_exponential_jitter(multiplier=0.2, max=2.0, jitter=0.1),
            retry=retry_if_exception(_retryable_read),
            reraise=True,
        ):
            with retry:
                return await self.guard.call(attempt)
        raise AssertionError("unreachable")

    def _doc(self, ref: DocRef) -> dict[str, str]:
        return {"cif": self.config.cif, "seriesname": ref.series, "number": ref.number}

    # -- the operations we use -----------------------------------------------------------
    async def create_document(
        self, *, kind: str, series: str, draft: Draft, estimate: DocRef | None = None
    ) -> DocRef:
        """`kind`: "invoice" or "estimate". Raises Refused / NotSent / Uncertain."""
        body = payloads.document_body(
            cif=self.config.cif, series=series, draft=draft, estimate=estimate
        )
        answer = await self._write("POST", kind, body)
        return _ref(answer, series)

    async def reverse_invoice(self, invoice: DocRef, issue_date: date) -> DocRef:
        body = payloads.reverse_body(cif=self.config.cif, invoice=invoice, issue_date=issue_date)
        answer = await self._write("POST", "invoice/reverse", body)
        return _ref(answer, invoice.series)

    async def cancel_invoice(self, invoice: DocRef) -> None:
        async def attempt() -> Any:
            return await self._send("PUT", "invoice/cancel", params=self._doc(invoice))

        await self.guard.call(attempt)

    async def next_number(self, series: str, kind: str) -> int:
        """The series' next number (`GET /series`); kind "f" invoices, "p" proformas."""
        answer = await self._get("series", {"cif": self.config.cif, "type": kind})
        for item in answer.get("list") or []:
            if isinstance(item, dict) and item.get("name") == series:
                try:
                    return int(item["nextNumber"])
                except (KeyError, TypeError, ValueError):
                    break
        raise Refused(f"series {series!r} ({kind}) not found in the account", 200)

    async def invoice_total(self, ref: DocRef) -> Decimal | None:
        """The invoice's total as SmartBill holds it, None when it does not exist."""
        try:
            state = await self.payment_status(ref)
        except Refused:
            return None
        return state.total

    async def estimate_invoices(self, ref: DocRef) -> list[DocRef] | None:
        """The invoices made from a proforma; None when the proforma does not exist."""
        try:
            answer = await self._get("estimate/invoices", self._doc(ref))
        except Refused:
            return None
        found = []
        for item in answer.get("invoices") or []:
            if isinstance(item, dict) and item.get("number"):
                found.append(DocRef(str(item.get("series") or ""), str(item["number"])))
        return found

    async def estimate_exists(self, ref: DocRef) -> bool:
        return await self.estimate_invoices(ref) is not None

    async def payment_status(self, ref: DocRef) -> PaymentState:
        answer = await self._get("invoice/paymentstatus", self._doc(ref))
        return PaymentState(
            total=_decimal(answer.get("invoiceTotalAmount")),
            paid=_decimal(answer.get("paidAmount")),
            unpaid=_decimal(answer.get("unpaidAmount")),
        )

    async def pdf(self, kind: str, ref: DocRef) -> bytes:
        content = await self._get(f"{kind}/pdf", self._doc(ref), binary=True)
        if not isinstance(content, bytes):
            raise Uncertain(f"{kind}/pdf: expected a PDF, got JSON")
        return content


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200].strip()
    if isinstance(data, dict):
        return str(data.get("errorText") or data.get("message") or "").strip()
    return ""


def _reset(response: httpx.Response) -> datetime:
    raw = response.headers.get("x-ratelimit-reset", "")
    try:
        return datetime.fromtimestamp(float(raw), UTC)
    except (ValueError, OverflowError, OSError):
        return datetime.now(UTC) + DEFAULT_BLOCK


def _ref(answer: dict[str, Any], series: str) -> DocRef:
    number = str(answer.get("number") or "").strip()
    if not number:
        raise Uncertain("SmartBill answered without a document number")
    return DocRef(str(answer.get("series") or series), number)


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise Uncertain(f"SmartBill sent a non-numeric amount {value!r}") from None


__all__ = ["SmartBillClient", "SmartBillConfig", "SmartBillError"]
