"""The SmartBill fake's HTTP side: every `/SBORO/api/…` call goes through the rate limit,
Basic auth and any armed fault before its operation runs; `/_fake/…` steers it."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cypher_fakes.auth import basic_credentials, matches
from cypher_fakes.control import FaultSwitch, Lifecycle, RequestLog, field_errors, read_json
from cypher_fakes.settings import FakesSettings
from cypher_fakes.smartbill.account import Account, BusinessError
from cypher_fakes.smartbill.operations import OPERATIONS
from cypher_fakes.smartbill.ratelimit import RateLimiter

log = logging.getLogger("cypher_fakes.smartbill")
API_PREFIX = "/SBORO/api/"
FAULT_MODES = frozenset({"timeout", "http500", "error_text"})


def _error(text: str, status: int, headers: dict[str, str]) -> JSONResponse:
    return JSONResponse(
        {"errorText": text, "message": "", "number": ""}, status_code=status, headers=headers
    )


class SmartBillFake:
    def __init__(self, settings: FakesSettings, lifecycle: Lifecycle) -> None:
        self.settings = settings
        self.lifecycle = lifecycle
        self.faults = FaultSwitch(FAULT_MODES)
        self.requests = RequestLog()
        self.reset()

    def reset(self) -> None:
        s = self.settings
        self.account = Account(s.smartbill_cif)
        self.limiter = RateLimiter(
            s.smartbill_rate_limit, s.smartbill_rate_window_seconds, s.smartbill_block_seconds
        )
        self.faults.current = None
        self.requests.clear()

    # -- the real API ----------------------------------------------------------------------
    async def api(self, request: Request) -> Response:
        path = request.url.path
        body, parsed = await read_json(request)
        details: dict[str, Any] = {"query": dict(request.query_params)}
        if request.method in ("POST", "PUT"):
            details["body"] = body
        entry = self.requests.arrived(request.method, path, **details)
        response = await self._answer(request, body, parsed)
        entry["status"] = response.status_code
        log.info(
            "smartbill call",
            extra={"method": request.method, "path": path, "status": response.status_code},
        )
        return response

    async def _answer(self, request: Request, body: Any, parsed: bool) -> Response:
        given = basic_credentials(request)
        verdict = self.limiter.hit(given[0] if given else "")
        headers = verdict.headers()
        if not verdict.allowed:
            return _error("Limita de apeluri depasita; contul este blocat temporar.", 403, headers)
        if not matches(given, self.settings.smartbill_email, self.settings.smartbill_token):
            return _error("Autentificare esuata: email sau token API gresit.", 401, headers)
        op_path = request.url.path[len(API_PREFIX) :].strip("/")
        operation = OPERATIONS.get((request.method, op_path))
        if operation is None:
            return _error(f"Operatie necunoscuta: {request.method} {op_path}", 404, headers)
        if not parsed:
            return _error("Corpul cererii nu este JSON valid.", 400, headers)
        fault = self.faults.take(method=request.method, path="/" + op_path)
        mode = fault.mode if fault else None
        if mode == "http500":
            return _error("Eroare interna a serverului.", 500, headers)
        if mode == "error_text":
            return _error("Serviciul este temporar indisponibil. Reincercati.", 200, headers)
        try:
            answer = operation(self.account, request.query_params, body)
        except BusinessError as exc:
            return _error(exc.text, exc.status, headers)
        if fault is not None and mode == "timeout":
            # The work is done; the answer comes after the client has given up.
            await self.lifecycle.answer_late(fault)
        if isinstance(answer, bytes):
            return Response(answer, media_type="application/octet-stream", headers=headers)
        return JSONResponse(answer, headers=headers)

    # -- control ---------------------------------------------------------------------------
    async def list_requests(self, request: Request) -> Response:
        return JSONResponse(self.requests.entries)

    async def list_documents(self, request: Request) -> Response:
        docs = sorted(self.account.documents.values(), key=lambda d: d.id)
        series = request.query_params.get("series")
        return JSONResponse([d.public() for d in docs if series in (None, d.series)])

    async def add_payment(self, request: Request) -> Response:
        body, _ = await read_json(request)
        if not isinstance(body, dict):
            return field_errors({"body": "expected {series, number, amount}"})
        errors: dict[str, str] = {}
        for key in ("series", "number"):
            if not isinstance(body.get(key), str) or not body[key]:
                errors[key] = "a non-empty string"
        try:
            amount = Decimal(str(body.get("amount")))
            if not amount.is_finite() or amount <= 0:
                raise InvalidOperation
        except InvalidOperation:
            errors["amount"] = "a positive number"
        if errors:
            return field_errors(errors)
        try:
            doc = self.account.find(body["series"], body["number"], "invoice")
            self.account.pay(doc, amount)
        except BusinessError as exc:
            return JSONResponse({"error": exc.text}, status_code=404 if exc.status == 400 else 409)
        return JSONResponse(doc.public())

    async def arm_fault(self, request: Request) -> Response:
        body, _ = await read_json(request)
        errors = self.faults.arm(body, ("method", "path"))
        if errors:
            return field_errors(errors)
        return JSONResponse({"fault": self.faults.describe()})

    async def set_rate_limit(self, request: Request) -> Response:
        """Tests shrink the window and the block so the limit is testable in seconds."""
        body, _ = await read_json(request)
        if not isinstance(body, dict):
            return field_errors({"body": "expected {limit?, window_seconds?, block_seconds?}"})
        current = {
            "limit": self.limiter.limit,
            "window_seconds": self.limiter.window,
            "block_seconds": self.limiter.block,
        }
        errors = {
            k: "a non-negative number"
            for k in current
            if k in body
            and (isinstance(body[k], bool) or not isinstance(body[k], (int, float)) or body[k] < 0)
        }
        if errors:
            return field_errors(errors)
        current.update({k: body[k] for k in current if k in body})
        self.limiter = RateLimiter(
            int(current["limit"]), float(current["window_seconds"]), float(current["block_seconds"])
        )
        return JSONResponse(current)

    async def reset_all(self, request: Request) -> Response:
        self.reset()
        return JSONResponse({"reset": True})

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})


def build_app(fake: SmartBillFake) -> Starlette:
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
    return Starlette(
        routes=[
            Route("/SBORO/api/{rest:path}", fake.api, methods=methods),
            Route("/_fake/health", fake.health),
            Route("/_fake/requests", fake.list_requests),
            Route("/_fake/documents", fake.list_documents),
            Route("/_fake/payments", fake.add_payment, methods=["POST"]),
            Route("/_fake/faults", fake.arm_fault, methods=["POST"]),
            Route("/_fake/ratelimit", fake.set_rate_limit, methods=["POST"]),
            Route("/_fake/reset", fake.reset_all, methods=["POST"]),
        ]
    )
