"""The WooCommerce fake's HTTP side: `/wp-json/wc/v3/products…` behind the shop's key
pair, with WooCommerce's paging headers, 100-object batches and per-item errors;
`/_fake/…` seeds products, arms faults and shows what the shop received."""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cypher_fakes.auth import basic_credentials, matches
from cypher_fakes.control import FaultSwitch, RequestLog, field_errors, read_json
from cypher_fakes.settings import FakesSettings
from cypher_fakes.woo.shop import Shop, WooError

log = logging.getLogger("cypher_fakes.woo")
API = "/wp-json/wc/v3"
BATCH_LIMIT = 100
FAULT_MODES = frozenset({"http500", "http429", "item_error"})


def _error(exc: WooError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise WooError(
            "rest_invalid_param",
            f"Invalid parameter(s): {name}",
            400,
            params={name: f"{name} must be between {low} ({low} included) and {high}."},
        )
    return int(raw)


class WooFake:
    def __init__(self, settings: FakesSettings) -> None:
        self.settings = settings
        self.faults = FaultSwitch(FAULT_MODES)
        self.requests = RequestLog()
        self.shop = Shop()

    # -- the real API ----------------------------------------------------------------------
    def endpoint(self, handler: Any) -> Any:
        """Wrap a handler with what every API call goes through: log, auth, faults."""

        async def run(request: Request) -> Response:
            entry = self.requests.arrived(
                request.method, request.url.path, query=dict(request.query_params)
            )
            response = await self._guarded(handler, request, entry)
            entry["status"] = response.status_code
            log.info(
                "woocommerce call",
                extra={
                    "method": request.method,
                    "path": request.url.path,
                    "status": response.status_code,
                },
            )
            return response

        return run

    async def _guarded(self, handler: Any, request: Request, entry: dict[str, Any]) -> Response:
        given = basic_credentials(request)
        if given is None and "consumer_key" in request.query_params:
            q = request.query_params
            given = (q["consumer_key"], q.get("consumer_secret", ""))
        s = self.settings
        if not matches(given, s.woo_consumer_key, s.woo_consumer_secret):
            return _error(
                WooError("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
            )
        fault = self.faults.current
        if fault is not None and fault.mode in ("http500", "http429"):
            self.faults.take()
            if fault.mode == "http429":
                # Hosts in front of shops answer 429 with an empty body.
                return Response(b"", status_code=429, headers={"Retry-After": "1"})
            return _error(WooError("internal_server_error", "Internal Server Error.", 500))
        body, parsed = await read_json(request)
        if not parsed:
            return _error(WooError("rest_invalid_json", "Invalid JSON body passed.", 400))
        try:
            result: Response = await handler(request, body, entry)
        except WooError as exc:
            return _error(exc)
        return result

    async def list_products(self, request: Request, body: Any, entry: dict[str, Any]) -> Response:
        per_page = _int_param(request, "per_page", 10, 1, 100)
        page = _int_param(request, "page", 1, 1, 10**9)
        products = sorted(self.shop.products.values(), key=lambda p: p["id"])
        if request.query_params.get("order", "desc") == "desc":
            products.reverse()
        sku = request.query_params.get("sku")
        if sku is not None:
            wanted = {s.strip() for s in sku.split(",")}
            products = [p for p in products if p["sku"] in wanted]
        total = len(products)
        pages = math.ceil(total / per_page)
        if total and page > pages:
            raise WooError(
                "rest_post_invalid_page_number",
                "The page number requested is larger than the number of pages available.",
                400,
            )
        chunk = products[(page - 1) * per_page : page * per_page]
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        links = []
        base = str(request.url.replace(query=""))
        query = dict(request.query_params)
        for rel, target in (("prev", page - 1), ("next", page + 1)):
            if 1 <= target <= pages:
                links.append(f'<{base}?{urlencode({**query, "page": target})}>; rel="{rel}"')
        if links:
            headers["Link"] = ", ".join(links)
        return JSONResponse(chunk, headers=headers)

    async def create_product(self, request: Request, body: Any, entry: dict[str, Any]) -> Response:
        return JSONResponse(self.shop.create(body), status_code=201)

    async def get_product(self, request: Request, body: Any, entry: dict[str, Any]) -> Response:
        return JSONResponse(self.shop.get(int(request.path_params["id"])))

    async def update_product(self, request: Request, body: Any, entry: dict[str, Any]) -> Response:
        return JSONResponse(self.shop.update(int(request.path_params["id"]), body))

    async def delete_product(self, request: Request, body: Any, entry: dict[str, Any]) -> Response:
        force = request.query_params.get("force", "false").lower() in ("true", "1")
        return JSONResponse(self.shop.delete(int(request.path_params["id"]), force))

    async def batch(self, request: Request, body: Any, entry: dict[str, Any]) -> Response:
        if not isinstance(body, dict):
            raise WooError("rest_invalid_json", "Invalid JSON body passed.", 400)
        groups = {k: body.get(k) or [] for k in ("create", "update", "delete")}
        bad = [k for k, v in groups.items() if not isinstance(v, list)]
        if bad:
            raise WooError(
                "rest_invalid_param",
                f"Invalid parameter(s): {', '.join(bad)}",
                400,
                params={k: f"{k} is not of type array." for k in bad},
            )
        counts = {k: len(v) for k, v in groups.items()}
        entry["items"] = {**counts, "total": sum(counts.values())}
        if sum(counts.values()) > BATCH_LIMIT:
            raise WooError(
                "woocommerce_rest_request_entity_too_large",
                f"Unable to accept more than {BATCH_LIMIT} items for this request.",
                413,
            )
        answer: dict[str, list[Any]] = {}
        if groups["create"]:
            answer["create"] = [
                self._item(lambda i=i: self.shop.create(i), i, 0) for i in groups["create"]
            ]
        if groups["update"]:
            answer["update"] = [
                self._item(
                    lambda i=i: self.shop.update(i.get("id") if isinstance(i, dict) else None, i),
                    i,
                    i.get("id", 0) if isinstance(i, dict) else 0,
                )
                for i in groups["update"]
            ]
        if groups["delete"]:
            answer["delete"] = [
                self._item(lambda i=i: self.shop.delete(i, True), {"id": i}, i)
                for i in groups["delete"]
            ]
        entry["failed"] = sum(1 for v in answer.values() for r in v if "error" in r)
        return JSONResponse(answer)

    def _item(self, write: Any, item: Any, item_id: Any) -> dict[str, Any]:
        """One batch item: the product written, or WooCommerce's per-item error."""
        sku = self._sku_of(item)
        fault = self.faults.current
        if (
            fault is not None
            and fault.mode == "item_error"
            and self.faults.take(sku=sku or "") is not None
        ):
            exc = WooError("woocommerce_rest_product_not_saved", "Could not save product.", 500)
            return {"id": item_id, "error": exc.body()}
        try:
            product: dict[str, Any] = write()
        except WooError as exc:
            return {"id": item_id if isinstance(item_id, int) else 0, "error": exc.body()}
        return product

    def _sku_of(self, item: Any) -> str | None:
        if not isinstance(item, dict):
            return None
        if isinstance(item.get("sku"), str):
            return str(item["sku"])
        item_id = item.get("id")
        product = self.shop.products.get(item_id) if isinstance(item_id, int) else None
        return None if product is None else str(product["sku"])

    # -- control ---------------------------------------------------------------------------
    async def fake_requests(self, request: Request) -> Response:
        return JSONResponse(self.requests.entries)

    async def fake_products(self, request: Request) -> Response:
        return JSONResponse({p["sku"]: p for p in self.shop.products.values() if p["sku"]})

    async def seed_products(self, request: Request) -> Response:
        body, _ = await read_json(request)
        batch = body if isinstance(body, list) else [body]
        created = []
        for n, fields in enumerate(batch):
            try:
                created.append(self.shop.create(fields))
            except WooError as exc:
                return field_errors({str(n): exc.message}, status=exc.status)
        return JSONResponse(created, status_code=201)

    async def arm_fault(self, request: Request) -> Response:
        body, _ = await read_json(request)
        errors = self.faults.arm(body, ("sku",))
        if errors:
            return field_errors(errors)
        return JSONResponse({"fault": self.faults.describe()})

    async def reset(self, request: Request) -> Response:
        self.shop = Shop()
        self.faults.current = None
        self.requests.clear()
        return JSONResponse({"reset": True})

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})


def build_app(fake: WooFake) -> Starlette:
    e = fake.endpoint
    product = API + "/products/{id:int}"
    return Starlette(
        routes=[
            Route(API + "/products", e(fake.list_products), methods=["GET"]),
            Route(API + "/products", e(fake.create_product), methods=["POST"]),
            Route(API + "/products/batch", e(fake.batch), methods=["POST", "PUT", "PATCH"]),
            Route(product, e(fake.get_product), methods=["GET"]),
            Route(product, e(fake.update_product), methods=["PUT", "POST", "PATCH"]),
            Route(product, e(fake.delete_product), methods=["DELETE"]),
            Route("/_fake/health", fake.health),
            Route("/_fake/requests", fake.fake_requests),
            Route("/_fake/products", fake.fake_products, methods=["GET"]),
            Route("/_fake/products", fake.seed_products, methods=["POST"]),
            Route("/_fake/faults", fake.arm_fault, methods=["POST"]),
            Route("/_fake/reset", fake.reset, methods=["POST"]),
        ]
    )
