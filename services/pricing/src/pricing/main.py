"""Composition root of the pricing service: `pricing serve` / `pricing migrate`."""

from pathlib import Path

from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli

from pricing.settings import PricingSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = pricing_pb2.DESCRIPTOR.services_by_name["PricingService"].full_name


def build(settings: PricingSettings) -> Runtime:
    runtime = Runtime("pricing", settings)
    # Until its domain lands the service answers health and UNIMPLEMENTED for its RPCs.
    runtime.add_grpc(
        SERVICE_NAME,
        lambda server: pricing_pb2_grpc.add_PricingServiceServicer_to_server(
            pricing_pb2_grpc.PricingServiceServicer(), server
        ),
    )
    return runtime


def cli() -> None:
    run_cli(name="pricing", settings_cls=PricingSettings, build=build, migrations_dir=MIGRATIONS)
