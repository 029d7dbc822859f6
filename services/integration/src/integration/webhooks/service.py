"""Webhook use cases: endpoint CRUD (each scoped by an owner customer id — empty for
staff, who see every endpoint), the deliveries of one endpoint, redelivery on request,
and `record`, which the consumer calls to turn one event into delivery rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from cypher_runtime.clock import Clock
from cypher_runtime.db import UnitOfWork
from cypher_runtime.errors import ValidationFailed
from integration.errors import DeliveryNotFound, WebhookNotFound
from integration.webhooks.db import CustomerSkus, Deliveries, Endpoints
from integration.webhooks.domain.hooks import (
    PRICE_CHANGED,
    Delivery,
    Endpoint,
    InvalidWebhook,
    Occurrence,
    check_event_types,
    check_resolved,
    check_url,
    matches,
    new_secret,
)
from integration.webhooks.ports import ResolverPort


@dataclass(frozen=True)
class EndpointChange:
    url: str | None = None
    event_types: Sequence[str] | None = None
    active: bool | None = None
    description: str | None = None


def _uuid(text: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise ValidationFailed({field: "must be a UUID"}) from None


class WebhookService:
    def __init__(self, clock: Clock, resolver: ResolverPort, allow_hosts: Sequence[str]) -> None:
        self.clock = clock
        self.resolver = resolver
        self.allow_hosts = tuple(allow_hosts)

    async def check_url(self, url: str) -> str:
        try:
            target = check_url(url, self.allow_hosts)
            if not target.allow_listed:
                check_resolved(target, await self.resolver.resolve(target.host, target.port))
        except InvalidWebhook as exc:
            raise ValidationFailed({exc.field: exc.message}) from None
        return target.url

    # -- endpoints ---------------------------------------------------------------------
    async def create(
        self,
        uow: UnitOfWork,
        *,
        customer_id: str,
        url: str,
        event_types: Sequence[str],
        secret: str,
        description: str,
    ) -> Endpoint:
        fields: dict[str, str] = {}
        if customer_id.strip():
            try:
                customer_id = str(uuid.UUID(customer_id.strip()))
            except ValueError:
                fields["customer_id"] = "must be a UUID"
        try:
            types = check_event_types(event_types)
        except InvalidWebhook as exc:
            fields[exc.field] = exc.message
            types = ()
        secret = secret.strip()
        if secret and not 16 <= len(secret) <= 200:
            fields["secret"] = "must be 16 to 200 characters"
        if len(description) > 500:
            fields["description"] = "must be at most 500 characters"
        try:
            checked = await self.check_url(url)
        except ValidationFailed as exc:
            fields.update(exc.fields)
        if fields:
            raise ValidationFailed(fields)
        endpoint = Endpoint(
            id=uuid.uuid4(),
            customer_id=customer_id.strip(),
            url=checked,
            event_types=types,
            secret=secret or new_secret(),
            active=True,
            created_at=self.clock.now(),
            description=description,
        )
        await Endpoints(uow).add(endpoint)
        return endpoint

    async def get(self, uow: UnitOfWork, endpoint_id: str, owner: str) -> Endpoint:
        key = _uuid(endpoint_id, "id")
        found = await Endpoints(uow).get(key, owner)
        if found is None:
            raise WebhookNotFound(endpoint_id)
        return found

    async def update(
        self, uow: UnitOfWork, endpoint_id: str, owner: str, change: EndpointChange
    ) -> Endpoint:
        endpoint = await self.get(uow, endpoint_id, owner)
        if change.url is not None:
            endpoint.url = await self.check_url(change.url)
        if change.event_types is not None:
            try:
                endpoint.event_types = check_event_types(change.event_types)
            except InvalidWebhook as exc:
                raise ValidationFailed({exc.field: exc.message}) from None
        if change.active is not None:
            endpoint.active = change.active
        if change.description is not None:
            if len(change.description) > 500:
                raise ValidationFailed({"description": "must be at most 500 characters"})
            endpoint.description = change.description
        await Endpoints(uow).save(endpoint, self.clock.now())
        return endpoint

    async def delete(self, uow: UnitOfWork, endpoint_id: str, owner: str) -> None:
        endpoint = await self.get(uow, endpoint_id, owner)
        await Endpoints(uow).remove(endpoint.id)

    async def delivery(
        self, uow: UnitOfWork, endpoint_id: str, delivery_id: str, owner: str
    ) -> Delivery:
        endpoint = await self.get(uow, endpoint_id, owner)
        found = await Deliveries(uow).get(endpoint.id, _uuid(delivery_id, "delivery_id"))
        if found is None:
            raise DeliveryNotFound(delivery_id)
        return found

    async def redeliver(
        self, uow: UnitOfWork, endpoint_id: str, delivery_id: str, owner: str
    ) -> Delivery:
        found = await self.delivery(uow, endpoint_id, delivery_id, owner)
        found.redeliver(self.clock.now())
        await Deliveries(uow).save(found)
        return found

    # -- events ------------------------------------------------------------------------
    async def record(
        self,
        uow: UnitOfWork,
        *,
        event_id: str,
        occurrence: Occurrence,
        payload: dict[str, object],
    ) -> int:
        """One delivery row per endpoint that receives the event; how many were new."""
        endpoints = await Endpoints(uow).subscribed(occurrence.type)
        if not endpoints:
            return 0
        buyers: frozenset[str] = frozenset()
        if occurrence.type == PRICE_CHANGED and any(e.customer_id for e in endpoints):
            buyers = await CustomerSkus(uow).buyers(occurrence.sku)
        now = self.clock.now()
        added = 0
        for endpoint in endpoints:
            if not matches(endpoint, occurrence, buyers):
                continue
            delivery = Delivery(
                id=uuid.uuid4(),
                endpoint_id=endpoint.id,
                event_id=event_id,
                event_type=occurrence.type,
                customer_id=occurrence.customer_id,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
            added += int(await Deliveries(uow).add(delivery))
        return added

    async def learn_skus(self, uow: UnitOfWork, customer_id: str, skus: Sequence[str]) -> None:
        await CustomerSkus(uow).learn(customer_id, skus, self.clock.now())
