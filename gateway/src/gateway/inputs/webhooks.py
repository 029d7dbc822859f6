"""Request bodies of the webhook routes."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field, StrictBool

from gateway.inputs.common import Strict

EventType = Literal[
    "order.confirmed",
    "order.shipped",
    "order.delivered",
    "order.invoiced",
    "order.cancelled",
    "quotation.sent",
    "quotation.expiring",
    "price.changed",
]


class WebhookCreate(Strict):
    """`POST /webhooks`: an https endpoint on a public address and the events it wants.
    `secret` (16-200 characters) is generated when omitted and answered once.
    `customer_id`: staff only — the customer whose events it receives (omitted: every
    customer's); a partner's endpoint is always its own customer's."""

    url: str = Field(min_length=1, max_length=2048)
    events: list[EventType] = Field(min_length=1, max_length=8)
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    description: str = Field(default="", max_length=500)
    customer_id: uuid.UUID | None = None


class WebhookUpdate(Strict):
    """`PATCH /webhooks/{id}`: what is given changes."""

    url: str | None = Field(default=None, min_length=1, max_length=2048)
    events: list[EventType] | None = Field(default=None, min_length=1, max_length=8)
    active: StrictBool | None = None
    description: str | None = Field(default=None, max_length=500)
