"""Request bodies of the invoice routes."""

from __future__ import annotations

import uuid

from gateway.inputs.common import Strict


class InvoiceCreate(Strict):
    """`POST /invoices`: issue the SmartBill invoice of a delivered order now."""

    order_id: uuid.UUID
