"""Suppliers, their feeds and sync runs, supplier products and mappings, price alerts and
history, offers (REST_API.md "Suppliers"), through gRPC to the suppliers service. Fixed
paths (/suppliers/price-alerts, /suppliers/offers/…) are declared before /suppliers/{id}
so they are never taken for an id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from cypher.common.v1 import pagination_pb2
from cypher.suppliers.v1 import suppliers_pb2 as pb
from gateway.deps import DEFAULT_LIMIT, Cursor, Limit, Suppliers, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep
from gateway.inputs.common import Sku
from gateway.inputs.suppliers import (
    FEED_FORMATS,
    MappingCreate,
    SupplierCreate,
    SupplierUpdate,
    schedule_pb,
)
from gateway.views.suppliers import (
    OfferOut,
    PriceAlertOut,
    PricePointOut,
    SupplierOut,
    SupplierProductOut,
    SyncRunOut,
    alert_view,
    offer_view,
    point_view,
    product_view,
    run_view,
    supplier_view,
)

router = APIRouter(tags=["suppliers"])

Read = Annotated[object, require("suppliers:read")]
Write = Annotated[object, require("suppliers:write")]
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


def page(limit: int, cursor: str | None) -> pagination_pb2.PageRequest:
    return pagination_pb2.PageRequest(limit=limit, cursor=cursor or "")


# -- suppliers ----------------------------------------------------------------------------


@router.post(
    "/suppliers",
    status_code=201,
    response_model=Envelope[SupplierOut],
    summary="Add a supplier: its feed is data (format, URL, field mapping); Idempotency-Key",
)
async def create_supplier(
    body: SupplierCreate,
    suppliers: Suppliers,
    idem: IdempotencyDep,
    _: Write,
) -> JSONResponse:
    async def create() -> JSONResponse:
        request = pb.CreateSupplierRequest(
            name=body.name,
            feed_format=FEED_FORMATS[body.feed_format],
            feed_url=body.feed_url,
            feed_config=body.feed_config,
            active=body.active,
            currency=body.currency,
            contact_email=body.contact_email,
        )
        if body.schedule is not None:
            request.schedule.CopyFrom(schedule_pb(body.schedule))
        reply = await suppliers.create_supplier(request)
        return ok(supplier_view(reply.supplier), status_code=201)

    return await idem.run(body, create)


@router.get("/suppliers", response_model=Envelope[list[SupplierOut]], summary="Suppliers by name")
async def list_suppliers(
    suppliers: Suppliers,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    active_only: bool = False,
) -> JSONResponse:
    reply = await suppliers.list_suppliers(
        pb.ListSuppliersRequest(page=page(limit, cursor), active_only=active_only)
    )
    return ok(
        [supplier_view(s) for s in reply.suppliers],
        next_cursor=reply.page.next_cursor or None,
    )


@router.get(
    "/suppliers/price-alerts",
    response_model=Envelope[list[PriceAlertOut]],
    summary="Price alerts (changes above the threshold), newest first",
)
async def list_price_alerts(
    suppliers: Suppliers,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    supplier_id: Annotated[str | None, Query(max_length=64)] = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    open_only: bool = False,
) -> JSONResponse:
    reply = await suppliers.list_price_alerts(
        pb.ListPriceAlertsRequest(
            page=page(limit, cursor),
            supplier_id=supplier_id or "",
            sku=sku or "",
            open_only=open_only,
        )
    )
    return ok(
        [alert_view(a) for a in reply.price_alerts],
        next_cursor=reply.page.next_cursor or None,
    )


@router.post(
    "/suppliers/price-alerts/{alert_id}/acknowledge",
    response_model=Envelope[PriceAlertOut],
    summary="Mark a price alert handled (idempotent)",
)
async def acknowledge_price_alert(alert_id: Id, suppliers: Suppliers, _: Write) -> JSONResponse:
    reply = await suppliers.acknowledge_price_alert(alert_id)
    return ok(alert_view(reply.price_alert))


@router.get(
    "/suppliers/offers/{sku}",
    response_model=Envelope[list[OfferOut]],
    summary="Every active supplier's offer for one of our skus, cheapest first",
)
async def list_offers(
    sku: Sku,
    suppliers: Suppliers,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> JSONResponse:
    reply = await suppliers.list_offers(pb.ListOffersRequest(sku=sku, page=page(limit, cursor)))
    return ok([offer_view(o) for o in reply.offers], next_cursor=reply.page.next_cursor or None)


@router.get("/suppliers/{supplier_id}", response_model=Envelope[SupplierOut], summary="A supplier")
async def get_supplier(supplier_id: Id, suppliers: Suppliers, _: Read) -> JSONResponse:
    reply = await suppliers.get_supplier(supplier_id)
    return ok(supplier_view(reply.supplier))


@router.patch(
    "/suppliers/{supplier_id}",
    response_model=Envelope[SupplierOut],
    summary="Change a supplier (fields given only; feed_config replaces the whole mapping)",
)
async def update_supplier(
    supplier_id: Id,
    body: SupplierUpdate,
    suppliers: Suppliers,
    _: Write,
) -> JSONResponse:
    request = pb.UpdateSupplierRequest(
        supplier_id=supplier_id, expected_version=body.expected_version or 0
    )
    for field in ("name", "feed_url", "currency", "contact_email", "active"):
        value = getattr(body, field)
        if value is not None:
            setattr(request, field, value)
    if body.feed_format is not None:
        request.feed_format = FEED_FORMATS[body.feed_format]
    if body.feed_config is not None:
        request.feed_config.CopyFrom(pb.FeedConfig(values=body.feed_config))
    if body.schedule is not None:
        request.schedule.CopyFrom(schedule_pb(body.schedule))
    reply = await suppliers.update_supplier(request)
    return ok(supplier_view(reply.supplier))


@router.post(
    "/suppliers/{supplier_id}/sync",
    status_code=202,
    response_model=Envelope[SyncRunOut],
    summary="Scrape the supplier's feed now; the run (RUNNING, or the one already running)",
)
async def trigger_sync(supplier_id: Id, suppliers: Suppliers, _: Write) -> JSONResponse:
    reply = await suppliers.trigger_sync(supplier_id)
    return ok(run_view(reply.run), status_code=202)


@router.get(
    "/suppliers/{supplier_id}/sync-runs",
    response_model=Envelope[list[SyncRunOut]],
    summary="Sync runs of a supplier, newest first",
)
async def list_sync_runs(
    supplier_id: Id,
    suppliers: Suppliers,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> JSONResponse:
    reply = await suppliers.list_sync_runs(
        pb.ListSyncRunsRequest(supplier_id=supplier_id, page=page(limit, cursor))
    )
    return ok([run_view(r) for r in reply.runs], next_cursor=reply.page.next_cursor or None)


@router.post(
    "/suppliers/{supplier_id}/mappings",
    status_code=201,
    response_model=Envelope[SupplierProductOut],
    summary="Map a supplier sku to our sku (re-mapping replaces); Idempotency-Key",
)
async def create_mapping(
    supplier_id: Id,
    body: MappingCreate,
    suppliers: Suppliers,
    idem: IdempotencyDep,
    _: Write,
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await suppliers.create_mapping(
            pb.CreateMappingRequest(
                supplier_id=supplier_id, supplier_sku=body.supplier_sku, sku=body.sku
            )
        )
        return ok(product_view(reply.supplier_product), status_code=201)

    return await idem.run(body, create)


@router.get(
    "/suppliers/{supplier_id}/products",
    response_model=Envelope[list[SupplierProductOut]],
    summary="Items seen in the supplier's feed (unmapped=true: only those without our sku)",
)
async def list_supplier_products(
    supplier_id: Id,
    suppliers: Suppliers,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    unmapped: bool = False,
    search: Annotated[str | None, Query(max_length=100)] = None,
) -> JSONResponse:
    reply = await suppliers.list_supplier_products(
        pb.ListSupplierProductsRequest(
            supplier_id=supplier_id,
            page=page(limit, cursor),
            unmapped_only=unmapped,
            search=search or "",
        )
    )
    return ok(
        [product_view(p) for p in reply.supplier_products],
        next_cursor=reply.page.next_cursor or None,
    )


@router.get(
    "/suppliers/{supplier_id}/products/{supplier_sku}/price-history",
    response_model=Envelope[list[PricePointOut]],
    summary="Price history of one supplier item, newest first",
)
async def list_price_history(
    supplier_id: Id,
    supplier_sku: Annotated[str, Path(min_length=1, max_length=100)],
    suppliers: Suppliers,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> JSONResponse:
    reply = await suppliers.list_price_history(
        pb.ListPriceHistoryRequest(
            supplier_id=supplier_id, supplier_sku=supplier_sku, page=page(limit, cursor)
        )
    )
    return ok([point_view(p) for p in reply.points], next_cursor=reply.page.next_cursor or None)
