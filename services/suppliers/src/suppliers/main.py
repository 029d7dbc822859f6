"""Composition root of the suppliers service: `suppliers serve` / `suppliers migrate`."""

from pathlib import Path

from cypher.suppliers.v1 import suppliers_pb2, suppliers_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli
from suppliers.settings import SuppliersSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = suppliers_pb2.DESCRIPTOR.services_by_name["SuppliersService"].full_name


def build(settings: SuppliersSettings) -> Runtime:
    runtime = Runtime("suppliers", settings)
    # Until its domain lands the service answers health and UNIMPLEMENTED for its RPCs.
    runtime.add_grpc(
        SERVICE_NAME,
        lambda server: suppliers_pb2_grpc.add_SuppliersServiceServicer_to_server(
            # The generated base answers UNIMPLEMENTED for every RPC until the domain lands.
            suppliers_pb2_grpc.SuppliersServiceServicer(),  # type: ignore[abstract]
            server,
        ),
    )
    return runtime


def cli() -> None:
    run_cli(
        name="suppliers", settings_cls=SuppliersSettings, build=build, migrations_dir=MIGRATIONS
    )
