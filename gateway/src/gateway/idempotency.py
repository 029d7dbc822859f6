"""`Idempotency-Key` for creating POSTs (REST_API.md): the same key with the same body
replays the first response (status + body); another body → 422; a duplicate while the
first is still running → 409. Keys live 24 h (configurable) in the gateway DB.

Use in a route module:

    @router.post("/things", status_code=201)
    async def create_thing(body: ThingCreate, idem: IdempotencyDep, ...) -> JSONResponse:
        return await idem.run(body, lambda: _create(body, ...))

Without the header the handler simply runs. Deterministic outcomes (2xx and 4xx) are
stored and replayed; 5xx outcomes release the key so the client may retry.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

import grpc
from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from cypher_runtime.db import Database
from gateway.deps import resolve_principal
from gateway.envelope import fail
from gateway.errors import ApiError
from gateway.settings import GatewaySettings
from gateway.tables import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"


def fingerprint(method: str, path: str, payload: Any) -> str:
    """Stable hash of what the request asks for: key order and whitespace do not matter."""
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json", exclude_unset=True)
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


class Idempotency:
    def __init__(
        self,
        *,
        db: Database,
        key: str | None,
        owner: str,
        method: str,
        path: str,
        now: datetime,
        ttl: timedelta,
    ) -> None:
        self.db = db
        self.key = key
        self.owner = owner
        self.method = method
        self.path = path
        self.now = now
        self.ttl = ttl
        self._row_id: uuid.UUID | None = None

    async def begin(self, fp: str) -> JSONResponse | None:
        """Claim the key (None: go ahead) or answer for it (a replay or an error)."""
        assert self.key is not None
        row_id = uuid.uuid4()
        async with self.db.sessions() as session, session.begin():
            inserted = await session.execute(
                insert(IdempotencyKey)
                .values(
                    id=row_id,
                    owner=self.owner,
                    key=self.key,
                    fingerprint=fp,
                    method=self.method,
                    path=self.path,
                    state=IN_PROGRESS,
                    created_at=self.now,
                    expires_at=self.now + self.ttl,
                )
                .on_conflict_do_nothing(index_elements=["owner", "key"])
                .returning(col(IdempotencyKey.id))
            )
            if inserted.first() is not None:
                self._row_id = row_id
                return None
            row = (
                await session.execute(
                    select(IdempotencyKey)
                    .where(IdempotencyKey.owner == self.owner, IdempotencyKey.key == self.key)
                    .with_for_update()
                )
            ).scalar_one()
            if row.expires_at <= self.now:
                # An expired key is as good as new: take it over for this request.
                row.fingerprint, row.method, row.path = fp, self.method, self.path
                row.state, row.status_code, row.response_body = IN_PROGRESS, None, None
                row.created_at, row.expires_at = self.now, self.now + self.ttl
                self._row_id = row.id
                return None
            if row.fingerprint != fp:
                raise ApiError(
                    422,
                    "IDEMPOTENCY_KEY_REUSED",
                    "this Idempotency-Key was used with a different request",
                    {"idempotency_key": self.key},
                )
            if row.state != COMPLETED or row.status_code is None:
                raise ApiError(
                    409,
                    "IDEMPOTENCY_IN_PROGRESS",
                    "a request with this Idempotency-Key is still being processed",
                    {"idempotency_key": self.key},
                    headers={"Retry-After": "1"},
                )
            return JSONResponse(
                row.response_body, status_code=row.status_code, headers={REPLAYED_HEADER: "true"}
            )

    async def complete(self, response: JSONResponse) -> None:
        body = json.loads(bytes(response.body)) if response.body else None
        async with self.db.sessions() as session, session.begin():
            await session.execute(
                update(IdempotencyKey)
                .where(col(IdempotencyKey.id) == self._row_id)
                .values(state=COMPLETED, status_code=response.status_code, response_body=body)
            )

    async def release(self) -> None:
        async with self.db.sessions() as session, session.begin():
            await session.execute(
                delete(IdempotencyKey).where(col(IdempotencyKey.id) == self._row_id)
            )

    async def run(
        self, payload: Any, handler: Callable[[], Awaitable[JSONResponse]]
    ) -> JSONResponse:
        if self.key is None:
            return await handler()
        replay = await self.begin(fingerprint(self.method, self.path, payload))
        if replay is not None:
            return replay
        try:
            response = await handler()
        except ApiError as exc:
            response = fail(exc.status_code, exc.code, exc.message, exc.details, exc.headers)
        except grpc.aio.AioRpcError as exc:  # a bare stub call (transitional)
            from gateway.clients.base import UpstreamError

            err = UpstreamError("upstream", exc)
            response = fail(err.status_code, err.code, err.message, err.details, err.headers)
        except BaseException:
            await self.release()
            raise
        if response.status_code >= 500:
            await self.release()
        else:
            await self.complete(response)
        return response


async def get_idempotency(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            min_length=1,
            max_length=255,
            description="Replays the first response for the same key and body (24 h)",
        ),
    ] = None,
) -> Idempotency:
    settings: GatewaySettings = request.app.state.settings
    principal = resolve_principal(request)
    return Idempotency(
        db=request.app.state.db,
        key=idempotency_key,
        owner=principal.user_id if principal else "anonymous",
        method=request.method,
        path=request.url.path,
        now=request.app.state.clock.now(),
        ttl=timedelta(seconds=settings.idempotency_ttl_seconds),
    )


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
