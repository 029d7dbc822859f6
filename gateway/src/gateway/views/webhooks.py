"""Webhook endpoints and their deliveries (integration service)."""

from __future__ import annotations

from typing import Literal

from cypher.integration.v1 import integration_pb2 as pb
from gateway.convert import time_of
from gateway.views.common import Out, Time

DeliveryStatusName = Literal["PENDING", "DELIVERED", "PARKED"]


class Webhook(Out):
    id: str
    customer_id: str | None
    url: str
    events: list[str]
    active: bool
    description: str
    created_at: Time | None
    # Only in the answer to POST /webhooks: sign-checking secret, shown once.
    secret: str | None = None


class WebhookDelivery(Out):
    id: str
    webhook_id: str
    event_type: str
    event_id: str
    status: DeliveryStatusName
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: Time | None
    next_attempt_at: Time | None
    delivered_at: Time | None


class WebhookDeleted(Out):
    id: str
    deleted: bool


def webhook_view(e: pb.WebhookEndpoint) -> Webhook:
    return Webhook(
        id=e.id,
        customer_id=e.customer_id or None,
        url=e.url,
        events=list(e.event_types),
        active=e.active,
        description=e.description,
        created_at=time_of(e, "created_at"),
        secret=e.secret or None,
    )


def delivery_view(d: pb.WebhookDelivery) -> WebhookDelivery:
    return WebhookDelivery(
        id=d.id,
        webhook_id=d.endpoint_id,
        event_type=d.event_type,
        event_id=d.event_id,
        status=d.status,  # type: ignore[arg-type]
        attempts=d.attempts,
        last_status_code=d.last_status_code or None,
        last_error=d.last_error or None,
        created_at=time_of(d, "created_at"),
        next_attempt_at=time_of(d, "next_attempt_at"),
        delivered_at=time_of(d, "delivered_at"),
    )
