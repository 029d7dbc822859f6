"""The saga recoverer: finds placement sagas whose owner is gone and completes or
compensates them by the one rule of `orders.domain.placement.decide_recovery`.

Crash guarantees:
* Every process heartbeats (`saga_instances`); a saga is taken over when it has no
  owner (given up after a failure), when its owner's heartbeat is older than the
  instance timeout and the saga idled that long, or when it idled past the max age (a
  live owner lost track of it). The max age is longer than any live saga, since every
  upstream call has a deadline, so a live saga is never stolen.
* Taking a saga over is a compare-and-set of its owner, so two recoverers never both
  act; the original owner, if it wakes up, fails its next compare-and-set.
* A pass that fails (inventory down) gives the saga up again for the next pass; the
  recoverer itself may die at any point, since every pass starts from the stored truth.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from functools import partial

from cypher_runtime.db import Database, UnitOfWork, in_transaction
from orders.db.orders import Orders
from orders.db.saga_store import SagaStore
from orders.domain.placement import Placement, RecoveryAction, decide_recovery
from orders.errors import DomainError, PlacementAbandoned
from orders.placement import SYSTEM, PlacementSaga

log = logging.getLogger(__name__)


class SagaRecoverer:
    def __init__(
        self,
        database: Database,
        saga: PlacementSaga,
        *,
        instance_timeout: float = 10.0,
        max_age: float = 120.0,
    ) -> None:
        self.db = database
        self.saga = saga
        self.outcomes = saga.outcomes
        self.instance_id = saga.instance_id
        self.instance_timeout = timedelta(seconds=instance_timeout)
        self.max_age = timedelta(seconds=max_age)

    async def heartbeat(self) -> None:
        """Prove this process (the owner of its sagas) is alive."""
        now = self.saga.clock.now()

        async def beat(uow: UnitOfWork) -> None:
            await SagaStore(uow).heartbeat(self.instance_id, now)

        await in_transaction(self.db, beat)

    async def recover_once(self) -> list[tuple[uuid.UUID, RecoveryAction]]:
        """Complete or compensate every saga whose owner is gone. Returns what it did."""
        await self.heartbeat()
        now = self.saga.clock.now()

        async def find(uow: UnitOfWork) -> list[tuple[uuid.UUID, str | None]]:
            store = SagaStore(uow)
            orphans = await store.orphaned(
                now=now, instance_timeout=self.instance_timeout, max_age=self.max_age
            )
            # Instances silent for a day own nothing any more (their sagas were recovered).
            await store.forget_dead_instances(before=now - timedelta(days=1))
            return orphans

        done: list[tuple[uuid.UUID, RecoveryAction]] = []
        for order_id, owner in await in_transaction(self.db, find):
            claim = partial(self._claim, order_id=order_id, owner=owner)
            claimed = await in_transaction(self.db, claim)
            if not claimed:
                continue
            try:
                done.append((order_id, await self._recover(order_id)))
            except DomainError as err:
                log.warning(
                    "recovery postponed", extra={"order_id": str(order_id), "error": repr(err)}
                )
                await self.outcomes.orphan(order_id, self.instance_id)
        return done

    async def _claim(self, uow: UnitOfWork, order_id: uuid.UUID, owner: str | None) -> bool:
        return await SagaStore(uow).set_owner(order_id, expected=owner, new=self.instance_id)

    async def _recover(self, order_id: uuid.UUID) -> RecoveryAction:
        async with self.db.unit_of_work() as uow:  # a read: never committed
            order = await Orders(uow).get(order_id)
        if order is None:
            return RecoveryAction.NOTHING
        reservation = None
        if order.placement == Placement.PENDING:
            reservation = await self.saga.inventory.get_reservation(order_id=order_id)
        action = decide_recovery(
            order.placement,
            prices_stored=order.prices_stored,
            reservation=reservation.state if reservation is not None else None,
        )
        t0 = self.saga.clock.now()
        detail = {
            "reservation": reservation.state.value if reservation else None,
            "prices_stored": order.prices_stored,
        }
        await in_transaction(
            self.db,
            lambda uow: self.outcomes.log(
                uow, order, "RECOVER", action.value, t0, detail, finished=t0
            ),
        )
        log.info("saga recovered", extra={"order_id": str(order_id), "action": action.value})
        if action == RecoveryAction.CONFIRM:
            assert reservation is not None
            if order.reservation_id is None:
                order.record_reservation(reservation.id, reservation.backorders, at=t0)
            await self.outcomes.confirm(order, reservation, actor=SYSTEM, owner=self.instance_id)
        elif action == RecoveryAction.COMPENSATE:
            err = PlacementAbandoned(
                "the order placement was interrupted and rolled back; please retry",
                details={"order_id": str(order_id)},
            )
            await self.outcomes.compensate(order, err, final=Placement.FAILED, step="RECOVER")
        return action

    async def run(self, interval: float) -> None:
        """Background job: recovery at start-up and then every `interval` seconds."""
        while True:
            try:
                await self.recover_once()
            except Exception:
                log.exception("saga recoverer pass failed")
            await asyncio.sleep(interval)
