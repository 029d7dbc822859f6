"""Suppliers, their feeds and sync runs, supplier products and mappings, price alerts and
history, offers and supplier orders (REST_API.md "Suppliers"), through gRPC to the
suppliers service. Fixed paths (/suppliers/price-alerts, /suppliers/offers/…) are
declared before /suppliers/{id} so they are never taken for an id. Request bodies and
responses are named models (one Strict base: unknown fields are a 400)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict, Field

from cypher.common.v1 import money_pb2, pagination_pb2
from cypher.suppliers.v1 import suppliers_pb2 as pb
from cypher_runtime.grpc_client import call
from cypher_runtime.proto_values import datetime_from_pb, rfc3339
from gateway.catalog import Sku
from gateway.deps import DEFAULT_LIMIT, Cursor, Limit, Settings, SuppliersStub, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep

router = APIRouter(tags=["suppliers"])

Read = Annotated[object, require("suppliers:read")]
Write = Annotated[object, require("suppliers:write")]
OrderWrite = Annotated[object, require("supplier-orders:write")]
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
SupplierSku = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w.\-/+#]+$")]
Warehouse = Annotated[str, Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9]+$")]
FeedFormat = Literal["HTML", "CSV", "JSON"]
OrderStatus = Literal["DRAFT", "PLACED", "CONFIRMED", "SHIPPED", "RECEIVED", "CANCELLED"]
FEED_FORMATS = {"HTML": pb.FEED_FORMAT_HTML, "CSV": pb.FEED_FORMAT_CSV, "JSON": pb.FEED_FORMAT_JSON}
ORDER_STATUSES: dict[str, pb.SupplierOrderStatus.ValueType] = {
    "DRAFT": pb.SUPPLIER_ORDER_STATUS_DRAFT,
    "PLACED": pb.SUPPLIER_ORDER_STATUS_PLACED,
    "CONFIRMED": pb.SUPPLIER_ORDER_STATUS_CONFIRMED,
    "SHIPPED": pb.SUPPLIER_ORDER_STATUS_SHIPPED,
    "RECEIVED": pb.SUPPLIER_ORDER_STATUS_RECEIVED,
    "CANCELLED": pb.SUPPLIER_ORDER_STATUS_CANCELLED,
}


def _name(enum: str, value: int, prefix: str) -> str | None:
    name = getattr(pb, enum).Name(value)
    return None if name.endswith("UNSPECIFIED") else name.removeprefix(prefix)


# -- request bodies -----------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Schedule(Strict):
    """Scheduled scrapes every interval from window_start_hour until window_end_hour (UTC)."""

    interval_minutes: int = Field(default=240, ge=5, le=1440)
    window_start_hour: int = Field(default=6, ge=0, le=23)
    window_end_hour: int = Field(default=22, ge=1, le=24)
    enabled: bool = True


FeedConfig = Annotated[dict[str, Annotated[str, Field(max_length=500)]], Field(max_length=40)]


class SupplierCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    feed_format: FeedFormat
    feed_url: str = Field(min_length=1, max_length=1000)
    feed_config: FeedConfig
    currency: str = Field(default="RON", pattern=r"^[A-Z]{3}$")
    active: bool = True
    contact_email: str = Field(default="", max_length=320)
    schedule: Schedule | None = None


class SupplierUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    feed_format: FeedFormat | None = None
    feed_url: str | None = Field(default=None, min_length=1, max_length=1000)
    feed_config: FeedConfig | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    active: bool | None = None
    contact_email: str | None = Field(default=None, max_length=320)
    schedule: Schedule | None = None
    expected_version: int | None = Field(default=None, ge=1)


class MappingCreate(Strict):
    supplier_sku: SupplierSku
    sku: Sku


class OrderLineIn(Strict):
    sku: Sku
    quantity: int = Field(gt=0, le=1_000_000)
    supplier_sku: SupplierSku | None = None
    # Unset: the supplier's current price for that item.
    unit_price: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    warehouse: Warehouse = "A"


class SupplierOrderCreate(Strict):
    supplier_id: str = Field(min_length=1, max_length=64)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=200)
    order_id: str | None = Field(default=None, max_length=64)
    expected_date: date | None = None
    notes: str | None = Field(default=None, max_length=2000)
    draft: bool = False


class StatusChange(Strict):
    status: OrderStatus
    reason: str | None = Field(default=None, max_length=500)
    expected_version: int | None = Field(default=None, ge=1)


class ReceiptLine(Strict):
    sku: Sku
    quantity: int = Field(gt=0, le=1_000_000)


class ReceiptCreate(Strict):
    lines: list[ReceiptLine] = Field(min_length=1, max_length=200)
    # Receiving warehouse; unset: each order line's.
    warehouse: Warehouse | None = None
    expected_version: int | None = Field(default=None, ge=1)


# -- response payloads --------------------------------------------------------------------


class Out(BaseModel):
    pass


class SupplierOut(Out):
    id: str
    name: str
    feed_format: str | None
    feed_url: str
    feed_config: dict[str, str]
    active: bool
    currency: str
    contact_email: str
    schedule: Schedule
    last_sync_at: str | None
    last_sync_status: str | None
    version: int
    created_at: str | None
    updated_at: str | None


class SyncRunOut(Out):
    id: str
    supplier_id: str
    status: str | None
    trigger: str | None
    started_at: str | None
    finished_at: str | None
    items_seen: int
    items_new: int
    items_changed: int
    items_unmapped: int
    error_count: int
    errors: list[str]
    price_alerts_raised: int


class SupplierProductOut(Out):
    id: str
    supplier_id: str
    supplier_sku: str
    name: str
    price: str
    currency: str
    sku: str | None
    in_stock: bool
    stock_quantity: int | None
    url: str
    last_seen_at: str | None
    price_changed_at: str | None
    version: int


class PriceAlertOut(Out):
    id: str
    supplier_id: str
    supplier_sku: str
    sku: str | None
    old_price: str
    new_price: str
    currency: str
    change_pct: str
    status: str | None
    sync_run_id: str
    created_at: str | None
    acknowledged_at: str | None


class PricePointOut(Out):
    price: str
    currency: str
    in_stock: bool
    stock_quantity: int | None
    change_pct: str | None
    sync_run_id: str | None
    observed_at: str | None


class OfferOut(Out):
    supplier_id: str
    supplier_name: str
    supplier_sku: str
    sku: str
    price: str
    currency: str
    in_stock: bool
    stock_quantity: int | None
    updated_at: str | None


class OrderLineOut(Out):
    sku: str
    supplier_sku: str
    quantity: int
    unit_price: str
    warehouse: str
    received_quantity: int


class SupplierOrderOut(Out):
    id: str
    supplier_id: str
    status: str | None
    lines: list[OrderLineOut]
    order_id: str | None
    expected_date: str | None
    notes: str
    total: str
    currency: str
    version: int
    created_at: str | None
    updated_at: str | None
    received_at: str | None


def _time(stamp: Timestamp) -> str | None:
    if not stamp.seconds and not stamp.nanos:
        return None
    return rfc3339(datetime_from_pb(stamp))


def _stock(message: pb.SupplierProduct | pb.Offer | pb.PricePoint) -> int | None:
    return message.stock_quantity if message.HasField("stock_quantity") else None


def supplier_view(s: pb.Supplier) -> SupplierOut:
    return SupplierOut(
        id=s.id,
        name=s.name,
        feed_format=_name("FeedFormat", s.feed_format, "FEED_FORMAT_"),
        feed_url=s.feed_url,
        feed_config=dict(s.feed_config),
        active=s.active,
        currency=s.currency,
        contact_email=s.contact_email,
        schedule=Schedule(
            interval_minutes=s.schedule.interval_minutes,
            window_start_hour=s.schedule.window_start_hour,
            window_end_hour=s.schedule.window_end_hour,
            enabled=s.schedule.enabled,
        ),
        last_sync_at=_time(s.last_sync_at),
        last_sync_status=_name("SyncRunStatus", s.last_sync_status, "SYNC_RUN_STATUS_"),
        version=s.version,
        created_at=_time(s.created_at),
        updated_at=_time(s.updated_at),
    )


def run_view(r: pb.SyncRun) -> SyncRunOut:
    return SyncRunOut(
        id=r.id,
        supplier_id=r.supplier_id,
        status=_name("SyncRunStatus", r.status, "SYNC_RUN_STATUS_"),
        trigger=_name("SyncTrigger", r.trigger, "SYNC_TRIGGER_"),
        started_at=_time(r.started_at),
        finished_at=_time(r.finished_at),
        items_seen=r.items_seen,
        items_new=r.items_new,
        items_changed=r.items_changed,
        items_unmapped=r.items_unmapped,
        error_count=r.error_count,
        errors=list(r.errors),
        price_alerts_raised=r.price_alerts_raised,
    )


def product_view(p: pb.SupplierProduct) -> SupplierProductOut:
    return SupplierProductOut(
        id=p.id,
        supplier_id=p.supplier_id,
        supplier_sku=p.supplier_sku,
        name=p.name,
        price=p.price.amount,
        currency=p.price.currency,
        sku=p.sku or None,
        in_stock=p.in_stock,
        stock_quantity=_stock(p),
        url=p.url,
        last_seen_at=_time(p.last_seen_at),
        price_changed_at=_time(p.price_changed_at),
        version=p.version,
    )


def alert_view(a: pb.PriceAlert) -> PriceAlertOut:
    return PriceAlertOut(
        id=a.id,
        supplier_id=a.supplier_id,
        supplier_sku=a.supplier_sku,
        sku=a.sku or None,
        old_price=a.old_price.amount,
        new_price=a.new_price.amount,
        currency=a.new_price.currency,
        change_pct=a.change_pct,
        status=_name("PriceAlertStatus", a.status, "PRICE_ALERT_STATUS_"),
        sync_run_id=a.sync_run_id,
        created_at=_time(a.created_at),
        acknowledged_at=_time(a.acknowledged_at),
    )


def point_view(p: pb.PricePoint) -> PricePointOut:
    return PricePointOut(
        price=p.price.amount,
        currency=p.price.currency,
        in_stock=p.in_stock,
        stock_quantity=_stock(p),
        change_pct=p.change_pct or None,
        sync_run_id=p.sync_run_id or None,
        observed_at=_time(p.observed_at),
    )


def offer_view(o: pb.Offer) -> OfferOut:
    return OfferOut(
        supplier_id=o.supplier_id,
        supplier_name=o.supplier_name,
        supplier_sku=o.supplier_sku,
        sku=o.sku,
        price=o.price.amount,
        currency=o.price.currency,
        in_stock=o.in_stock,
        stock_quantity=_stock(o),
        updated_at=_time(o.updated_at),
    )


def order_view(o: pb.SupplierOrder) -> SupplierOrderOut:
    return SupplierOrderOut(
        id=o.id,
        supplier_id=o.supplier_id,
        status=_name("SupplierOrderStatus", o.status, "SUPPLIER_ORDER_STATUS_"),
        lines=[
            OrderLineOut(
                sku=x.sku,
                supplier_sku=x.supplier_sku,
                quantity=x.quantity,
                unit_price=x.unit_price.amount,
                warehouse=x.warehouse,
                received_quantity=x.received_quantity,
            )
            for x in o.lines
        ],
        order_id=o.order_id or None,
        expected_date=o.expected_date or None,
        notes=o.notes,
        total=o.total.amount,
        currency=o.total.currency,
        version=o.version,
        created_at=_time(o.created_at),
        updated_at=_time(o.updated_at),
        received_at=_time(o.received_at),
    )


def _page(limit: int, cursor: str | None) -> pagination_pb2.PageRequest:
    return pagination_pb2.PageRequest(limit=limit, cursor=cursor or "")


def _schedule_pb(s: Schedule) -> pb.SyncSchedule:
    return pb.SyncSchedule(
        interval_minutes=s.interval_minutes,
        window_start_hour=s.window_start_hour,
        window_end_hour=s.window_end_hour,
        enabled=s.enabled,
    )


def _dump(model: BaseModel) -> dict[str, object]:
    return model.model_dump(mode="json")


# -- suppliers ----------------------------------------------------------------------------


@router.post(
    "/suppliers",
    status_code=201,
    response_model=Envelope[SupplierOut],
    summary="Add a supplier: its feed is data (format, URL, field mapping); Idempotency-Key",
)
async def create_supplier(
    body: SupplierCreate,
    suppliers: SuppliersStub,
    settings: Settings,
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
            request.schedule.CopyFrom(_schedule_pb(body.schedule))
        reply = await call(
            suppliers.CreateSupplier,
            request,
            timeout=settings.upstream_timeout_seconds,
            idempotent=False,
        )
        return ok(_dump(supplier_view(reply.supplier)), status_code=201)

    return await idem.run(body, create)


@router.get("/suppliers", response_model=Envelope[list[SupplierOut]], summary="Suppliers by name")
async def list_suppliers(
    suppliers: SuppliersStub,
    settings: Settings,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    active_only: bool = False,
) -> JSONResponse:
    reply = await call(
        suppliers.ListSuppliers,
        pb.ListSuppliersRequest(page=_page(limit, cursor), active_only=active_only),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(
        [_dump(supplier_view(s)) for s in reply.suppliers],
        next_cursor=reply.page.next_cursor or None,
    )


@router.get(
    "/suppliers/price-alerts",
    response_model=Envelope[list[PriceAlertOut]],
    summary="Price alerts (changes above the threshold), newest first",
)
async def list_price_alerts(
    suppliers: SuppliersStub,
    settings: Settings,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    supplier_id: Annotated[str | None, Query(max_length=64)] = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    open_only: bool = False,
) -> JSONResponse:
    reply = await call(
        suppliers.ListPriceAlerts,
        pb.ListPriceAlertsRequest(
            page=_page(limit, cursor),
            supplier_id=supplier_id or "",
            sku=sku or "",
            open_only=open_only,
        ),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(
        [_dump(alert_view(a)) for a in reply.price_alerts],
        next_cursor=reply.page.next_cursor or None,
    )


@router.post(
    "/suppliers/price-alerts/{alert_id}/acknowledge",
    response_model=Envelope[PriceAlertOut],
    summary="Mark a price alert handled (idempotent)",
)
async def acknowledge_price_alert(
    alert_id: Id, suppliers: SuppliersStub, settings: Settings, _: Write
) -> JSONResponse:
    reply = await call(
        suppliers.AcknowledgePriceAlert,
        pb.AcknowledgePriceAlertRequest(price_alert_id=alert_id),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(_dump(alert_view(reply.price_alert)))


@router.get(
    "/suppliers/offers/{sku}",
    response_model=Envelope[list[OfferOut]],
    summary="Every active supplier's offer for one of our skus, cheapest first",
)
async def list_offers(
    sku: Sku,
    suppliers: SuppliersStub,
    settings: Settings,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> JSONResponse:
    reply = await call(
        suppliers.ListOffers,
        pb.ListOffersRequest(sku=sku, page=_page(limit, cursor)),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(
        [_dump(offer_view(o)) for o in reply.offers], next_cursor=reply.page.next_cursor or None
    )


@router.get("/suppliers/{supplier_id}", response_model=Envelope[SupplierOut], summary="A supplier")
async def get_supplier(
    supplier_id: Id, suppliers: SuppliersStub, settings: Settings, _: Read
) -> JSONResponse:
    reply = await call(
        suppliers.GetSupplier,
        pb.GetSupplierRequest(supplier_id=supplier_id),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(_dump(supplier_view(reply.supplier)))


@router.patch(
    "/suppliers/{supplier_id}",
    response_model=Envelope[SupplierOut],
    summary="Change a supplier (fields given only; feed_config replaces the whole mapping)",
)
async def update_supplier(
    supplier_id: Id,
    body: SupplierUpdate,
    suppliers: SuppliersStub,
    settings: Settings,
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
        request.schedule.CopyFrom(_schedule_pb(body.schedule))
    reply = await call(
        suppliers.UpdateSupplier,
        request,
        timeout=settings.upstream_timeout_seconds,
        idempotent=body.expected_version is not None,
    )
    return ok(_dump(supplier_view(reply.supplier)))


@router.post(
    "/suppliers/{supplier_id}/sync",
    status_code=202,
    response_model=Envelope[SyncRunOut],
    summary="Scrape the supplier's feed now; the run (RUNNING, or the one already running)",
)
async def trigger_sync(
    supplier_id: Id, suppliers: SuppliersStub, settings: Settings, _: Write
) -> JSONResponse:
    reply = await call(
        suppliers.TriggerSync,
        pb.TriggerSyncRequest(supplier_id=supplier_id),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,  # a second trigger returns the run in progress
    )
    return ok(_dump(run_view(reply.run)), status_code=202)


@router.get(
    "/suppliers/{supplier_id}/sync-runs",
    response_model=Envelope[list[SyncRunOut]],
    summary="Sync runs of a supplier, newest first",
)
async def list_sync_runs(
    supplier_id: Id,
    suppliers: SuppliersStub,
    settings: Settings,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> JSONResponse:
    reply = await call(
        suppliers.ListSyncRuns,
        pb.ListSyncRunsRequest(supplier_id=supplier_id, page=_page(limit, cursor)),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok([_dump(run_view(r)) for r in reply.runs], next_cursor=reply.page.next_cursor or None)


@router.post(
    "/suppliers/{supplier_id}/mappings",
    status_code=201,
    response_model=Envelope[SupplierProductOut],
    summary="Map a supplier sku to our sku (re-mapping replaces); Idempotency-Key",
)
async def create_mapping(
    supplier_id: Id,
    body: MappingCreate,
    suppliers: SuppliersStub,
    settings: Settings,
    idem: IdempotencyDep,
    _: Write,
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await call(
            suppliers.CreateMapping,
            pb.CreateMappingRequest(
                supplier_id=supplier_id, supplier_sku=body.supplier_sku, sku=body.sku
            ),
            timeout=settings.upstream_timeout_seconds,
            idempotent=True,  # mapping to the same sku again changes nothing
        )
        return ok(_dump(product_view(reply.supplier_product)), status_code=201)

    return await idem.run(body, create)


@router.get(
    "/suppliers/{supplier_id}/products",
    response_model=Envelope[list[SupplierProductOut]],
    summary="Items seen in the supplier's feed (unmapped=true: only those without our sku)",
)
async def list_supplier_products(
    supplier_id: Id,
    suppliers: SuppliersStub,
    settings: Settings,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    unmapped: bool = False,
    search: Annotated[str | None, Query(max_length=100)] = None,
) -> JSONResponse:
    reply = await call(
        suppliers.ListSupplierProducts,
        pb.ListSupplierProductsRequest(
            supplier_id=supplier_id,
            page=_page(limit, cursor),
            unmapped_only=unmapped,
            search=search or "",
        ),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(
        [_dump(product_view(p)) for p in reply.supplier_products],
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
    suppliers: SuppliersStub,
    settings: Settings,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> JSONResponse:
    reply = await call(
        suppliers.ListPriceHistory,
        pb.ListPriceHistoryRequest(
            supplier_id=supplier_id, supplier_sku=supplier_sku, page=_page(limit, cursor)
        ),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(
        [_dump(point_view(p)) for p in reply.points], next_cursor=reply.page.next_cursor or None
    )


# -- supplier orders ----------------------------------------------------------------------


@router.post(
    "/supplier-orders",
    status_code=201,
    response_model=Envelope[SupplierOrderOut],
    summary="Place (or draft) a supplier order; Idempotency-Key",
)
async def create_supplier_order(
    body: SupplierOrderCreate,
    suppliers: SuppliersStub,
    settings: Settings,
    idem: IdempotencyDep,
    _: OrderWrite,
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await call(
            suppliers.CreateSupplierOrder,
            pb.CreateSupplierOrderRequest(
                supplier_id=body.supplier_id,
                lines=[
                    pb.SupplierOrderLine(
                        sku=x.sku,
                        supplier_sku=x.supplier_sku or "",
                        quantity=x.quantity,
                        unit_price=(
                            money_pb2.Money(amount=str(x.unit_price))
                            if x.unit_price is not None
                            else None
                        ),
                        warehouse=x.warehouse,
                    )
                    for x in body.lines
                ],
                order_id=body.order_id or "",
                expected_date=body.expected_date.isoformat() if body.expected_date else "",
                notes=body.notes or "",
                # Scoped to the caller, as the gateway's own key store is.
                idempotency_key=f"{idem.owner}:{idem.key}" if idem.key else "",
                draft=body.draft,
            ),
            timeout=settings.upstream_timeout_seconds,
            idempotent=bool(idem.key),  # the service replays an order by its key
        )
        return ok(_dump(order_view(reply.supplier_order)), status_code=201)

    return await idem.run(body, create)


@router.get(
    "/supplier-orders",
    response_model=Envelope[list[SupplierOrderOut]],
    summary="Supplier orders, newest first",
)
async def list_supplier_orders(
    suppliers: SuppliersStub,
    settings: Settings,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    status: OrderStatus | None = None,
    supplier_id: Annotated[str | None, Query(max_length=64)] = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    order_id: Annotated[str | None, Query(max_length=64)] = None,
) -> JSONResponse:
    reply = await call(
        suppliers.ListSupplierOrders,
        pb.ListSupplierOrdersRequest(
            page=_page(limit, cursor),
            status=ORDER_STATUSES[status] if status else pb.SUPPLIER_ORDER_STATUS_UNSPECIFIED,
            supplier_id=supplier_id or "",
            sku=sku or "",
            order_id=order_id or "",
        ),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(
        [_dump(order_view(o)) for o in reply.supplier_orders],
        next_cursor=reply.page.next_cursor or None,
    )


@router.get(
    "/supplier-orders/{supplier_order_id}",
    response_model=Envelope[SupplierOrderOut],
    summary="A supplier order",
)
async def get_supplier_order(
    supplier_order_id: Id, suppliers: SuppliersStub, settings: Settings, _: Read
) -> JSONResponse:
    reply = await call(
        suppliers.GetSupplierOrder,
        pb.GetSupplierOrderRequest(supplier_order_id=supplier_order_id),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(_dump(order_view(reply.supplier_order)))


@router.post(
    "/supplier-orders/{supplier_order_id}/status",
    response_model=Envelope[SupplierOrderOut],
    summary="DRAFT → PLACED → CONFIRMED → SHIPPED → RECEIVED, or CANCELLED (409 otherwise)",
)
async def change_supplier_order_status(
    supplier_order_id: Id,
    body: StatusChange,
    suppliers: SuppliersStub,
    settings: Settings,
    _: OrderWrite,
) -> JSONResponse:
    reply = await call(
        suppliers.ChangeSupplierOrderStatus,
        pb.ChangeSupplierOrderStatusRequest(
            supplier_order_id=supplier_order_id,
            status=ORDER_STATUSES[body.status],
            reason=body.reason or "",
            expected_version=body.expected_version or 0,
        ),
        timeout=settings.upstream_timeout_seconds,
        idempotent=False,
    )
    return ok(_dump(order_view(reply.supplier_order)))


@router.post(
    "/supplier-orders/{supplier_order_id}/receipts",
    response_model=Envelope[SupplierOrderOut],
    summary="Book goods that arrived (partial per line); RECEIVED once every line is complete",
)
async def receive_supplier_order(
    supplier_order_id: Id,
    body: ReceiptCreate,
    suppliers: SuppliersStub,
    settings: Settings,
    _: OrderWrite,
) -> JSONResponse:
    reply = await call(
        suppliers.ReceiveSupplierOrder,
        pb.ReceiveSupplierOrderRequest(
            supplier_order_id=supplier_order_id,
            lines=[
                pb.ReceivedLine(sku=x.sku, quantity=x.quantity, warehouse=body.warehouse or "")
                for x in body.lines
            ],
            expected_version=body.expected_version or 0,
        ),
        timeout=settings.upstream_timeout_seconds,
        idempotent=False,
    )
    return ok(_dump(order_view(reply.supplier_order)))
