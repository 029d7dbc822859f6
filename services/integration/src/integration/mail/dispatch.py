"""The mail dispatcher: sends the recorded mails.

Each round claims due PENDING mails in a short transaction (FOR UPDATE SKIP LOCKED;
their next attempt moved a lease ahead, so another replica leaves them alone), then
per mail: the address (the customer's, from orders, when the mail names a customer),
the PDF when the event did not carry it (quotations), render, send, and record the
outcome in its own transaction. Crash guarantees: a mail is marked SENT only after the
SMTP server accepted it; a crash between the two sends it again after the lease — at
most one duplicate, never a lost mail. SMTP down: attempts with a doubling delay, then
FAILED; a refusal that retrying cannot fix fails the mail at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, in_transaction
from cypher_runtime.errors import DomainError
from integration.mail.db import MailLog
from integration.mail.domain.mails import Mail, RetryPolicy
from integration.mail.ports import CustomersPort, QuotationPdfPort
from integration.mail.render import Renderer
from integration.mail.sender import SmtpConfig, SmtpRefused, SmtpSender, compose
from integration.smartbill.outcomes import SmartBillError

log = logging.getLogger(__name__)


class Undeliverable(Exception):
    """Nothing to send to (no address), or nothing to send (the PDF is gone)."""


class MailDispatcher:
    def __init__(
        self,
        db: Database,
        sender: SmtpSender,
        renderer: Renderer,
        customers: CustomersPort,
        pdfs: QuotationPdfPort,
        clock: Clock,
        *,
        config: SmtpConfig,
        policy: RetryPolicy,
        idle_seconds: float,
        batch: int,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self.db = db
        self.sender = sender
        self.renderer = renderer
        self.customers = customers
        self.pdfs = pdfs
        self.clock = clock
        self.config = config
        self.policy = policy
        self.idle = idle_seconds
        self.batch = batch
        self.lease = lease
        self._wake = asyncio.Event()

    def nudge(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            # Cleared before the round, not after: a mail recorded while the round runs
            # sets it again and is sent at once instead of after the idle pause.
            self._wake.clear()
            try:
                sent = await self.round()
            except Exception:
                log.exception("mail round failed")
                sent = 0
            if sent < self.batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle)

    async def round(self) -> int:
        """One claim and its sends; how many mails were claimed."""
        if not self.sender.guard.ready():
            return 0  # SMTP is down: the mails wait, PENDING
        now = self.clock.now()
        mails = await in_transaction(
            self.db, lambda uow: MailLog(uow).claim_due(now, self.lease, self.batch)
        )
        for mail in mails:
            await self._deliver(mail)
        return len(mails)

    async def _deliver(self, mail: Mail) -> None:
        try:
            to, context = await self._address(mail)
            if mail.attachment is None and mail.quotation_pdf_of:
                mail.attachment = await self.pdfs.quotation_pdf(mail.quotation_pdf_of)
                if mail.attachment is None:
                    raise Undeliverable(f"quotation {mail.quotation_pdf_of} has no PDF")
            rendered = self.renderer.render(mail.template, context)
            message = compose(
                self.config,
                to=to,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                attachment=mail.attachment,
            )
            await self.sender.send(message)
        except (Undeliverable, SmtpRefused) as exc:
            mail.refused(str(exc))
            log.warning("mail refused", extra={"mail_id": str(mail.id), "error": str(exc)})
        except (SmartBillError, DomainError) as exc:
            # SMTP down (or the circuit open), orders/quotations not answering: later.
            mail.failed_attempt(str(exc), self.clock.now(), self.policy)
        else:
            mail.sent(to, rendered.subject, self.clock.now())
        await in_transaction(self.db, lambda uow: MailLog(uow).save(mail))

    async def _address(self, mail: Mail) -> tuple[str, dict[str, object]]:
        context = dict(mail.context)
        context.setdefault("customer_name", "")
        if mail.customer_id:
            party = await self.customers.get_customer(mail.customer_id)
            if party is None:
                raise Undeliverable(f"customer {mail.customer_id} not found")
            if not party.email.strip():
                raise Undeliverable(f"customer {mail.customer_id} has no e-mail address")
            context["customer_name"] = party.name
            return party.email.strip(), context
        return mail.to_address, context
