"""The back office's first screen (REST_API.md "Operations": GET /dashboard): orders by
status and today's revenue (orders), the low-stock count (inventory), quotations
expiring within 3 days (quotations), open price alerts (suppliers).

The parts are asked in parallel, each with its own deadline; a part whose service is
down or slow is null, with a note saying why, and the rest is still answered (200)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import grpc
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cypher.common.v1 import pagination_pb2
from cypher.inventory.v1 import inventory_pb2
from cypher.orders.v1 import orders_pb2
from cypher.quotations.v1 import quotations_pb2
from cypher.suppliers.v1 import suppliers_pb2
from cypher_runtime.proto_values import rfc3339, timestamp_pb
from gateway.deps import (
    InventoryStub,
    OrdersStub,
    QuotationsStub,
    Settings,
    SuppliersStub,
    require,
)
from gateway.envelope import Envelope, ok

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])

T = TypeVar("T")

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
    # Part → why it is null (or that a count stopped at its cap).
    notes: dict[str, str]
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


async def _part(name: str, work: Awaitable[T], deadline: float, notes: dict[str, str]) -> T | None:
    try:
        return await asyncio.wait_for(work, deadline)
    except TimeoutError:
        notes[name] = f"no answer within {deadline:g} s"
    except grpc.aio.AioRpcError as exc:
        notes[name] = f"unavailable: {exc.code().name}"
    except Exception as exc:  # a broken part must never take the dashboard down
        log.warning("dashboard part failed", extra={"part": name}, exc_info=True)
        notes[name] = f"unavailable: {type(exc).__name__}"
    return None


@router.get(
    "/dashboard",
    response_model=Envelope[DashboardView],
    summary="Orders by status, today's revenue, low stock, expiring quotations, price alerts",
)
async def dashboard(
    orders: OrdersStub,
    inventory: InventoryStub,
    quotations: QuotationsStub,
    suppliers: SuppliersStub,
    settings: Settings,
    _: Annotated[object, require("dashboard:read")],
) -> JSONResponse:
    # The gateway's one deadline for a degradable part of an aggregate response.
    deadline = settings.aggregate_part_timeout_seconds
    now = datetime.now(UTC)
    notes: dict[str, str] = {}

    async def order_stats() -> orders_pb2.GetOrderStatsResponse:
        return await orders.GetOrderStats(orders_pb2.GetOrderStatsRequest(), timeout=deadline)

    async def low_stock_page(cursor: str) -> tuple[int, str]:
        reply = await inventory.ListLowStock(
            inventory_pb2.ListLowStockRequest(page=_page(cursor)), timeout=deadline
        )
        return len(reply.items), reply.page.next_cursor

    async def expiring_page(cursor: str) -> tuple[int, str]:
        reply = await quotations.ListQuotations(
            quotations_pb2.ListQuotationsRequest(
                page=_page(cursor),
                status=quotations_pb2.QUOTATION_STATUS_SENT,
                expiring_before=timestamp_pb(now + EXPIRING_WITHIN),
            ),
            timeout=deadline,
        )
        return len(reply.quotations), reply.page.next_cursor

    async def alerts_page(cursor: str) -> tuple[int, str]:
        reply = await suppliers.ListPriceAlerts(
            suppliers_pb2.ListPriceAlertsRequest(page=_page(cursor), open_only=True),
            timeout=deadline,
        )
        return len(reply.price_alerts), reply.page.next_cursor

    stats, low, expiring, alerts = await asyncio.gather(
        _part("orders", order_stats(), deadline, notes),
        _part("inventory", _count_pages(low_stock_page), deadline, notes),
        _part("quotations", _count_pages(expiring_page), deadline, notes),
        _part("suppliers", _count_pages(alerts_page), deadline, notes),
    )
    for name, counted in (("inventory", low), ("quotations", expiring), ("suppliers", alerts)):
        if counted is not None and counted[1]:
            notes[name] = f"counted up to {counted[0]} (more exist)"
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
        notes=notes,
        generated_at=rfc3339(now) or "",
    )
    return ok(view.model_dump())
