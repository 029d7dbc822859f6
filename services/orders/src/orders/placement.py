"""The order placement saga (ARCHITECTURE.md §3). Each step is its own transaction;
the order row carries the saga state (`placement`) and its owner (this process's
instance id), and every step is recorded in `saga_log` with its timings:

    START    tx: insert the order (placement PENDING, no status: invisible)
    PRICE    pricing QuoteLines → tx: store the prices
    RESERVE  inventory Reserve (idempotent by order id) → tx: store the reservation
             [test seam: the `after_reserve` hook of `main.assemble`]
    CONFIRM  inventory ConfirmReservation → tx: number + ORDER_CONFIRMED + history
             + outbox order.created, order.confirmed, order.status_changed
             (+ order.backorder_needed), placement CONFIRMED

Crash guarantees:
* A business refusal before anything is reserved (unknown sku, insufficient stock:
  inventory reserves all or nothing) marks the order REJECTED; it stays invisible and a
  repeat with the same idempotency key replays the same error.
* Any failure after the reservation, or a Reserve whose outcome is unknown, compensates
  (Release) and marks it FAILED; a repeat with the same key places a fresh order.
* If this process dies (or loses the database) anywhere, the saga stays PENDING or
  COMPENSATING with an owner whose heartbeat stops (or no owner), and the recoverer
  (`orders.recovery`) confirms it iff its prices are stored and inventory holds a live
  reservation, else compensates it. No stock stays reserved for an invisible order;
  no confirmed order lacks its reservation.
* Every saga write is a compare-and-set on (owner, placement) (`orders.saga_outcomes`),
  so the saga and the recoverer never both act; a saga that was taken over fails with
  SAGA_TAKEN_OVER instead of confirming twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, UnitOfWork, in_transaction
from orders.db.customers import Customers
from orders.db.documents import price_document
from orders.db.orders import Orders
from orders.db.saga_store import error_from_document
from orders.domain.order import Order, OrderSource, new_order
from orders.domain.placement import Placement, Reservation
from orders.domain.prices import LinePrice
from orders.errors import (
    CustomerNotFound,
    DependencyUnavailable,
    DomainError,
    IdempotencyKeyReused,
    InsufficientStock,
    OrderNotFound,
    PlacementInProgress,
    ValidationFailed,
)
from orders.saga_outcomes import SagaOutcomes
from orders.upstreams import InventoryPort, PricingPort

log = logging.getLogger(__name__)

SYSTEM = "system"
# Inserting the order races only with requests bearing the same key; a few rounds settle it.
MAX_INSERT_ATTEMPTS = 5

# A test seam (crash tests): awaited with the order id once the reservation is stored,
# before the confirmation. Production passes none.
AfterReserve = Callable[[uuid.UUID], Awaitable[None]]


@dataclass(frozen=True)
class PlaceOrder:
    customer_id: uuid.UUID
    lines: Mapping[str, int]
    locked_prices: Mapping[str, LinePrice] = field(default_factory=dict)
    allow_backorder: bool = False
    notes: str = ""
    shipping_address: dict[str, str] | None = None
    idempotency_key: str = ""
    quotation_id: str = ""
    quote_request_order_id: uuid.UUID | None = None
    pricing_date: str = ""
    actor: str = SYSTEM

    def fingerprint(self) -> str:
        """What makes two requests "the same" for idempotency."""
        body = {
            "customer_id": str(self.customer_id),
            "lines": sorted(self.lines.items()),
            "locked": sorted((k, price_document(v)) for k, v in self.locked_prices.items()),
            "allow_backorder": self.allow_backorder,
            "notes": self.notes,
            "shipping_address": self.shipping_address,
            "quotation_id": self.quotation_id,
            "quote_request_order_id": str(self.quote_request_order_id or ""),
            "pricing_date": self.pricing_date,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class PlacementSaga:
    def __init__(
        self,
        database: Database,
        pricing: PricingPort,
        inventory: InventoryPort,
        clock: Clock,
        *,
        instance_id: str | None = None,
        replay_wait: float = 10.0,
        after_reserve: AfterReserve | None = None,
    ) -> None:
        self.db = database
        self.pricing = pricing
        self.inventory = inventory
        self.clock = clock
        self.instance_id = instance_id or f"orders-{uuid.uuid4().hex[:12]}"
        self.replay_wait = replay_wait
        self.after_reserve = after_reserve
        self.outcomes = SagaOutcomes(database, inventory, clock, self.instance_id)

    async def place(self, cmd: PlaceOrder) -> tuple[Order, bool]:
        """Place an order; returns (order, replayed)."""
        if not cmd.lines:
            raise ValidationFailed({"lines": "at least one line is required"})
        if cmd.quote_request_order_id is not None:
            return await self._convert_quote_request(cmd, cmd.quote_request_order_id)
        # A conversion is idempotent by its quotation whatever key the caller sent.
        key = f"quotation:{cmd.quotation_id}" if cmd.quotation_id else cmd.idempotency_key
        fingerprint = cmd.fingerprint()
        for _ in range(MAX_INSERT_ATTEMPTS):
            if key:
                existing = await self._existing(key, fingerprint)
                if existing is not None:
                    return existing, True
            now = self.clock.now()
            order = new_order(
                order_id=uuid.uuid4(),
                customer_id=cmd.customer_id,
                source=OrderSource.QUOTATION if cmd.quotation_id else OrderSource.DIRECT,
                lines=cmd.lines,
                locked=cmd.locked_prices,
                at=now,
                allow_backorder=cmd.allow_backorder,
                notes=cmd.notes,
                shipping_address=cmd.shipping_address,
                quotation_id=cmd.quotation_id or None,
            )

            start = partial(self._start, order=order, cmd=cmd, key=key, fingerprint=fingerprint)
            inserted = await in_transaction(self.db, start)
            if not inserted:
                continue  # a concurrent request with the same key won the insert: replay it
            return await self._run(order, cmd), False
        raise PlacementInProgress(
            "an order with this idempotency key is being placed; retry",
            details={"idempotency_key": key},
        )

    async def _start(
        self, uow: UnitOfWork, order: Order, cmd: PlaceOrder, key: str, fingerprint: str
    ) -> bool:
        """START: the order row (invisible), owned by this process. False when a
        concurrent request with the same key inserted first."""
        if not await Customers(uow).exists(cmd.customer_id):
            raise CustomerNotFound(
                f"customer {cmd.customer_id} not found",
                details={"customer_id": str(cmd.customer_id)},
            )
        added = await Orders(uow).add(
            order,
            idempotency_key=key or None,
            request_hash=fingerprint,
            saga_owner=self.instance_id,
        )
        if added:
            at = order.created_at
            await self.outcomes.log(
                uow, order, "START", "SUCCEEDED", at, {"actor": cmd.actor}, finished=at
            )
        return added

    async def _existing(self, key: str, fingerprint: str) -> Order | None:
        """The order of an earlier request with this key, its stored refusal, or None
        when the key is free (or its earlier attempt FAILED and may be placed again)."""
        deadline = time.monotonic() + self.replay_wait

        async def look(uow: UnitOfWork) -> Order | bool | None:
            earlier = await Orders(uow).by_idempotency_key(key)
            if earlier is None:
                return None
            if earlier.request_hash != fingerprint:
                raise IdempotencyKeyReused(
                    "this idempotency key was used with a different request",
                    details={"idempotency_key": key},
                )
            order = earlier.order
            if order.placement == Placement.CONFIRMED or (
                order.placement is None and order.visible
            ):
                return order
            if order.placement == Placement.REJECTED:
                raise error_from_document(earlier.saga_error or {})
            if order.placement == Placement.FAILED:
                # Never visible: free the key so this retry places a new order.
                await Orders(uow).release_key(order.id)
                return None
            return False  # still being placed

        while True:
            found = await in_transaction(self.db, look)
            if found is not False:
                return found if isinstance(found, Order) else None
            if time.monotonic() > deadline:
                raise PlacementInProgress(
                    "an order with this idempotency key is still being placed",
                    details={"idempotency_key": key},
                )
            await asyncio.sleep(0.05)

    async def _convert_quote_request(
        self, cmd: PlaceOrder, order_id: uuid.UUID
    ) -> tuple[Order, bool]:
        """Confirm an existing quote-request order (QUOTE_ACCEPTED) through the saga."""
        now = self.clock.now()

        async def start(uow: UnitOfWork) -> tuple[Order, bool]:
            order = await Orders(uow).get(order_id, for_update=True)
            if order is None or not order.visible:
                raise OrderNotFound(
                    f"order {order_id} not found", details={"order_id": str(order_id)}
                )
            if order.placement == Placement.CONFIRMED:
                return order, True
            if order.being_placed:
                raise PlacementInProgress(f"order {order.id} is being placed")
            order.begin_conversion(
                cmd.lines,
                locked=cmd.locked_prices,
                allow_backorder=cmd.allow_backorder,
                quotation_id=cmd.quotation_id,
                notes=cmd.notes,
                shipping_address=cmd.shipping_address,
                at=now,
            )
            await Orders(uow).save(order, saga_owner=self.instance_id)
            detail = {"actor": cmd.actor}
            await self.outcomes.log(uow, order, "START", "SUCCEEDED", now, detail, finished=now)
            return order, False

        order, replayed = await in_transaction(self.db, start)
        if replayed:
            return order, True
        return await self._run(order, cmd), False

    async def _run(self, order: Order, cmd: PlaceOrder) -> Order:
        try:
            await self._price(order, cmd)
            reservation = await self._reserve(order)
            if self.after_reserve is not None:
                await self.after_reserve(order.id)
            await self.outcomes.confirm(order, reservation, actor=cmd.actor, owner=self.instance_id)
            return order
        except DomainError:
            raise  # every coded outcome was recorded by the step that raised it
        except Exception as exc:
            # Anything else (the database went away mid-saga…): hand the saga to the
            # recoverer at once instead of holding it while this process stays alive.
            log.exception("placement interrupted; leaving the saga to the recoverer")
            await self.outcomes.orphan(order.id, self.instance_id)
            raise DependencyUnavailable(
                "the order placement was interrupted; it will be confirmed or released",
                details={"order_id": str(order.id)},
            ) from exc

    async def _price(self, order: Order, cmd: PlaceOrder) -> None:
        t0 = self.clock.now()
        unlocked = {ln.sku: ln.quantity for ln in order.lines if not ln.price_locked}
        if unlocked:
            try:
                quote = await self.pricing.quote_lines(
                    customer_id=order.customer_id, lines=unlocked, pricing_date=cmd.pricing_date
                )
            except DependencyUnavailable as err:
                await self.outcomes.finish(order, Placement.FAILED, err, step="PRICE", started=t0)
                raise
            except DomainError as err:
                await self.outcomes.finish(order, Placement.REJECTED, err, step="PRICE", started=t0)
                raise
            prices, pricing_date = quote.prices, quote.pricing_date
        else:
            prices = {}
            locked_dates = [p.pricing_date for p in cmd.locked_prices.values() if p.pricing_date]
            pricing_date = (
                cmd.pricing_date
                or next(iter(locked_dates), "")
                or self.clock.now().date().isoformat()
            )
        missing = [sku for sku in unlocked if sku not in prices]
        if missing:
            gap = DependencyUnavailable(
                "pricing did not price every line",
                details={"service": "pricing", "missing": missing},
            )
            await self.outcomes.finish(order, Placement.FAILED, gap, step="PRICE", started=t0)
            raise gap
        order.apply_prices(prices, pricing_date=pricing_date, at=self.clock.now())
        await self.outcomes.save_step(order, "PRICE", t0, {"pricing_date": pricing_date})

    async def _reserve(self, order: Order) -> Reservation:
        t0 = self.clock.now()
        try:
            reservation = await self.inventory.reserve(
                order_id=order.id,
                lines={ln.sku: ln.quantity for ln in order.lines},
                allow_backorder=order.allow_backorder,
            )
        except InsufficientStock as err:
            # All or nothing: inventory reserved nothing, so nothing to compensate.
            await self.outcomes.finish(order, Placement.REJECTED, err, step="RESERVE", started=t0)
            raise
        except DependencyUnavailable as err:
            # The outcome is unknown (it may have reserved): release to be sure.
            await self.outcomes.compensate(order, err, final=Placement.FAILED, step="RESERVE")
            raise
        except DomainError as err:
            await self.outcomes.compensate(order, err, final=Placement.REJECTED, step="RESERVE")
            raise
        order.record_reservation(reservation.id, reservation.backorders, at=self.clock.now())
        detail = {
            "reservation_id": reservation.id,
            "backorders": {b.sku: b.quantity for b in reservation.backorders},
        }
        await self.outcomes.save_step(order, "RESERVE", t0, detail)
        return reservation
