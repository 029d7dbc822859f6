"""The webhook RPCs: request → wire → use case → wire. The service's servicer inherits
them (main.py); every request's `owner_customer_id` scopes what it sees."""

from __future__ import annotations

from typing import Any

from cypher.common.v1 import pagination_pb2
from cypher.integration.v1 import integration_pb2 as pb
from cypher_runtime.db import Database, in_transaction
from cypher_runtime.paging import page_limit
from integration.webhooks import wire
from integration.webhooks.db import Deliveries, Endpoints
from integration.webhooks.dispatch import WebhookDispatcher
from integration.webhooks.service import EndpointChange, WebhookService

Context = Any


class WebhookRpcs:
    """Mixed into the IntegrationService servicer; `bind_webhooks` gives it its parts."""

    hooks_db: Database
    hooks: WebhookService
    hooks_dispatcher: WebhookDispatcher

    def bind_webhooks(
        self, db: Database, service: WebhookService, dispatcher: WebhookDispatcher
    ) -> None:
        self.hooks_db = db
        self.hooks = service
        self.hooks_dispatcher = dispatcher

    async def CreateWebhookEndpoint(
        self, request: pb.CreateWebhookEndpointRequest, context: Context
    ) -> pb.CreateWebhookEndpointResponse:
        endpoint = await in_transaction(
            self.hooks_db,
            lambda uow: self.hooks.create(
                uow,
                customer_id=request.customer_id,
                url=request.url,
                event_types=list(request.event_types),
                secret=request.secret,
                description=request.description,
            ),
        )
        return pb.CreateWebhookEndpointResponse(
            endpoint=wire.endpoint_pb(endpoint, with_secret=True)
        )

    async def ListWebhookEndpoints(
        self, request: pb.ListWebhookEndpointsRequest, context: Context
    ) -> pb.ListWebhookEndpointsResponse:
        limit = page_limit(request.page.limit)
        after = wire.after(wire.ENDPOINTS_CURSOR, request.page.cursor)
        async with self.hooks_db.unit_of_work() as uow:
            rows = await Endpoints(uow).page(request.owner_customer_id, limit, after)
        kept = rows[:limit]
        cursor = (
            wire.ENDPOINTS_CURSOR.next_cursor(
                rows, limit, (kept[-1].created_at.isoformat(), str(kept[-1].id))
            )
            if kept
            else ""
        )
        return pb.ListWebhookEndpointsResponse(
            endpoints=[wire.endpoint_pb(e) for e in kept],
            page=pagination_pb2.PageResponse(next_cursor=cursor),
        )

    async def GetWebhookEndpoint(
        self, request: pb.GetWebhookEndpointRequest, context: Context
    ) -> pb.GetWebhookEndpointResponse:
        async with self.hooks_db.unit_of_work() as uow:
            endpoint = await self.hooks.get(uow, request.id, request.owner_customer_id)
        return pb.GetWebhookEndpointResponse(endpoint=wire.endpoint_pb(endpoint))

    async def UpdateWebhookEndpoint(
        self, request: pb.UpdateWebhookEndpointRequest, context: Context
    ) -> pb.UpdateWebhookEndpointResponse:
        change = EndpointChange(
            url=request.url if request.HasField("url") else None,
            event_types=list(request.event_types) if request.set_event_types else None,
            active=request.active if request.HasField("active") else None,
            description=request.description if request.HasField("description") else None,
        )
        endpoint = await in_transaction(
            self.hooks_db,
            lambda uow: self.hooks.update(uow, request.id, request.owner_customer_id, change),
        )
        return pb.UpdateWebhookEndpointResponse(endpoint=wire.endpoint_pb(endpoint))

    async def DeleteWebhookEndpoint(
        self, request: pb.DeleteWebhookEndpointRequest, context: Context
    ) -> pb.DeleteWebhookEndpointResponse:
        await in_transaction(
            self.hooks_db,
            lambda uow: self.hooks.delete(uow, request.id, request.owner_customer_id),
        )
        return pb.DeleteWebhookEndpointResponse()

    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: Context
    ) -> pb.ListWebhookDeliveriesResponse:
        limit = page_limit(request.page.limit)
        after = wire.after(wire.DELIVERIES_CURSOR, request.page.cursor)
        status = wire.status_filter(request.status)
        async with self.hooks_db.unit_of_work() as uow:
            endpoint = await self.hooks.get(uow, request.endpoint_id, request.owner_customer_id)
            rows = await Deliveries(uow).page(endpoint.id, status, limit, after)
        kept = rows[:limit]
        cursor = (
            wire.DELIVERIES_CURSOR.next_cursor(
                rows, limit, (kept[-1].created_at.isoformat(), str(kept[-1].id))
            )
            if kept
            else ""
        )
        return pb.ListWebhookDeliveriesResponse(
            deliveries=[wire.delivery_pb(d) for d in kept],
            page=pagination_pb2.PageResponse(next_cursor=cursor),
        )

    async def RetryWebhookDelivery(
        self, request: pb.RetryWebhookDeliveryRequest, context: Context
    ) -> pb.RetryWebhookDeliveryResponse:
        delivery = await in_transaction(
            self.hooks_db,
            lambda uow: self.hooks.redeliver(
                uow, request.endpoint_id, request.delivery_id, request.owner_customer_id
            ),
        )
        self.hooks_dispatcher.nudge()
        return pb.RetryWebhookDeliveryResponse(delivery=wire.delivery_pb(delivery))
