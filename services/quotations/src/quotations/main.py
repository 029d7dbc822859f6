"""Composition root of the quotations service: `quotations serve` / `quotations migrate`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import grpc

from cypher.quotations.v1 import quotations_pb2, quotations_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli
from cypher_runtime.clock import Clock, SystemClock
from quotations.clients import GrpcOrders, GrpcPricing
from quotations.consumers import Consumers
from quotations.conversion import Conversion
from quotations.grpc_api import QuotationsServicer
from quotations.jobs import Sweep
from quotations.pdf import Company, render_quotation
from quotations.ports import OrdersPort, PricingPort
from quotations.service import Policy, QuotationsService
from quotations.settings import QuotationsSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = quotations_pb2.DESCRIPTOR.services_by_name["QuotationsService"].full_name


@dataclass(frozen=True)
class QuotationsApp:
    runtime: Runtime
    service: QuotationsService
    conversion: Conversion
    sweep: Sweep


def company_of(settings: QuotationsSettings) -> Company:
    return Company(
        name=settings.company_name,
        cui=settings.company_cui,
        reg_com=settings.company_reg_com,
        address=settings.company_address,
        bank=settings.company_bank,
        iban=settings.company_iban,
        email=settings.company_email,
        phone=settings.company_phone,
    )


def assemble(
    settings: QuotationsSettings,
    *,
    clock: Clock | None = None,
    queue_prefix: str | None = None,
    pricing: PricingPort | None = None,
    orders: OrdersPort | None = None,
    run_sweep: bool = True,
) -> QuotationsApp:
    runtime = Runtime("quotations", settings, queue_prefix=queue_prefix)
    timeout = settings.upstream_timeout_seconds
    # Channels open on first use, inside the running event loop.
    pricing = pricing or GrpcPricing(settings.pricing_address, timeout=timeout)
    orders = orders or GrpcOrders(
        settings.orders_address, timeout=timeout, create_timeout=settings.convert_timeout_seconds
    )
    service = QuotationsService(
        pricing=pricing,
        orders=orders,
        clock=clock or SystemClock(),
        policy=Policy(validity=settings.validity, reminders=tuple(settings.reminder_offsets)),
        render=partial(
            render_quotation, company=company_of(settings), terms=settings.quotation_terms
        ),
    )
    conversion = Conversion(
        runtime.db,
        service,
        orders,
        follow_wait_seconds=settings.convert_follow_wait_seconds,
    )
    servicer = QuotationsServicer(runtime.db, service, conversion)

    def register(server: grpc.aio.Server) -> None:
        quotations_pb2_grpc.add_QuotationsServiceServicer_to_server(servicer, server)

    runtime.add_grpc(SERVICE_NAME, register)
    runtime.add_consumer("order-events", Consumers(service).subscriptions())
    sweep = Sweep(runtime.db, service, batch=settings.sweep_batch)
    if run_sweep:
        runtime.add_job("quotation-sweep", partial(sweep.run, settings.sweep_interval_seconds))
    return QuotationsApp(runtime=runtime, service=service, conversion=conversion, sweep=sweep)


def build(settings: QuotationsSettings) -> Runtime:
    return assemble(settings).runtime


def cli() -> None:
    run_cli(
        name="quotations", settings_cls=QuotationsSettings, build=build, migrations_dir=MIGRATIONS
    )
