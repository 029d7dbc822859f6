"""The health of the external links (REST_API.md "Integration"): each external system the
integration service talks to — its circuit breaker, when it last answered, its last
error and the work waiting for it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway.deps import Integration, require
from gateway.envelope import Envelope, ok
from gateway.views.invoices import IntegrationStatus, integration_status_view

router = APIRouter(tags=["integration"])


@router.get(
    "/integrations/status",
    response_model=Envelope[IntegrationStatus],
    summary="Each external system: circuit breaker state, last success, last error, backlog",
)
async def integration_status(
    integration: Integration, _: Annotated[object, require("integrations:read")]
) -> JSONResponse:
    reply = await integration.status()
    return ok(integration_status_view(reply))
