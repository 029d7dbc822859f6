"""Composition root of the quotations service: `quotations serve` / `quotations migrate`."""

from pathlib import Path

from cypher.quotations.v1 import quotations_pb2, quotations_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli
from quotations.settings import QuotationsSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = quotations_pb2.DESCRIPTOR.services_by_name["QuotationsService"].full_name


def build(settings: QuotationsSettings) -> Runtime:
    runtime = Runtime("quotations", settings)
    # Until its domain lands the service answers health and UNIMPLEMENTED for its RPCs.
    runtime.add_grpc(
        SERVICE_NAME,
        lambda server: quotations_pb2_grpc.add_QuotationsServiceServicer_to_server(
            # The generated base answers UNIMPLEMENTED for every RPC until the domain lands.
            quotations_pb2_grpc.QuotationsServiceServicer(),  # type: ignore[abstract]
            server,
        ),
    )
    return runtime


def cli() -> None:
    run_cli(
        name="quotations", settings_cls=QuotationsSettings, build=build, migrations_dir=MIGRATIONS
    )
