"""The order placement saga (ARCHITECTURE.md §3) and its recoverer.

Steps, each recorded in `saga_log` with its timings, the order row carrying the saga
state (`placement`) and its owner (this process's instance id):

    START    tx: insert the order (placement PENDING, no status: invisible)
    PRICE    pricing QuoteLines → tx: store the prices
    RESERVE  inventory Reserve (idempotent by order id) → tx: store the reservation
             [fault-injection pause point: ORDERS_SAGA_PAUSE_AFTER_RESERVE_SECONDS]
    CONFIRM  inventory ConfirmReservation → tx: number + ORDER_CONFIRMED + history
             + outbox order.created, order.confirmed, order.status_changed
             (+ order.backorder_needed), placement CONFIRMED

Failures: a business refusal before anything is reserved (unknown sku, insufficient
stock: inventory reserves all or nothing) marks the order REJECTED — it stays invisible
and a repeat with the same idempotency key replays the same error. Any failure after
the reservation, or a Reserve whose outcome is unknown, compensates (Release) and marks
it FAILED (a repeat with the same key places a fresh order). Every saga write is a
compare-and-set on (owner, placement), so a saga and the recoverer can never both act.

Recovery rule (domain.recovery): a saga whose owner is gone is confirmed iff its prices
are stored and inventory holds a live reservation for it; otherwise it is compensated.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database
from cypher_runtime.errors import ErrorKind
from orders import db
from orders import events as ev
from orders.domain.model import (
    LinePrice,
    Order,
    OrderSource,
    Placement,
    new_order,
)
from orders.domain.recovery import RecoveryAction, decide_recovery
from orders.domain.status import OrderStatus, check_transition
from orders.errors import (
    CustomerNotFound,
    DependencyUnavailable,
    DomainError,
    IdempotencyKeyReused,
    InsufficientStock,
    OrderNotFound,
    PlacementInProgress,
    SagaTakenOver,
    ValidationFailed,
    remote_error,
)
from orders.ports import InventoryPort, PricingPort, ReservationInfo

log = logging.getLogger(__name__)

SYSTEM = "system"
# Inserting the order races only with requests bearing the same key; a few rounds settle it.
MAX_INSERT_ATTEMPTS = 5


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
            "locked": sorted((k, dict(v.fields)) for k, v in self.locked_prices.items()),
            "allow_backorder": self.allow_backorder,
            "notes": self.notes,
            "shipping_address": self.shipping_address,
            "quotation_id": self.quotation_id,
            "quote_request_order_id": str(self.quote_request_order_id or ""),
            "pricing_date": self.pricing_date,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def error_record(err: DomainError) -> dict[str, Any]:
    return {
        "code": err.code,
        "kind": err.kind.value,
        "message": err.message,
        "details": err.details,
    }


def error_from_record(record: Mapping[str, Any]) -> DomainError:
    return remote_error(
        str(record.get("code", "PLACEMENT_FAILED")),
        ErrorKind(str(record.get("kind", ErrorKind.PRECONDITION.value))),
        str(record.get("message", "order placement failed")),
        dict(record.get("details") or {}),
    )


class PlacementAbandoned(DomainError):
    """The saga's owner died half-way and the recoverer compensated it."""

    code = "PLACEMENT_ABANDONED"
    kind = ErrorKind.UNAVAILABLE


