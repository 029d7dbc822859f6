"""Saga failures and crash recovery, with real inventory behind fakes that subclass the
inventory port to inject a fault at one exact point (no mock.patch)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping

import grpc
import pytest
import pytest_asyncio

from cypher.inventory.v1 import inventory_pb2 as inv
from cypher_runtime.clock import SystemClock
from cypher_runtime.db import Database
from cypher_runtime.grpc_client import make_channel
from cypher_runtime.grpc_errors import error_from_rpc
from cypher_testkit.broker import BrokerScope
from cypher_testkit.polling import eventually
from orders.domain.placement import Reservation
from orders.domain.prices import LinePrice, PricedQuote
from orders.errors import DependencyUnavailable
from orders.placement import AfterReserve, PlacementSaga, PlaceOrder
from orders.upstreams import GrpcInventory, PricingPort
from orders.wire import line_price_from_proto

from .harness import DatabaseFactory, Stack, locked_price, running_stack

INSTANCE_TIMEOUT = 1.0
MAX_AGE = 4.0


@pytest_asyncio.fixture(loop_scope="session")
async def recovering(
    database_factory: DatabaseFactory, broker_scope: BrokerScope
) -> AsyncIterator[Stack]:
    """The stack with its recoverer running and a 1 s owner timeout."""
    async with running_stack(
        database_factory,
        broker_scope,
        run_recoverer=True,
        instance_timeout=INSTANCE_TIMEOUT,
        max_age=MAX_AGE,
    ) as s:
        yield s


class LostAnswerInventory(GrpcInventory):
    """Reserve happens in inventory, but the answer never reaches the saga."""

    async def reserve(
        self, *, order_id: uuid.UUID, lines: Mapping[str, int], allow_backorder: bool
    ) -> Reservation:
        await super().reserve(order_id=order_id, lines=lines, allow_backorder=allow_backorder)
        raise DependencyUnavailable("inventory did not answer (injected)")


class HangingReserveInventory(GrpcInventory):
    """Reserve never returns (the process will 'die' while waiting)."""

    async def reserve(
        self, *, order_id: uuid.UUID, lines: Mapping[str, int], allow_backorder: bool
    ) -> Reservation:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class FlakyConfirmInventory(GrpcInventory):
    """ConfirmReservation fails; Release fails `release_failures` times first."""

    def __init__(self, channel: grpc.aio.Channel, release_failures: int = 0) -> None:
        super().__init__(channel)
        self.release_failures = release_failures

    async def confirm_reservation(self, *, order_id: uuid.UUID) -> None:
        raise DependencyUnavailable("confirm lost (injected)")

    async def release(self, *, order_id: uuid.UUID, reason: str) -> None:
        if self.release_failures > 0:
            self.release_failures -= 1
            raise DependencyUnavailable("release lost (injected)")
        await super().release(order_id=order_id, reason=reason)


def inventory_target(s: Stack) -> str:
    port = s.runtimes[1].grpc.port  # type: ignore[union-attr]
    return f"127.0.0.1:{port}"


def prices(lines: dict[str, int]) -> dict[str, LinePrice]:
    return {sku: line_price_from_proto(locked_price(sku, q, "10.00")) for sku, q in lines.items()}


def pause(seconds: float) -> AfterReserve:
    """The crash window: the saga sleeps between its reservation and its confirmation."""

    async def sleep(order_id: uuid.UUID) -> None:
        await asyncio.sleep(seconds)

    return sleep


async def die(task: asyncio.Task[object]) -> None:
    """The saga's process dies: its task is cancelled where it waits. The task must not
    have ended any other way (an error it met before would otherwise pass unseen)."""
    assert not task.done(), task
    task.cancel()
    (outcome,) = await asyncio.gather(task, return_exceptions=True)
    assert isinstance(outcome, asyncio.CancelledError), outcome


def other_saga(
    s: Stack, inventory: GrpcInventory, *, after_reserve: AfterReserve | None = None
) -> PlacementSaga:
    """A saga of another process (its own instance id, never heartbeating)."""
    return PlacementSaga(
        Database(s.orders_url),
        s.orders.placement.pricing,
        inventory,
        SystemClock(),
        after_reserve=after_reserve,
    )


async def placement_of(s: Stack, key: str) -> tuple[str | None, str | None]:
    rows = await s.sql("SELECT placement, status FROM orders WHERE idempotency_key = $1", key)
    return (rows[0]["placement"], rows[0]["status"]) if rows else (None, None)


async def reservation_status(s: Stack, order_id: str) -> int | None:
    """The reservation's status; None only when inventory answers NOT_FOUND (any other
    error fails the test)."""
    try:
        reply = await s.inventory_stub.GetReservation(inv.GetReservationRequest(order_id=order_id))
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise
    return int(reply.reservation.status)


async def wait_step(s: Stack, key: str, step: str) -> str:
    async def probe() -> list[str]:
        rows = await s.sql(
            "SELECT o.id FROM saga_log l JOIN orders o ON o.id = l.order_id "
            "WHERE o.idempotency_key = $1 AND l.step = $2",
            key,
            step,
        )
        return [str(r["id"]) for r in rows]

    return (await eventually(probe, bool, what=f"saga step {step}"))[0]


async def test_a_crash_after_the_reservation_is_recovered_by_confirming(recovering: Stack) -> None:
    s = recovering
    customer = uuid.UUID(await s.customer())
    await s.stock("LED-1", 10)
    crashed = other_saga(
        s, GrpcInventory(make_channel(inventory_target(s))), after_reserve=pause(60)
    )
    lines = {"LED-1": 4}
    task = asyncio.create_task(
        crashed.place(PlaceOrder(customer, lines, prices(lines), idempotency_key="crash-1"))
    )
    order_id = await wait_step(s, "crash-1", "RESERVE")
    await die(task)  # the process dies between reserve and confirm
    assert await placement_of(s, "crash-1") == ("PENDING", None)
    await eventually(
        lambda: placement_of(s, "crash-1"),
        lambda p: p == ("CONFIRMED", "ORDER_CONFIRMED"),
        timeout=20,
        what="recovered by confirming",
    )
    assert await reservation_status(s, order_id) == inv.RESERVATION_STATUS_CONFIRMED
    assert await s.available("LED-1") == 6
    number = await s.sql("SELECT number FROM orders WHERE id = $1", uuid.UUID(order_id))
    assert number[0]["number"].endswith("-000001")


async def test_a_crash_before_the_reservation_is_recovered_by_releasing(recovering: Stack) -> None:
    s = recovering
    customer = uuid.UUID(await s.customer())
    await s.stock("LED-2", 10)
    crashed = other_saga(s, HangingReserveInventory(make_channel(inventory_target(s))))
    lines = {"LED-2": 3}
    task = asyncio.create_task(
        crashed.place(PlaceOrder(customer, lines, prices(lines), idempotency_key="crash-2"))
    )
    order_id = await wait_step(s, "crash-2", "PRICE")
    await die(task)
    await eventually(
        lambda: placement_of(s, "crash-2"),
        lambda p: p == ("FAILED", None),
        timeout=20,
        what="recovered by compensating",
    )
    assert await s.available("LED-2") == 10
    # The release left a tombstone: a Reserve still in flight for that order fails.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await s.inventory_stub.Reserve(
            inv.ReserveRequest(order_id=order_id, lines=[inv.StockLine(sku="LED-2", quantity=3)])
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert await s.available("LED-2") == 10


async def test_a_reservation_whose_answer_was_lost_is_released_and_a_retry_places_anew(
    recovering: Stack,
) -> None:
    s = recovering
    customer = uuid.UUID(await s.customer())
    await s.stock("LED-3", 5)
    lines = {"LED-3": 5}
    saga = other_saga(s, LostAnswerInventory(make_channel(inventory_target(s))))
    with pytest.raises(DependencyUnavailable):
        await saga.place(PlaceOrder(customer, lines, prices(lines), idempotency_key="lost-1"))
    assert await placement_of(s, "lost-1") == ("FAILED", None)
    assert await s.available("LED-3") == 5
    # The same key again (through the real service) places a fresh order.
    reply = await s.place(str(customer), {"LED-3": 5}, key="lost-1")
    assert reply.replayed is False
    assert await s.available("LED-3") == 0
    failed = await s.sql("SELECT count(*) AS n FROM orders WHERE placement = 'FAILED'")
    assert failed[0]["n"] == 1


async def test_a_failed_confirmation_compensates_even_when_release_fails_first(
    recovering: Stack,
) -> None:
    s = recovering
    customer = uuid.UUID(await s.customer())
    await s.stock("LED-4", 6)
    lines = {"LED-4": 6}
    saga = PlacementSaga(
        s.orders.runtime.db,
        s.orders.placement.pricing,
        FlakyConfirmInventory(make_channel(inventory_target(s)), release_failures=1),
        SystemClock(),
        instance_id=s.orders.placement.instance_id,  # live: only orphaning hands it over
    )
    with pytest.raises(DependencyUnavailable):
        await saga.place(PlaceOrder(customer, lines, prices(lines), idempotency_key="flaky-1"))
    assert await placement_of(s, "flaky-1") == ("COMPENSATING", None)
    await eventually(
        lambda: placement_of(s, "flaky-1"),
        lambda p: p == ("FAILED", None),
        timeout=20,
        what="recoverer finished the compensation",
    )
    assert await s.available("LED-4") == 6
    steps = await s.sql(
        "SELECT l.step, l.state FROM saga_log l JOIN orders o ON o.id = l.order_id "
        "WHERE o.idempotency_key = 'flaky-1' ORDER BY l.id"
    )
    assert ("RECOVER", "COMPENSATE") in [(r["step"], r["state"]) for r in steps]


async def test_the_saga_is_compare_and_set_so_a_taken_over_saga_cannot_confirm(
    recovering: Stack,
) -> None:
    s = recovering
    customer = uuid.UUID(await s.customer())
    await s.stock("LED-5", 5)
    crashed = other_saga(
        s, GrpcInventory(make_channel(inventory_target(s))), after_reserve=pause(3)
    )
    lines = {"LED-5": 2}
    task = asyncio.create_task(
        crashed.place(PlaceOrder(customer, lines, prices(lines), idempotency_key="slow-1"))
    )
    await wait_step(s, "slow-1", "RESERVE")
    # The 'slow' owner never heartbeats, so the recoverer takes over and confirms …
    await eventually(
        lambda: placement_of(s, "slow-1"),
        lambda p: p[0] == "CONFIRMED",
        timeout=20,
        what="taken over",
    )
    # … and the original owner, waking up, is refused instead of confirming twice.
    results = await asyncio.gather(task, return_exceptions=True)
    assert error_code(results[0]) == "SAGA_TAKEN_OVER"
    history = await s.sql(
        "SELECT count(*) AS n FROM order_status_history h JOIN orders o ON o.id = h.order_id "
        "WHERE o.idempotency_key = 'slow-1'"
    )
    assert history[0]["n"] == 1


def error_code(result: object) -> str:
    return str(getattr(result, "code", type(result).__name__))


async def test_insufficient_stock_error_passes_through_unchanged(recovering: Stack) -> None:
    s = recovering
    customer = await s.customer()
    await s.stock("LED-6", 1)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await s.place(customer, {"LED-6": 2, "LED-1": 0 + 1})
    remote = error_from_rpc(caught.value)
    assert remote.code == "INSUFFICIENT_STOCK"
    assert remote.details["shortfall"]["LED-6"] == 1


class DownPricing(PricingPort):
    """Pricing that does not answer (down or past its deadline)."""

    async def quote_lines(
        self, *, customer_id: uuid.UUID, lines: Mapping[str, int], pricing_date: str
    ) -> PricedQuote:
        raise DependencyUnavailable("pricing did not answer (injected)")


async def test_pricing_down_fails_the_placement_before_any_reservation(recovering: Stack) -> None:
    s = recovering
    customer = uuid.UUID(await s.customer())
    await s.stock("LED-7", 5)
    saga = PlacementSaga(
        Database(s.orders_url),
        DownPricing(),
        GrpcInventory(inventory_target(s)),
        SystemClock(),
        instance_id=s.orders.placement.instance_id,
    )
    with pytest.raises(DependencyUnavailable):
        await saga.place(PlaceOrder(customer, {"LED-7": 2}, idempotency_key="down-1"))
    assert await placement_of(s, "down-1") == ("FAILED", None)
    assert await reservation_status(s, str(await order_id_of(s, "down-1"))) is None
    assert await s.available("LED-7") == 5


async def order_id_of(s: Stack, key: str) -> uuid.UUID:
    rows = await s.sql("SELECT id FROM orders WHERE idempotency_key = $1", key)
    return uuid.UUID(str(rows[0]["id"]))


async def test_a_saga_its_live_owner_lost_track_of_is_recovered_after_the_max_age(
    recovering: Stack,
) -> None:
    s = recovering
    customer = uuid.UUID(await s.customer())
    await s.stock("LED-8", 6)
    # The live instance (heartbeating) starts a saga and then loses track of it.
    lost = PlacementSaga(
        Database(s.orders_url),
        s.orders.placement.pricing,
        GrpcInventory(inventory_target(s)),
        SystemClock(),
        instance_id=s.orders.placement.instance_id,
        after_reserve=pause(60),
    )
    lines = {"LED-8": 6}
    task = asyncio.create_task(
        lost.place(PlaceOrder(customer, lines, prices(lines), idempotency_key="lost-track-1"))
    )
    await wait_step(s, "lost-track-1", "RESERVE")
    await die(task)
    assert await placement_of(s, "lost-track-1") == ("PENDING", None)
    await eventually(
        lambda: placement_of(s, "lost-track-1"),
        lambda p: p == ("CONFIRMED", "ORDER_CONFIRMED"),
        timeout=30,
        what="recovered after the max age",
    )
    assert await s.available("LED-8") == 0
    # Its owner is alive (heartbeating), so only the max age (4 s) may release the saga,
    # never the instance timeout (1 s): the recoverer acted at least 4 s after the saga's
    # last step.
    steps = await s.sql(
        "SELECT l.step, l.started_at, l.finished_at FROM saga_log l "
        "JOIN orders o ON o.id = l.order_id WHERE o.idempotency_key = 'lost-track-1' "
        "ORDER BY l.id"
    )
    last_step = next(r["finished_at"] for r in steps if r["step"] == "RESERVE")
    recovered = next(r["started_at"] for r in steps if r["step"] == "RECOVER")
    assert (recovered - last_step).total_seconds() >= MAX_AGE
