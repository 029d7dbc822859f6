"""Composition root of the integration service: `integration serve` / `integration migrate`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import grpc
import httpx

from cypher.integration.v1 import integration_pb2, integration_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.cli import run_cli
from cypher_runtime.clock import Clock, SystemClock
from integration.clients import GrpcOrders, GrpcVatRates
from integration.consumers import Handlers
from integration.domain.billing import BillingTerms
from integration.grpc_api import IntegrationServicer
from integration.issuance import Issuer
from integration.jobs import PaymentPoller
from integration.mail.assembly import MailPart, assemble_mail
from integration.mail.ports import QuotationPdfPort
from integration.ports import OrdersPort, VatRatesPort
from integration.service import InvoicingService, Policy
from integration.settings import IntegrationSettings
from integration.shop.assembly import ShopPart, assemble_shop
from integration.shop.grpc_api import ShopRpcs
from integration.shop.ports import CatalogPort
from integration.smartbill.client import SmartBillClient, SmartBillConfig
from integration.smartbill.guard import Guard, Throttle, ThrottleSettings
from integration.webhooks.assembly import WebhooksPart, assemble_webhooks
from integration.webhooks.grpc_api import WebhookRpcs
from integration.webhooks.ports import ResolverPort

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = integration_pb2.DESCRIPTOR.services_by_name["IntegrationService"].full_name


@dataclass(frozen=True)
class IntegrationApp:
    runtime: Runtime
    service: InvoicingService
    issuer: Issuer
    poller: PaymentPoller
    smartbill: SmartBillClient
    guard: Guard
    shop: ShopPart
    mail: MailPart
    webhooks: WebhooksPart


class _Servicer(WebhookRpcs, ShopRpcs, IntegrationServicer):
    """The one IntegrationService servicer: SmartBill RPCs, the shop sync's and webhooks'."""


def policy_of(settings: IntegrationSettings) -> Policy:
    return Policy(
        invoice_series=settings.smartbill_invoice_series,
        proforma_series=settings.smartbill_proforma_series,
        terms=BillingTerms(
            tax_names=settings.tax_names(), payment_days=settings.invoice_payment_days
        ),
        max_refusals=settings.smartbill_max_refusals,
        refusal_retry=timedelta(seconds=settings.smartbill_refusal_retry_seconds),
    )


def smartbill_of(
    settings: IntegrationSettings, transport: httpx.AsyncBaseTransport | None = None
) -> SmartBillClient:
    s = settings
    guard = Guard(
        "smartbill",
        Throttle(
            ThrottleSettings(
                budget=s.smartbill_calls_per_window,
                window_seconds=s.smartbill_window_seconds,
                burst=s.smartbill_burst,
                reserve=s.smartbill_reserve_calls,
            )
        ),
        fail_max=s.smartbill_breaker_failures,
        reset_seconds=s.smartbill_breaker_reset_seconds,
    )
    config = SmartBillConfig(
        base_url=s.smartbill_base_url,
        email=s.smartbill_email,
        token=s.smartbill_token,
        cif=s.smartbill_cif,
        timeout_seconds=s.smartbill_timeout_seconds,
        connect_timeout_seconds=s.smartbill_connect_timeout_seconds,
        read_attempts=s.smartbill_read_attempts,
    )
    return SmartBillClient(config, guard, transport=transport)


def assemble(
    settings: IntegrationSettings,
    *,
    clock: Clock | None = None,
    queue_prefix: str | None = None,
    orders: OrdersPort | None = None,
    vat_rates: VatRatesPort | None = None,
    catalog: CatalogPort | None = None,
    quotation_pdfs: QuotationPdfPort | None = None,
    resolver: ResolverPort | None = None,
    run_jobs: bool = True,
) -> IntegrationApp:
    clock = clock or SystemClock()
    runtime = Runtime("integration", settings, queue_prefix=queue_prefix)
    timeout = settings.upstream_timeout_seconds
    grpc_orders = GrpcOrders(settings.orders_addr, timeout)
    grpc_vat = GrpcVatRates(settings.pricing_addr, timeout)
    service = InvoicingService(
        clock, policy_of(settings), orders or grpc_orders, vat_rates or grpc_vat
    )
    smartbill = smartbill_of(settings)
    guard = smartbill.guard
    issuer = Issuer(
        runtime.db, service, smartbill, guard, clock, idle_seconds=settings.dispatch_idle_seconds
    )
    poller = PaymentPoller(
        runtime.db,
        service,
        smartbill,
        guard,
        clock,
        interval_seconds=settings.payment_poll_seconds,
        batch=settings.payment_poll_batch,
    )
    # -- part 2: WooCommerce sync (integration.shop) and mail (integration.mail) -----------
    shop = assemble_shop(settings, runtime, clock, catalog=catalog, run_jobs=run_jobs)
    mail = assemble_mail(
        settings, runtime, clock, orders or grpc_orders, pdfs=quotation_pdfs, run_jobs=run_jobs
    )
    webhooks = assemble_webhooks(settings, runtime, clock, resolver=resolver, run_jobs=run_jobs)
    # --------------------------------------------------------------------------------------

    servicer = _Servicer(
        db=runtime.db,
        service=service,
        issuer=issuer,
        smartbill=smartbill,
        link=guard,
        clock=clock,
        create_wait_seconds=settings.create_wait_seconds,
        other_links=(shop.guard, mail.guard),
    )

    servicer.bind_shop(runtime.db, shop.service, shop.sync, shop.guard)
    servicer.bind_webhooks(runtime.db, webhooks.service, webhooks.dispatcher)

    def register(server: grpc.aio.Server) -> None:
        integration_pb2_grpc.add_IntegrationServiceServicer_to_server(servicer, server)

    runtime.add_grpc(SERVICE_NAME, register)

    async def nudge(_: object) -> None:
        issuer.nudge()

    runtime.add_consumer("order-events", Handlers(service).subscriptions(), after_commit=nudge)

    async def close_clients() -> None:
        # Lives as long as the runtime; its cancellation at stop closes the connections.
        try:
            await asyncio.Event().wait()
        finally:
            await smartbill.close()
            await grpc_orders.close()
            await grpc_vat.close()

    runtime.add_job("clients", close_clients)
    if run_jobs:
        runtime.add_job("smartbill-issuer", issuer.run)
        runtime.add_job("smartbill-payments", poller.run)
    return IntegrationApp(runtime, service, issuer, poller, smartbill, guard, shop, mail, webhooks)


def build(settings: IntegrationSettings) -> Runtime:
    return assemble(settings).runtime


def cli() -> None:
    run_cli(
        name="integration", settings_cls=IntegrationSettings, build=build, migrations_dir=MIGRATIONS
    )
