"""Composition root of the orders service: `assemble` wires everything; `orders serve` /
`orders migrate` is the console script."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path

import grpc

from cypher.orders.v1 import orders_pb2, orders_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli
from cypher_runtime.clock import Clock, SystemClock
from orders.consumers import OrderEventHandlers
from orders.grpc_api import OrdersServicer
from orders.placement import AfterReserve, PlacementSaga
from orders.recovery import SagaRecoverer
from orders.service import CustomerService, OrderEventService, OrderService, OrdersService
from orders.settings import OrdersSettings
from orders.upstreams import GrpcInventory, GrpcPricing, InventoryPort, PricingPort

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = orders_pb2.DESCRIPTOR.services_by_name["OrdersService"].full_name


@dataclass(frozen=True)
class OrdersApp:
    """The wired service; tests reach the use cases, the saga and the recoverer."""

    runtime: Runtime
    service: OrdersService
    placement: PlacementSaga
    recovery: SagaRecoverer


def assemble(
    settings: OrdersSettings,
    *,
    clock: Clock | None = None,
    queue_prefix: str | None = None,
    pricing: PricingPort | None = None,
    inventory: InventoryPort | None = None,
    run_recoverer: bool = True,
    after_reserve: AfterReserve | None = None,
) -> OrdersApp:
    """The orders service, wired. Test seams: `pricing`/`inventory` replace the gRPC
    adapters, `run_recoverer=False` leaves sagas to a test, `after_reserve` is awaited
    between a saga's reservation and its confirmation (crash tests)."""
    clock = clock or SystemClock()
    runtime = Runtime("orders", settings, queue_prefix=queue_prefix)
    timeout = settings.upstream_timeout_seconds
    pricing = pricing or GrpcPricing(settings.pricing_addr, timeout=timeout)
    inventory = inventory or GrpcInventory(settings.inventory_addr, timeout=timeout)
    service = OrdersService(
        customers=CustomerService(clock),
        orders=OrderService(clock),
        order_events=OrderEventService(clock),
    )
    placement = PlacementSaga(
        runtime.db,
        pricing,
        inventory,
        clock,
        instance_id=f"orders-{uuid.uuid4().hex[:12]}",
        replay_wait=settings.idempotent_replay_wait_seconds,
        after_reserve=after_reserve,
    )
    recovery = SagaRecoverer(
        runtime.db,
        placement,
        instance_timeout=settings.saga_instance_timeout_seconds,
        max_age=settings.saga_max_age_seconds,
    )
    servicer = OrdersServicer(runtime.db, service, placement)

    def register(server: grpc.aio.Server) -> None:
        orders_pb2_grpc.add_OrdersServiceServicer_to_server(servicer, server)

    runtime.add_grpc(SERVICE_NAME, register)
    runtime.add_consumer("order-events", OrderEventHandlers(service.order_events).subscriptions())

    async def heartbeat_job() -> None:
        while True:
            await recovery.heartbeat()
            await asyncio.sleep(settings.saga_heartbeat_seconds)

    async def recoverer_job() -> None:
        await recovery.run(settings.saga_recover_interval_seconds)

    runtime.add_job("saga-heartbeat", heartbeat_job)
    if run_recoverer:
        runtime.add_job("saga-recoverer", recoverer_job)
    return OrdersApp(runtime, service, placement, recovery)


def build(settings: OrdersSettings) -> Runtime:
    return assemble(settings).runtime


def cli() -> None:
    run_cli(name="orders", settings_cls=OrdersSettings, build=build, migrations_dir=MIGRATIONS)
