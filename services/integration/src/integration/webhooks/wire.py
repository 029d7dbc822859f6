"""Every proto ↔ webhook conversion, and the list cursors."""

from __future__ import annotations

from cypher.integration.v1 import integration_pb2 as pb
from cypher_runtime.errors import ValidationFailed
from cypher_runtime.paging import CursorCodec
from cypher_runtime.proto_values import optional_timestamp_pb, timestamp_pb
from integration.webhooks.domain.hooks import Delivery, DeliveryStatus, Endpoint

ENDPOINTS_CURSOR = CursorCodec("webhooks.endpoints", (str, str))
DELIVERIES_CURSOR = CursorCodec("webhooks.deliveries", (str, str))


def endpoint_pb(e: Endpoint, *, with_secret: bool = False) -> pb.WebhookEndpoint:
    return pb.WebhookEndpoint(
        id=str(e.id),
        customer_id=e.customer_id,
        url=e.url,
        event_types=list(e.event_types),
        active=e.active,
        created_at=timestamp_pb(e.created_at),
        secret=e.secret if with_secret else "",
        description=e.description,
    )


def delivery_pb(d: Delivery) -> pb.WebhookDelivery:
    return pb.WebhookDelivery(
        id=str(d.id),
        endpoint_id=str(d.endpoint_id),
        event_type=d.event_type,
        event_id=d.event_id,
        status=d.status.value,
        attempts=d.attempts,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        created_at=timestamp_pb(d.created_at),
        next_attempt_at=optional_timestamp_pb(d.next_attempt_at),
        delivered_at=optional_timestamp_pb(d.delivered_at),
        customer_id=d.customer_id,
    )


def status_filter(value: str) -> str:
    value = value.strip().upper()
    if value and value not in DeliveryStatus.__members__:
        raise ValidationFailed({"status": "must be PENDING, DELIVERED or PARKED"})
    return value


def after(codec: CursorCodec, cursor: str) -> tuple[str, str] | None:
    key = codec.decode(cursor)
    return None if key is None else (str(key[0]), str(key[1]))
