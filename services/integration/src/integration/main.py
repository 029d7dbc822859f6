"""Composition root of the integration service: `integration serve` / `integration migrate`."""

from pathlib import Path

from cypher.integration.v1 import integration_pb2, integration_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli
from integration.settings import IntegrationSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = integration_pb2.DESCRIPTOR.services_by_name["IntegrationService"].full_name


def build(settings: IntegrationSettings) -> Runtime:
    runtime = Runtime("integration", settings)
    # Until its domain lands the service answers health and UNIMPLEMENTED for its RPCs.
    runtime.add_grpc(
        SERVICE_NAME,
        lambda server: integration_pb2_grpc.add_IntegrationServiceServicer_to_server(
            # The generated base answers UNIMPLEMENTED for every RPC until the domain lands.
            integration_pb2_grpc.IntegrationServiceServicer(),  # type: ignore[abstract]
            server,
        ),
    )
    return runtime


def cli() -> None:
    run_cli(
        name="integration", settings_cls=IntegrationSettings, build=build, migrations_dir=MIGRATIONS
    )
