"""What sending needs from the rest of CYPHER: a customer's name and e-mail (orders)
and a quotation's PDF when its event did not carry it (quotations)."""

from __future__ import annotations

from typing import Protocol

from integration.domain.billing import BillingParty
from integration.mail.domain.mails import Attachment


class CustomersPort(Protocol):
    async def get_customer(self, customer_id: str) -> BillingParty | None: ...


class QuotationPdfPort(Protocol):
    async def quotation_pdf(self, quotation_id: str) -> Attachment | None: ...
