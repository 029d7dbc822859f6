"""Composition root of the inventory service: `inventory serve` / `inventory migrate`."""

from pathlib import Path

from cypher.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli

from inventory.settings import InventorySettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = inventory_pb2.DESCRIPTOR.services_by_name["InventoryService"].full_name


def build(settings: InventorySettings) -> Runtime:
    runtime = Runtime("inventory", settings)
    # Until its domain lands the service answers health and UNIMPLEMENTED for its RPCs.
    runtime.add_grpc(
        SERVICE_NAME,
        lambda server: inventory_pb2_grpc.add_InventoryServiceServicer_to_server(
            inventory_pb2_grpc.InventoryServiceServicer(), server
        ),
    )
    return runtime


def cli() -> None:
    run_cli(name="inventory", settings_cls=InventorySettings, build=build, migrations_dir=MIGRATIONS)
