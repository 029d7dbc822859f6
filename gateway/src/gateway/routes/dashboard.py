"""The back office's first screen (REST_API.md "Operations": GET /dashboard): orders by
status and today's revenue (orders), the low-stock count (inventory), quotations
expiring within 3 days (quotations), open price alerts (suppliers).

The parts are asked in parallel through the upstream clients, each as an optional part
(the gateway's one policy, `clients.parts`: the short part deadline, one attempt); a
part whose service is down, slow or refuses is null and `metadata.degraded` says why —
the rest is still answered (200)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cypher.common.v1 import pagination_pb2
from cypher.inventory.v1 import inventory_pb2
from cypher.orders.v1 import orders_pb2
from cypher.quotations.v1 import quotations_pb2
from cypher.suppliers.v1 import suppliers_pb2
from cypher_runtime.proto_values import rfc3339, timestamp_pb
from gateway.clients.parts import Parts
from gateway.deps import Inventory, Orders, Quotations, Suppliers, require
from gateway.envelope import Envelope, ok

router = APIRouter(tags=["operations"])

EXPIRING_WITHIN = timedelta(days=3)
PAGE = 200
# Counting pages through a list stops here (the figure is then "at least").
MAX_PAGES = 25


class MoneyView(BaseModel):
    amount: str
    currency: str


class DashboardView(BaseModel):
    # Visible orders per status (REST status names); null = orders did not answer.
    orders_by_status: dict[str, int] | None
    # Gross total of the orders confirmed today (Europe/Bucharest), cancelled excluded.
    revenue_today: MoneyView | None
    orders_confirmed_today: int | None
    low_stock_count: int | None
    quotations_expiring_3_days: int | None
    open_price_alerts: int | None
    generated_at: str


async def _count_pages(fetch: Callable[[str], Awaitable[tuple[int, str]]]) -> tuple[int, bool]:
    """Counts the items of a paged list; True when it stopped at the cap."""
    total, cursor = 0, ""
    for _ in range(MAX_PAGES):
        count, cursor = await fetch(cursor)
        total += count
        if not cursor:
            return total, False
    return total, True


def _page(cursor: str) -> pagination_pb2.PageRequest:
    return pagination_pb2.PageRequest(limit=PAGE, cursor=cursor)


@router.get(
    "/dashboard",
    response_model=Envelope[DashboardView],
    summary="Orders by status, today's revenue, low stock, expiring quotations, price alerts",
)
async def dashboard(
    orders: Orders,
    inventory: Inventory,
    quotations: Quotations,
    suppliers: Suppliers,
    _: Annotated[object, require("dashboard:read")],
) -> JSONResponse:
    now = datetime.now(UTC)
    parts = Parts()

    async def low_stock_page(cursor: str) -> tuple[int, str]:
        reply = await inventory.read(
            inventory.stub.ListLowStock,
            inventory_pb2.ListLowStockRequest(page=_page(cursor)),
            part=True,
        )
        return len(reply.items), reply.page.next_cursor

    async def expiring_page(cursor: str) -> tuple[int, str]:
        reply = await quotations.read(
            quotations.stub.ListQuotations,
            quotations_pb2.ListQuotationsRequest(
                page=_page(cursor),
                status=quotations_pb2.QUOTATION_STATUS_SENT,
                expiring_before=timestamp_pb(now + EXPIRING_WITHIN),
            ),
            part=True,
        )
        return len(reply.quotations), reply.page.next_cursor

    async def alerts_page(cursor: str) -> tuple[int, str]:
        reply = await suppliers.read(
            suppliers.stub.ListPriceAlerts,
            suppliers_pb2.ListPriceAlertsRequest(page=_page(cursor), open_only=True),
            part=True,
        )
        return len(reply.price_alerts), reply.page.next_cursor

    stats, low, expiring, alerts = await asyncio.gather(
        parts.get(
            "orders",
            orders.read(orders.stub.GetOrderStats, orders_pb2.GetOrderStatsRequest(), part=True),
        ),
        parts.get("low_stock_count", _count_pages(low_stock_page)),
        parts.get("quotations_expiring_3_days", _count_pages(expiring_page)),
        parts.get("open_price_alerts", _count_pages(alerts_page)),
    )
    for name, counted in (
        ("low_stock_count", low),
        ("quotations_expiring_3_days", expiring),
        ("open_price_alerts", alerts),
    ):
        if counted is not None and counted[1]:
            parts.missing(name, f"counted up to {counted[0]}; more exist")
    view = DashboardView(
        orders_by_status=None
        if stats is None
        else {
            orders_pb2.OrderStatus.Name(c.status).removeprefix("ORDER_STATUS_"): int(c.count)
            for c in stats.by_status
        },
        revenue_today=None
        if stats is None
        else MoneyView(amount=stats.revenue.amount, currency=stats.revenue.currency),
        orders_confirmed_today=None if stats is None else int(stats.orders_confirmed),
        low_stock_count=None if low is None else low[0],
        quotations_expiring_3_days=None if expiring is None else expiring[0],
        open_price_alerts=None if alerts is None else alerts[0],
        generated_at=rfc3339(now) or "",
    )
    return ok(view.model_dump(), **parts.metadata())
