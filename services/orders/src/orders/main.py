"""Composition root of the orders service: `orders serve` / `orders migrate`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc

from cypher.orders.v1 import orders_pb2, orders_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli
from cypher_runtime.clock import Clock, SystemClock
from cypher_runtime.messaging.consumer import Subscription
from orders.clients import GrpcInventory, GrpcPricing
from orders.customers import CustomerService
from orders.grpc_api import OrdersServicer
from orders.lifecycle import OrderService
from orders.placement import PlacementSaga
from orders.ports import InventoryPort, PricingPort
from orders.settings import OrdersSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = orders_pb2.DESCRIPTOR.services_by_name["OrdersService"].full_name

# Event types consumed (routing keys); their producers may land later.
QUOTATION_SENT = "quotations.quotation.sent.v1"
QUOTATION_ACCEPTED = "quotations.quotation.accepted.v1"
INVOICE_CREATED = "integration.invoice.created.v1"
PAYMENT_RECEIVED = "integration.payment.received.v1"
SUPPLIER_ORDER_PLACED = "suppliers.supplier.order_placed.v1"
SUPPLIER_ORDER_RECEIVED = "suppliers.supplier.order_received.v1"


class OrdersApp:
    """The wired service, kept so tests can reach the use cases and the saga."""

    def __init__(
        self,
        runtime: Runtime,
        customers: CustomerService,
        orders: OrderService,
        saga: PlacementSaga,
    ) -> None:
        self.runtime = runtime
        self.customers = customers
        self.orders = orders
        self.saga = saga


def wire(
    settings: OrdersSettings,
    *,
    queue_prefix: str | None = None,
    clock: Clock | None = None,
    pricing: PricingPort | None = None,
    inventory: InventoryPort | None = None,
    run_recoverer: bool = True,
) -> OrdersApp:
    clock = clock or SystemClock()
    runtime = Runtime("orders", settings, queue_prefix=queue_prefix)
    timeout = settings.upstream_timeout_seconds
    # Channels open on first use, inside the running event loop.
    pricing = pricing or GrpcPricing(settings.pricing_addr, timeout=timeout)
    inventory = inventory or GrpcInventory(settings.inventory_addr, timeout=timeout)
    customers = CustomerService(runtime.db, clock)
    orders = OrderService(runtime.db, clock)
    saga = PlacementSaga(
        runtime.db,
        pricing,
        inventory,
        clock,
        pause_after_reserve=settings.saga_pause_after_reserve_seconds,
        replay_wait=settings.idempotent_replay_wait_seconds,
        instance_timeout=settings.saga_instance_timeout_seconds,
        max_age=settings.saga_max_age_seconds,
    )
    servicer = OrdersServicer(customers, orders, saga)

    def register(server: grpc.aio.Server) -> None:
        orders_pb2_grpc.add_OrdersServiceServicer_to_server(servicer, server)

    runtime.add_grpc(SERVICE_NAME, register)
    runtime.add_consumer(
        "order-events",
        [
            Subscription(QUOTATION_SENT, orders.on_quotation_sent),
            Subscription(QUOTATION_ACCEPTED, orders.on_quotation_accepted),
            Subscription(INVOICE_CREATED, orders.on_invoice_created),
            Subscription(PAYMENT_RECEIVED, orders.on_payment_received),
            Subscription(SUPPLIER_ORDER_PLACED, orders.on_supplier_order_placed),
            Subscription(SUPPLIER_ORDER_RECEIVED, orders.on_supplier_order_received),
        ],
    )

    async def heartbeat_job() -> None:
        while True:
            await saga.heartbeat()
            await asyncio.sleep(settings.saga_heartbeat_seconds)

    async def recoverer_job() -> None:
        await saga.run_recoverer(settings.saga_recover_interval_seconds)

    runtime.add_job("saga-heartbeat", heartbeat_job)
    if run_recoverer:
        runtime.add_job("saga-recoverer", recoverer_job)
    return OrdersApp(runtime, customers, orders, saga)


def build(settings: OrdersSettings, *, queue_prefix: str | None = None) -> Runtime:
    return wire(settings, queue_prefix=queue_prefix).runtime


def cli() -> None:
    run_cli(name="orders", settings_cls=OrdersSettings, build=build, migrations_dir=MIGRATIONS)
