"""The supplier sites' HTTP side: each feed answers with ETag and Last-Modified and
honours conditional requests (304); `/_fake/{supplier}/…` edits items and arms faults."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import AsyncIterator
from decimal import Decimal, InvalidOperation
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from cypher_fakes.control import FaultSwitch, Lifecycle, RequestLog, field_errors, read_json
from cypher_fakes.suppliers import feeds
from cypher_fakes.suppliers.catalog import SUPPLIERS, Item, SupplierDef, generate, seed

log = logging.getLogger("cypher_fakes.suppliers")
FAULT_MODES = frozenset({"timeout", "http500", "garbage", "oversize", "endless"})
# A hostile site: one 10 MB page, or a body that never ends (chunks until the client
# hangs up), so a client must bound what it reads.
OVERSIZE_BYTES = 10 * 1024 * 1024
ENDLESS_CHUNK = b"x" * 65536
MAX_GENERATED = 100_000
# supplier → (feed path, format used for garbage, media type)
FEEDS: dict[str, tuple[str, str, str]] = {
    "aca": ("/aca/produse", "html", "text/html; charset=utf-8"),
    "braytron": ("/braytron/catalog", "html", "text/html; charset=utf-8"),
    "masterled": ("/masterled/feed.csv", "csv", "text/csv; charset=utf-8"),
    "fsl": ("/fsl/export.csv", "csv", "text/csv; charset=utf-8"),
    "arelux": ("/arelux/api/products", "json", "application/json"),
}


class Site:
    def __init__(self, supplier: SupplierDef) -> None:
        self.supplier = supplier
        self.faults = FaultSwitch(FAULT_MODES)
        self.replace(seed(supplier))

    def replace(self, items: list[Item]) -> None:
        self.items = items
        self.faults.current = None
        self.last_modified = 0.0
        self.touch()

    def touch(self) -> None:
        # Whole seconds, strictly increasing: HTTP dates have one-second resolution and
        # a change within the same second must still defeat If-Modified-Since.
        self.last_modified = max(float(math.floor(time.time())), self.last_modified + 1)

    def find(self, supplier_sku: str) -> Item | None:
        return next((i for i in self.items if i.supplier_sku == supplier_sku), None)

    def render(self, query: dict[str, str]) -> str | None:
        """The feed body for this request, or None for a page that does not exist."""
        key = self.supplier.key
        if key in ("masterled", "fsl"):
            return (
                feeds.masterled_csv(self.items) if key == "masterled" else feeds.fsl_csv(self.items)
            )
        page = _positive_int(query.get("pag" if key == "braytron" else "page", "1"))
        if key == "arelux":
            per_page = _positive_int(query.get("per_page", str(feeds.ARELUX_PAGE_SIZE)))
            if page is None or per_page is None or per_page > feeds.ARELUX_MAX_PAGE_SIZE:
                return None
            if page > feeds.pages(len(self.items), per_page):
                return None
            return feeds.arelux_page(self.items, page, per_page)
        size = feeds.ACA_PAGE_SIZE if key == "aca" else feeds.BRAYTRON_PAGE_SIZE
        if page is None or page > feeds.pages(len(self.items), size):
            return None
        return (
            feeds.aca_page(self.items, page)
            if key == "aca"
            else feeds.braytron_page(self.items, page)
        )


async def _endless() -> AsyncIterator[bytes]:
    while True:  # Starlette stops it when the client disconnects
        yield ENDLESS_CHUNK
        await asyncio.sleep(0.001)


def _positive_int(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def _not_modified(request: Request, etag: str, last_modified: float) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or etag in tags
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            return last_modified <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
    return False


class SupplierSites:
    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.requests = RequestLog()
        self.sites = {key: Site(s) for key, s in SUPPLIERS.items()}

    # -- the sites -------------------------------------------------------------------------
    def feed_endpoint(self, key: str) -> Any:
        async def endpoint(request: Request) -> Response:
            entry = self.requests.arrived(
                request.method, request.url.path, supplier=key, query=dict(request.query_params)
            )
            response = await self._feed(self.sites[key], request)
            entry["status"] = response.status_code
            log.info(
                "supplier feed",
                extra={"supplier": key, "path": request.url.path, "status": response.status_code},
            )
            return response

        return endpoint

    async def _feed(self, site: Site, request: Request) -> Response:
        _, kind, media_type = FEEDS[site.supplier.key]
        fault = site.faults.take()
        mode = fault.mode if fault else None
        if fault is not None and mode == "timeout":
            await self.lifecycle.answer_late(fault)
        elif mode == "http500":
            return PlainTextResponse("Internal Server Error", status_code=500)
        elif mode == "garbage":
            return Response(feeds.garbage(kind), media_type=media_type)
        elif mode == "oversize":
            return Response(b"x" * OVERSIZE_BYTES, media_type=media_type)
        elif mode == "endless":
            return StreamingResponse(_endless(), media_type=media_type)
        body = site.render(dict(request.query_params))
        if body is None:
            return PlainTextResponse("Pagina nu există", status_code=404)
        encoded = body.encode()
        etag = '"' + hashlib.sha256(encoded).hexdigest()[:20] + '"'
        headers = {
            "ETag": etag,
            "Last-Modified": formatdate(site.last_modified, usegmt=True),
            "Cache-Control": "no-cache",
        }
        if _not_modified(request, etag, site.last_modified):
            return Response(status_code=304, headers=headers)
        return Response(encoded, media_type=media_type, headers=headers)

    # -- control ---------------------------------------------------------------------------
    def _site(self, request: Request) -> Site | None:
        return self.sites.get(request.path_params["supplier"])

    async def list_suppliers(self, request: Request) -> Response:
        return JSONResponse(
            [
                {
                    "key": key,
                    "name": site.supplier.name,
                    "feed": FEEDS[key][0],
                    "items": len(site.items),
                }
                for key, site in self.sites.items()
            ]
        )

    async def list_items(self, request: Request) -> Response:
        site = self._site(request)
        if site is None:
            return JSONResponse({"error": "unknown supplier"}, status_code=404)
        return JSONResponse([i.public() for i in site.items])

    async def update_item(self, request: Request) -> Response:
        site = self._site(request)
        item = site.find(request.path_params["sku"]) if site else None
        if site is None or item is None:
            return JSONResponse({"error": "unknown supplier or item"}, status_code=404)
        body, _ = await read_json(request)
        changes, errors = _item_fields(body, required=())
        if errors:
            return field_errors(errors)
        for key, value in changes.items():
            setattr(item, key, value)
        item.updated_at = time.time()
        site.touch()
        return JSONResponse(item.public())

    async def add_items(self, request: Request) -> Response:
        site = self._site(request)
        if site is None:
            return JSONResponse({"error": "unknown supplier"}, status_code=404)
        body, _ = await read_json(request)
        batch = body if isinstance(body, list) else [body]
        new: list[Item] = []
        for n, entry in enumerate(batch):
            fields, errors = _item_fields(entry, required=("supplier_sku", "name", "price"))
            if errors:
                return field_errors({f"{n}.{k}": v for k, v in errors.items()})
            sku = str(fields["supplier_sku"])
            if site.find(sku) or any(i.supplier_sku == sku for i in new):
                return field_errors({f"{n}.supplier_sku": "already listed"}, status=409)
            new.append(
                Item(
                    sku,
                    str(fields["name"]),
                    Decimal(fields["price"]),
                    int(fields.get("stock", 0)),
                    str(fields.get("currency", site.supplier.currency)),
                    None,
                    time.time(),
                )
            )
        site.items.extend(new)
        site.touch()
        return JSONResponse([i.public() for i in new], status_code=201)

    async def generate_items(self, request: Request) -> Response:
        """Replace the catalogue with `count` generated items (e.g. a 10,000-item feed)."""
        site = self._site(request)
        if site is None:
            return JSONResponse({"error": "unknown supplier"}, status_code=404)
        body, _ = await read_json(request)
        count = body.get("count") if isinstance(body, dict) else None
        if not isinstance(count, int) or isinstance(count, bool) or not 0 < count <= MAX_GENERATED:
            return field_errors({"count": f"an integer from 1 to {MAX_GENERATED}"})
        site.replace(generate(site.supplier, count))
        return JSONResponse({"supplier": site.supplier.key, "items": len(site.items)})

    async def arm_fault(self, request: Request) -> Response:
        site = self._site(request)
        if site is None:
            return JSONResponse({"error": "unknown supplier"}, status_code=404)
        body, _ = await read_json(request)
        errors = site.faults.arm(body)
        if errors:
            return field_errors(errors)
        return JSONResponse({"fault": site.faults.describe()})

    async def list_requests(self, request: Request) -> Response:
        supplier = request.query_params.get("supplier")
        return JSONResponse([e for e in self.requests.entries if supplier in (None, e["supplier"])])

    async def reset(self, request: Request) -> Response:
        for site in self.sites.values():
            site.replace(seed(site.supplier))
        self.requests.clear()
        return JSONResponse({"reset": True})

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})


def _item_fields(body: Any, required: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validated item fields from a control request: (values, field errors)."""
    if not isinstance(body, dict):
        return {}, {"body": "expected a JSON object"}
    errors = {k: "required" for k in required if k not in body}
    values: dict[str, Any] = {}
    for key in ("supplier_sku", "name", "currency"):
        if key in body:
            if isinstance(body[key], str) and body[key].strip():
                values[key] = body[key].strip()
            else:
                errors[key] = "a non-empty string"
    if "price" in body:
        try:
            price = Decimal(str(body["price"]))
            if not price.is_finite() or price < 0 or isinstance(body["price"], bool):
                raise InvalidOperation
            values["price"] = price.quantize(Decimal("0.01"))
        except InvalidOperation:
            errors["price"] = "a non-negative decimal"
    if "stock" in body:
        stock = body["stock"]
        if isinstance(stock, int) and not isinstance(stock, bool) and stock >= 0:
            values["stock"] = stock
        else:
            errors["stock"] = "a non-negative integer"
    return values, errors


def build_app(sites: SupplierSites) -> Starlette:
    routes = [Route(path, sites.feed_endpoint(key)) for key, (path, _, _) in FEEDS.items()]
    routes += [
        Route("/_fake/health", sites.health),
        Route("/_fake/suppliers", sites.list_suppliers),
        Route("/_fake/requests", sites.list_requests),
        Route("/_fake/reset", sites.reset, methods=["POST"]),
        Route("/_fake/{supplier}/items", sites.list_items),
        Route("/_fake/{supplier}/items", sites.add_items, methods=["POST"]),
        Route("/_fake/{supplier}/items/{sku}", sites.update_item, methods=["PUT"]),
        Route("/_fake/{supplier}/generate", sites.generate_items, methods=["POST"]),
        Route("/_fake/{supplier}/faults", sites.arm_fault, methods=["POST"]),
    ]
    return Starlette(routes=routes)