class PlacementSaga:
    def __init__(
        self,
        database: Database,
        pricing: PricingPort,
        inventory: InventoryPort,
        clock: Clock,
        *,
        instance_id: str | None = None,
        pause_after_reserve: float = 0.0,
        replay_wait: float = 10.0,
        instance_timeout: float = 10.0,
        max_age: float = 120.0,
    ) -> None:
        self.db = database
        self.pricing = pricing
        self.inventory = inventory
        self.clock = clock
        self.instance_id = instance_id or f"orders-{uuid.uuid4().hex[:12]}"
        self.pause_after_reserve = pause_after_reserve
        self.replay_wait = replay_wait
        self.instance_timeout = timedelta(seconds=instance_timeout)
        self.max_age = timedelta(seconds=max_age)

    # ================================================================ placing =========
    async def place(self, cmd: PlaceOrder) -> tuple[Order, bool]:
        """Place an order; returns (order, replayed)."""
        if not cmd.lines:
            raise ValidationFailed({"lines": "at least one line is required"})
        if cmd.quote_request_order_id is not None:
            return await self._convert_quote_request(cmd)
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
            async with self.db.unit_of_work() as uow:
                if await db.get_customer(uow.session, cmd.customer_id) is None:
                    raise CustomerNotFound(
                        f"customer {cmd.customer_id} not found",
                        details={"customer_id": str(cmd.customer_id)},
                    )
                inserted = await db.insert_order(
                    uow.session,
                    order,
                    idempotency_key=key or None,
                    request_hash=fingerprint,
                    saga_owner=self.instance_id,
                )
                if not inserted:
                    continue  # a concurrent request with the same key won the insert: replay it
                await self._log(
                    uow.session, order, "START", "SUCCEEDED", now, now, {"actor": cmd.actor}
                )
                await uow.commit()
            return await self._run(order, cmd), False
        raise PlacementInProgress(
            "an order with this idempotency key is being placed; retry",
            details={"idempotency_key": key},
        )

    async def _existing(self, key: str, fingerprint: str) -> Order | None:
        """The order of an earlier request with this key, its stored refusal, or None
        when the key is free (or its earlier attempt FAILED and may be placed again)."""
        deadline = time.monotonic() + self.replay_wait
        while True:
            async with self.db.unit_of_work() as uow:
                row = await db.find_order_by(uow.session, idempotency_key=key)
                if row is None:
                    return None
                if row["request_hash"] != fingerprint:
                    raise IdempotencyKeyReused(
                        "this idempotency key was used with a different request",
                        details={"idempotency_key": key},
                    )
                placement = Placement(row["placement"]) if row["placement"] else None
                if placement == Placement.CONFIRMED or (placement is None and row["status"]):
                    return db.row_to_order(row)
                if placement == Placement.REJECTED:
                    raise error_from_record(row["saga_error"] or {})
                if placement == Placement.FAILED:
                    # Never visible: free the key so this retry places a new order.
                    await uow.session.execute(
                        db.orders.update()
                        .where(
                            db.orders.c.id == row["id"],
                            db.orders.c.placement == Placement.FAILED.value,
                        )
                        .values(idempotency_key=None, quotation_id=None)
                    )
                    await uow.commit()
                    return None
            if time.monotonic() > deadline:
                raise PlacementInProgress(
                    "an order with this idempotency key is still being placed",
                    details={"idempotency_key": key},
                )
            await asyncio.sleep(0.05)

    async def _convert_quote_request(self, cmd: PlaceOrder) -> tuple[Order, bool]:
        """Confirm an existing quote-request order (QUOTE_ACCEPTED) through the saga."""
        assert cmd.quote_request_order_id is not None
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            order = await db.get_order(uow.session, cmd.quote_request_order_id, for_update=True)
            if order is None or not order.visible:
                raise OrderNotFound(
                    f"order {cmd.quote_request_order_id} not found",
                    details={"order_id": str(cmd.quote_request_order_id)},
                )
            if order.placement == Placement.CONFIRMED:
                return order, True
            if order.placement in (Placement.PENDING, Placement.COMPENSATING):
                raise PlacementInProgress(f"order {order.id} is being placed")
            assert order.status is not None
            check_transition(order.status, OrderStatus.ORDER_CONFIRMED)
            converted = new_order(
                order_id=order.id,
                customer_id=order.customer_id,
                source=order.source,
                lines=cmd.lines,
                locked=cmd.locked_prices,
                at=now,
            )
            order.lines = converted.lines
            order.allow_backorder = cmd.allow_backorder
            order.quotation_id = cmd.quotation_id or order.quotation_id
            order.notes = cmd.notes or order.notes
            order.shipping_address = cmd.shipping_address or order.shipping_address
            order.placement = Placement.PENDING
            order.updated_at = now
            await db.save_order(uow.session, order, saga_owner=self.instance_id)
            await self._log(
                uow.session, order, "START", "SUCCEEDED", now, now, {"actor": cmd.actor}
            )
            await uow.commit()
        return await self._run(order, cmd), False

    async def _run(self, order: Order, cmd: PlaceOrder) -> Order:
        try:
            return await self._steps(order, cmd)
        except DomainError:
            raise  # every coded outcome was recorded by the step that raised it
        except Exception as exc:
            # Anything else (the database went away mid-saga…): hand the saga to the
            # recoverer at once instead of holding it while this process stays alive.
            log.exception("placement interrupted; leaving the saga to the recoverer")
            await self._orphan(order.id, self.instance_id)
            raise DependencyUnavailable(
                "the order placement was interrupted; it will be confirmed or released",
                details={"order_id": str(order.id)},
            ) from exc

    async def _steps(self, order: Order, cmd: PlaceOrder) -> Order:
        # -- PRICE -------------------------------------------------------------------
        t0 = self.clock.now()
        unlocked = {ln.sku: ln.quantity for ln in order.lines if not ln.price_locked}
        pricing_date = cmd.pricing_date
        if unlocked:
            try:
                quote = await self.pricing.quote_lines(
                    customer_id=order.customer_id, lines=unlocked, pricing_date=cmd.pricing_date
                )
            except DependencyUnavailable as err:
                await self._finish(order, Placement.FAILED, err, step="PRICE", started=t0)
                raise
            except DomainError as err:
                await self._finish(order, Placement.REJECTED, err, step="PRICE", started=t0)
                raise
            prices, pricing_date = quote.prices, quote.pricing_date
        else:
            prices = {}
            locked_dates = [
                str(p.fields.get("pricing_date") or "") for p in cmd.locked_prices.values()
            ]
            pricing_date = (
                pricing_date
                or next((d for d in locked_dates if d), "")
                or (self.clock.now().date().isoformat())
            )
        missing = [sku for sku in unlocked if sku not in prices]
        if missing:
            gap = DependencyUnavailable(
                "pricing did not price every line",
                details={"service": "pricing", "missing": missing},
            )
            await self._finish(order, Placement.FAILED, gap, step="PRICE", started=t0)
            raise gap
        order.apply_prices(prices, pricing_date=pricing_date, at=self.clock.now())
        await self._save_step(order, "PRICE", t0, {"pricing_date": pricing_date})

        # -- RESERVE -------------------------------------------------------------------
        t0 = self.clock.now()
        try:
            reservation = await self.inventory.reserve(
                order_id=order.id,
                lines={ln.sku: ln.quantity for ln in order.lines},
                allow_backorder=order.allow_backorder,
            )
        except InsufficientStock as err:
            # All or nothing: inventory reserved nothing, so nothing to compensate.
            await self._finish(order, Placement.REJECTED, err, step="RESERVE", started=t0)
            raise
        except DependencyUnavailable as err:
            # The outcome is unknown (it may have reserved): release to be sure.
            await self._compensate(order, err, final=Placement.FAILED, step="RESERVE")
            raise
        except DomainError as err:
            await self._compensate(order, err, final=Placement.REJECTED, step="RESERVE")
            raise
        order.record_reservation(reservation.id, reservation.backorders, at=self.clock.now())
        await self._save_step(
            order,
            "RESERVE",
            t0,
            {
                "reservation_id": reservation.id,
                "backorders": {b.sku: b.quantity for b in reservation.backorders},
            },
        )

        if self.pause_after_reserve > 0:
            # Fault injection only (crash tests): a window between reserve and confirm.
            log.warning(
                "saga paused after reserve (fault injection)", extra={"order_id": str(order.id)}
            )
            await asyncio.sleep(self.pause_after_reserve)

        # -- CONFIRM -------------------------------------------------------------------
        await self._confirm(order, reservation, actor=cmd.actor, owner=self.instance_id)
        return order

    async def _confirm(
        self, order: Order, reservation: ReservationInfo, *, actor: str, owner: str
    ) -> None:
        t0 = self.clock.now()
        try:
            await self.inventory.confirm_reservation(order_id=order.id)
        except DomainError as err:
            final = (
                Placement.FAILED if isinstance(err, DependencyUnavailable) else Placement.REJECTED
            )
            await self._compensate(order, err, final=final, step="CONFIRM_RESERVATION", owner=owner)
            raise
        t1 = self.clock.now()
        try:
            async with self.db.unit_of_work() as uow:
                was_new = order.status is None
                order.confirm(number=None, actor=actor, at=t1)
                saved = await db.save_order(
                    uow.session,
                    order,
                    require_owner=owner,
                    require_placement=[Placement.PENDING],
                    clear_owner=True,
                )
                if not saved:
                    raise SagaTakenOver(f"order {order.id} was taken over by the recoverer")
                await db.append_history(uow.session, order.id, order.pending_changes)
                await self._log(
                    uow.session,
                    order,
                    "CONFIRM",
                    "SUCCEEDED",
                    t0,
                    self.clock.now(),
                    {"confirm_reservation_ms": _ms(t0, t1)},
                    owner=owner,
                )
                if order.number is None:
                    # Last write before the events: the year's counter row serializes
                    # every confirmation until commit, so it is held as briefly as possible.
                    order.number = await db.assign_order_number(uow.session, order.id, t1.year)
                if was_new:
                    uow.publish(ev.created(order, t1))
                uow.publish(
                    ev.confirmed(order, t1), *ev.status_events(order, order.pending_changes)
                )
                backorders = [b for b in reservation.backorders if b.quantity > 0]
                if backorders:
                    uow.publish(ev.backorder_needed(order, backorders, t1))
                order.pending_changes.clear()
                await uow.commit()
        except (SagaTakenOver, DomainError):
            raise
        except Exception as exc:
            # The commit may or may not have happened: never compensate blindly here.
            # Orphan the saga; the recoverer reads the truth and confirms or releases.
            log.exception("confirmation failed; leaving the saga to the recoverer")
            await self._orphan(order.id, owner)
            raise DependencyUnavailable(
                "the order could not be confirmed now; it will be confirmed or released",
                details={"order_id": str(order.id)},
            ) from exc

    # ================================================================ helpers =========
    async def _log(
        self,
        session: Any,
        order: Order,
        step: str,
        state: str,
        started: datetime,
        finished: datetime | None,
        detail: dict[str, Any] | None = None,
        *,
        owner: str | None = None,
    ) -> None:
        await db.log_step(
            session,
            order.id,
            step=step,
            state=state,
            started_at=started,
            finished_at=finished,
            owner=owner or self.instance_id,
            detail=detail,
        )

    async def _save_step(
        self, order: Order, step: str, started: datetime, detail: dict[str, Any]
    ) -> None:
        async with self.db.unit_of_work() as uow:
            saved = await db.save_order(
                uow.session,
                order,
                require_owner=self.instance_id,
                require_placement=[Placement.PENDING],
            )
            if not saved:
                raise SagaTakenOver(f"order {order.id} was taken over by the recoverer")
            await self._log(
                uow.session, order, step, "SUCCEEDED", started, self.clock.now(), detail
            )
            await uow.commit()

    async def _finish(
        self,
        order: Order,
        final: Placement,
        err: DomainError,
        *,
        step: str,
        started: datetime,
        owner: str | None = None,
        from_placement: Placement = Placement.PENDING,
    ) -> None:
        """End the saga without a confirmed order (REJECTED or FAILED)."""
        owner = owner or self.instance_id
        order.placement = final
        async with self.db.unit_of_work() as uow:
            saved = await db.save_order(
                uow.session,
                order,
                require_owner=owner,
                require_placement=[from_placement],
                saga_error=error_record(err),
                clear_owner=True,
            )
            if saved:
                await self._log(
                    uow.session,
                    order,
                    step,
                    "FAILED",
                    started,
                    self.clock.now(),
                    {**error_record(err), "placement": final.value},
                    owner=owner,
                )
                await uow.commit()

    async def _compensate(
        self,
        order: Order,
        err: DomainError,
        *,
        final: Placement,
        step: str,
        owner: str | None = None,
    ) -> None:
        """Release the reservation, then end the saga. The COMPENSATING mark comes first,
        so nobody can confirm the order while its stock is being released."""
        owner = owner or self.instance_id
        t0 = self.clock.now()
        if order.placement != Placement.COMPENSATING:
            order.placement = Placement.COMPENSATING
            async with self.db.unit_of_work() as uow:
                marked = await db.save_order(
                    uow.session,
                    order,
                    require_owner=owner,
                    require_placement=[Placement.PENDING],
                    saga_error=error_record(err),
                )
                if not marked:
                    return  # someone else owns the saga now; it decides
                await self._log(
                    uow.session,
                    order,
                    step,
                    "FAILED",
                    t0,
                    self.clock.now(),
                    error_record(err),
                    owner=owner,
                )
                await uow.commit()
        try:
            await self.inventory.release(order_id=order.id, reason=f"saga compensation: {err.code}")
        except DomainError:
            log.warning(
                "release failed; the recoverer will finish the compensation",
                extra={"order_id": str(order.id)},
            )
            await self._orphan(order.id, owner)
            return
        await self._finish(
            order,
            final,
            err,
            step="COMPENSATE",
            started=t0,
            owner=owner,
            from_placement=Placement.COMPENSATING,
        )

    async def _orphan(self, order_id: uuid.UUID, owner: str) -> None:
        """Give the saga up so the recoverer takes it at once (best effort)."""
        try:
            async with self.db.unit_of_work() as uow:
                await db.set_saga_owner(uow.session, order_id, expected=owner, new=None)
                await uow.commit()
        except Exception:
            log.warning(
                "could not orphan saga; the recoverer will find it by its dead owner",
                extra={"order_id": str(order_id)},
            )

    # ================================================================ recovery ========
    async def heartbeat(self) -> None:
        async with self.db.unit_of_work() as uow:
            await db.heartbeat(uow.session, self.instance_id, self.clock.now())
            await uow.commit()

    async def recover_once(self) -> list[tuple[uuid.UUID, RecoveryAction]]:
        """Complete or compensate every saga whose owner is gone. Returns what it did."""
        await self.heartbeat()
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            orphans = await db.orphaned_sagas(
                uow.session, now=now, instance_timeout=self.instance_timeout, max_age=self.max_age
            )
            # Instances silent for a day own nothing any more (their sagas were recovered).
            await db.forget_dead_instances(uow.session, before=now - timedelta(days=1))
            await uow.commit()
        done: list[tuple[uuid.UUID, RecoveryAction]] = []
        for order_id, owner in orphans:
            async with self.db.unit_of_work() as uow:
                claimed = await db.set_saga_owner(
                    uow.session, order_id, expected=owner, new=self.instance_id
                )
                await uow.commit()
            if not claimed:
                continue
            try:
                done.append((order_id, await self._recover(order_id)))
            except DomainError as err:
                log.warning(
                    "recovery postponed", extra={"order_id": str(order_id), "error": repr(err)}
                )
                await self._orphan(order_id, self.instance_id)
        return done

    async def _recover(self, order_id: uuid.UUID) -> RecoveryAction:
        async with self.db.unit_of_work() as uow:
            order = await db.get_order(uow.session, order_id)
        if order is None:
            return RecoveryAction.NOTHING
        reservation = None
        if order.placement == Placement.PENDING:
            reservation = await self.inventory.get_reservation(order_id=order_id)
        action = decide_recovery(
            order.placement,
            prices_stored=order.prices_stored,
            reservation=reservation.state if reservation is not None else None,
        )
        t0 = self.clock.now()
        async with self.db.unit_of_work() as uow:
            await self._log(
                uow.session,
                order,
                "RECOVER",
                action.value,
                t0,
                t0,
                {
                    "reservation": reservation.state.value if reservation else None,
                    "prices_stored": order.prices_stored,
                },
            )
            await uow.commit()
        log.info("saga recovered", extra={"order_id": str(order_id), "action": action.value})
        if action == RecoveryAction.CONFIRM:
            assert reservation is not None
            if order.reservation_id is None:
                order.record_reservation(reservation.id, reservation.backorders, at=t0)
            await self._confirm(order, reservation, actor=SYSTEM, owner=self.instance_id)
        elif action == RecoveryAction.COMPENSATE:
            err = PlacementAbandoned(
                "the order placement was interrupted and rolled back; please retry",
                details={"order_id": str(order_id)},
            )
            await self._compensate(order, err, final=Placement.FAILED, step="RECOVER")
        return action

    async def run_recoverer(self, interval: float) -> None:
        """Background job: heartbeat + recovery at start-up and then periodically."""
        while True:
            try:
                await self.recover_once()
            except Exception:
                log.exception("saga recoverer pass failed")
            await asyncio.sleep(interval)


def _ms(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() * 1000, 3)
