"""Mail's part of the composition root: renderer, SMTP sender with its guard, the
dispatcher job and the consumer of the events that become mails."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from cypher_runtime.app import Runtime
from cypher_runtime.clock import Clock
from cypher_runtime.messaging.envelope import ReceivedEvent
from integration.mail.consumers import MailHandlers
from integration.mail.dispatch import MailDispatcher
from integration.mail.domain.mails import RetryPolicy
from integration.mail.ports import CustomersPort, QuotationPdfPort
from integration.mail.quotations import GrpcQuotationPdfs
from integration.mail.render import Renderer
from integration.mail.sender import SmtpConfig, SmtpSender
from integration.mail.service import MailService
from integration.settings import IntegrationSettings
from integration.smartbill.guard import Guard, Throttle, ThrottleSettings


@dataclass(frozen=True)
class MailPart:
    service: MailService
    dispatcher: MailDispatcher
    sender: SmtpSender
    renderer: Renderer
    guard: Guard


def smtp_config(s: IntegrationSettings) -> SmtpConfig:
    return SmtpConfig(
        host=s.smtp_host,
        port=s.smtp_port,
        username=s.smtp_username,
        password=s.smtp_password,
        starttls=s.smtp_starttls,
        tls=s.smtp_tls,
        timeout_seconds=s.smtp_timeout_seconds,
        sender=s.mail_from,
        reply_to=s.mail_reply_to,
    )


def assemble_mail(
    settings: IntegrationSettings,
    runtime: Runtime,
    clock: Clock,
    customers: CustomersPort,
    *,
    pdfs: QuotationPdfPort | None = None,
    run_jobs: bool = True,
) -> MailPart:
    s = settings
    guard = Guard(
        "smtp",
        Throttle(
            ThrottleSettings(
                budget=s.smtp_messages_per_second,
                window_seconds=1.0,
                burst=max(1, s.smtp_messages_per_second // 4),
                reserve=0,
            )
        ),
        fail_max=s.smtp_breaker_failures,
        reset_seconds=s.smtp_breaker_reset_seconds,
    )
    config = smtp_config(s)
    sender = SmtpSender(config, guard)
    renderer = Renderer(s.company())
    grpc_pdfs = GrpcQuotationPdfs(s.quotations_addr, s.upstream_timeout_seconds)
    service = MailService(
        clock, warehouse=s.mail_warehouse_address, purchasing=s.mail_purchasing_address
    )
    dispatcher = MailDispatcher(
        runtime.db,
        sender,
        renderer,
        customers,
        pdfs or grpc_pdfs,
        clock,
        config=config,
        policy=RetryPolicy(
            max_attempts=s.mail_max_attempts,
            first_delay=timedelta(seconds=s.mail_retry_seconds),
            max_delay=timedelta(seconds=s.mail_retry_max_seconds),
        ),
        idle_seconds=s.mail_idle_seconds,
        batch=s.mail_batch,
    )

    async def nudge(_: ReceivedEvent) -> None:
        dispatcher.nudge()

    runtime.add_consumer("mail-events", MailHandlers(service).subscriptions(), after_commit=nudge)

    async def close() -> None:
        # Lives as long as the runtime; its cancellation at stop closes the connections.
        try:
            await asyncio.Event().wait()
        finally:
            await sender.close()
            await grpc_pdfs.close()

    runtime.add_job("mail-clients", close)
    if run_jobs:
        runtime.add_job("mail-dispatcher", dispatcher.run)
    return MailPart(service, dispatcher, sender, renderer, guard)
