"""Per-request context (request id, acting user) carried through asyncio tasks."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
actor_var: ContextVar[str | None] = ContextVar("actor", default=None)

REQUEST_ID_METADATA = "x-request-id"
ACTOR_METADATA = "x-actor"


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


def current_actor() -> str:
    return actor_var.get() or "system"
