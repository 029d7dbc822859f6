"""How a placement saga ends, for the saga itself and for the recoverer: confirmed
(roll forward), finished without an order (REJECTED / FAILED), or compensated (release
the reservation first); plus the saga's step writes and giving a saga up (orphaning it
so the recoverer takes it at once).

Every write here is a compare-and-set on (owner, placement) in its own short
transaction, so a saga and the recoverer can never both act on one order.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, UnitOfWork, in_transaction
from cypher_runtime.metrics import SAGA_OUTCOMES
from orders import events
from orders.db.numbering import OrderNumbers
from orders.db.orders import Orders
from orders.db.saga_store import SagaStore, error_document
from orders.domain.order import Order
from orders.domain.placement import Placement, Reservation
from orders.errors import DependencyUnavailable, DomainError, SagaTakenOver
from orders.upstreams import InventoryPort

log = logging.getLogger(__name__)


def _ms(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() * 1000, 3)


class SagaOutcomes:
    def __init__(
        self, database: Database, inventory: InventoryPort, clock: Clock, instance_id: str
    ) -> None:
        self.db = database
        self.inventory = inventory
        self.clock = clock
        self.instance_id = instance_id

    async def log(
        self,
        uow: UnitOfWork,
        order: Order,
        step: str,
        state: str,
        started: datetime,
        detail: dict[str, Any] | None = None,
        *,
        owner: str | None = None,
        finished: datetime | None = None,
    ) -> None:
        await SagaStore(uow).log_step(
            order.id,
            step=step,
            state=state,
            started_at=started,
            finished_at=finished or self.clock.now(),
            owner=owner or self.instance_id,
            detail=detail,
        )

    async def save_step(
        self, order: Order, step: str, started: datetime, detail: dict[str, Any]
    ) -> None:
        """Store what a step learnt (prices, the reservation) while the saga is still ours."""

        async def write(uow: UnitOfWork) -> None:
            saved = await Orders(uow).save(
                order, expect_owner=self.instance_id, expect_placement=[Placement.PENDING]
            )
            if not saved:
                raise SagaTakenOver(f"order {order.id} was taken over by the recoverer")
            await self.log(uow, order, step, "SUCCEEDED", started, detail)

        await in_transaction(self.db, write)

    async def confirm(
        self, order: Order, reservation: Reservation, *, actor: str, owner: str
    ) -> None:
        """ConfirmReservation, then in one transaction: ORDER_CONFIRMED, its number, its
        history and its events. A refusal compensates; a lost commit orphans the saga."""
        t0 = self.clock.now()
        try:
            await self.inventory.confirm_reservation(order_id=order.id)
        except DomainError as err:
            final = (
                Placement.FAILED if isinstance(err, DependencyUnavailable) else Placement.REJECTED
            )
            await self.compensate(order, err, final=final, step="CONFIRM_RESERVATION", owner=owner)
            raise
        t1 = self.clock.now()

        async def write(uow: UnitOfWork) -> None:
            order.confirm(actor=actor, at=t1, backorders=reservation.backorders)
            saved = await Orders(uow).save(
                order, expect_owner=owner, expect_placement=[Placement.PENDING], clear_owner=True
            )
            if not saved:
                raise SagaTakenOver(f"order {order.id} was taken over by the recoverer")
            await self.log(
                uow, order, "CONFIRM", "SUCCEEDED", t0, {"confirm_reservation_ms": _ms(t0, t1)},
                owner=owner,
            )  # fmt: skip
            if order.number is None:
                # Last write before the events: the year's counter row serializes every
                # confirmation until commit, so it is held as briefly as possible.
                order.number = await OrderNumbers(uow).assign(order.id, t1.year)
            uow.publish(*events.published(order))

        try:
            await in_transaction(self.db, write)
            SAGA_OUTCOMES.labels("orders", "placement", "confirmed").inc()
        except DomainError:
            raise
        except Exception as exc:
            # The commit may or may not have happened: never compensate blindly here.
            # Orphan the saga; the recoverer reads the truth and confirms or releases.
            log.exception("confirmation failed; leaving the saga to the recoverer")
            await self.orphan(order.id, owner)
            raise DependencyUnavailable(
                "the order could not be confirmed now; it will be confirmed or released",
                details={"order_id": str(order.id)},
            ) from exc

    async def finish(
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

        async def write(uow: UnitOfWork) -> None:
            saved = await Orders(uow).save(
                order,
                expect_owner=owner,
                expect_placement=[from_placement],
                saga_error=error_document(err),
                clear_owner=True,
            )
            if saved:
                detail = {**error_document(err), "placement": final.value}
                await self.log(uow, order, step, "FAILED", started, detail, owner=owner)

        await in_transaction(self.db, write)
        # REJECTED is a business refusal (stock, unknown sku); FAILED an infrastructure
        # failure — the alert watches the second.
        SAGA_OUTCOMES.labels("orders", "placement", final.value.lower()).inc()

    async def compensate(
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

            async def mark(uow: UnitOfWork) -> bool:
                marked = await Orders(uow).save(
                    order,
                    expect_owner=owner,
                    expect_placement=[Placement.PENDING],
                    saga_error=error_document(err),
                )
                if marked:
                    await self.log(uow, order, step, "FAILED", t0, error_document(err), owner=owner)
                return marked

            if not await in_transaction(self.db, mark):
                return  # someone else owns the saga now; it decides
        try:
            await self.inventory.release(order_id=order.id, reason=f"saga compensation: {err.code}")
        except DomainError:
            log.warning(
                "release failed; the recoverer will finish the compensation",
                extra={"order_id": str(order.id)},
            )
            await self.orphan(order.id, owner)
            return
        await self.finish(
            order,
            final,
            err,
            step="COMPENSATE",
            started=t0,
            owner=owner,
            from_placement=Placement.COMPENSATING,
        )

    async def orphan(self, order_id: uuid.UUID, owner: str) -> None:
        """Give the saga up so the recoverer takes it at once (best effort)."""

        async def write(uow: UnitOfWork) -> None:
            await SagaStore(uow).set_owner(order_id, expected=owner, new=None)

        try:
            await in_transaction(self.db, write)
        except Exception:
            log.warning(
                "could not orphan saga; the recoverer will find it by its dead owner",
                extra={"order_id": str(order_id)},
            )
