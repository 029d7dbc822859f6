"""Webhooks (REST_API.md "Partners"): endpoints that receive signed POSTs of order,
quotation and price events, their deliveries, and redelivery on request. The deliveries
are made by the integration service (services/integration/README.md "Webhooks": the
signature scheme, retries, the address rules).

Who sees what: an admin manages every endpoint and may bind a new one to a customer
(`customer_id`; omitted = every customer's events). A principal bound to a customer (a
partner) manages only its own customer's endpoints: another customer's endpoint is 404,
the list is filtered, and a create is bound to its customer whatever the body says
(naming another customer is a 400)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from cypher.integration.v1 import integration_pb2 as pb
from gateway.deps import DEFAULT_LIMIT, Cursor, Integration, Limit, require
from gateway.envelope import Envelope, ok
from gateway.errors import ApiError
from gateway.inputs.webhooks import WebhookCreate, WebhookUpdate
from gateway.openapi import errors
from gateway.views.webhooks import (
    Webhook,
    WebhookDeleted,
    WebhookDelivery,
    delivery_view,
    webhook_view,
)

router = APIRouter(tags=["webhooks", "partners"])

Manage = Annotated[Any, require("webhooks:manage")]


def owner_of(principal: Any) -> str:
    """The customer a principal is bound to ("" for staff: no restriction)."""
    return str(getattr(principal, "customer_id", None) or "")


@router.post(
    "/webhooks",
    status_code=201,
    response_model=Envelope[Webhook],
    responses=errors(400),
    summary="Register an https endpoint for event types; the signing secret is answered once",
)
async def create_webhook(
    body: WebhookCreate, integration: Integration, principal: Manage
) -> JSONResponse:
    owner = owner_of(principal)
    named = str(body.customer_id) if body.customer_id else ""
    if owner and named and named != owner:
        raise ApiError(
            400,
            "VALIDATION_ERROR",
            "customer_id: a partner's webhook is its own customer's",
            {"fields": {"customer_id": "must be your own customer (or omitted)"}},
        )
    reply = await integration.create_webhook(
        customer_id=owner or named,
        url=body.url,
        events=list(body.events),
        secret=body.secret or "",
        description=body.description,
    )
    return ok(webhook_view(reply.endpoint), status_code=201)


@router.get(
    "/webhooks",
    response_model=Envelope[list[Webhook]],
    summary="Webhook endpoints, newest first (a partner: its own)",
)
async def list_webhooks(
    integration: Integration,
    principal: Manage,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> JSONResponse:
    reply = await integration.list_webhooks(owner=owner_of(principal), limit=limit, cursor=cursor)
    return ok(
        [webhook_view(e) for e in reply.endpoints], next_cursor=reply.page.next_cursor or None
    )


@router.get("/webhooks/{webhook_id}", response_model=Envelope[Webhook], summary="One endpoint")
async def get_webhook(
    webhook_id: uuid.UUID, integration: Integration, principal: Manage
) -> JSONResponse:
    reply = await integration.get_webhook(str(webhook_id), owner=owner_of(principal))
    return ok(webhook_view(reply.endpoint))


@router.patch(
    "/webhooks/{webhook_id}",
    response_model=Envelope[Webhook],
    responses=errors(400),
    summary="Change an endpoint's url, events, description or pause it (active=false)",
)
async def update_webhook(
    webhook_id: uuid.UUID, body: WebhookUpdate, integration: Integration, principal: Manage
) -> JSONResponse:
    request = pb.UpdateWebhookEndpointRequest(
        id=str(webhook_id), owner_customer_id=owner_of(principal)
    )
    if body.url is not None:
        request.url = body.url
    if body.events is not None:
        request.event_types.extend(body.events)
        request.set_event_types = True
    if body.active is not None:
        request.active = body.active
    if body.description is not None:
        request.description = body.description
    reply = await integration.update_webhook(request)
    return ok(webhook_view(reply.endpoint))


@router.delete(
    "/webhooks/{webhook_id}",
    response_model=Envelope[WebhookDeleted],
    summary="Remove an endpoint and its deliveries (nothing more is sent to it)",
)
async def delete_webhook(
    webhook_id: uuid.UUID, integration: Integration, principal: Manage
) -> JSONResponse:
    await integration.delete_webhook(str(webhook_id), owner=owner_of(principal))
    return ok(WebhookDeleted(id=str(webhook_id), deleted=True))


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=Envelope[list[WebhookDelivery]],
    summary="The endpoint's deliveries, newest first: PENDING (with the next attempt), "
    "DELIVERED, PARKED (retries exhausted)",
)
async def list_deliveries(
    webhook_id: uuid.UUID,
    integration: Integration,
    principal: Manage,
    status: Literal["PENDING", "DELIVERED", "PARKED"] | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> JSONResponse:
    reply = await integration.webhook_deliveries(
        str(webhook_id),
        owner=owner_of(principal),
        status=status or "",
        limit=limit,
        cursor=cursor,
    )
    return ok(
        [delivery_view(d) for d in reply.deliveries], next_cursor=reply.page.next_cursor or None
    )


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=Envelope[WebhookDelivery],
    summary="Send a delivery again now (a parked one too); its retry schedule starts over",
)
async def retry_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, integration: Integration, principal: Manage
) -> JSONResponse:
    reply = await integration.retry_webhook_delivery(
        str(webhook_id), str(delivery_id), owner=owner_of(principal)
    )
    return ok(delivery_view(reply.delivery), status_code=202)
