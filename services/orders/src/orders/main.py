"""Composition root of the orders service: `orders serve` / `orders migrate`."""

from pathlib import Path

from cypher.orders.v1 import orders_pb2, orders_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli

from orders.settings import OrdersSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = orders_pb2.DESCRIPTOR.services_by_name["OrdersService"].full_name


def build(settings: OrdersSettings) -> Runtime:
    runtime = Runtime("orders", settings)
    # Until its domain lands the service answers health and UNIMPLEMENTED for its RPCs.
    runtime.add_grpc(
        SERVICE_NAME,
        lambda server: orders_pb2_grpc.add_OrdersServiceServicer_to_server(
            orders_pb2_grpc.OrdersServiceServicer(), server
        ),
    )
    return runtime


def cli() -> None:
    run_cli(name="orders", settings_cls=OrdersSettings, build=build, migrations_dir=MIGRATIONS)
