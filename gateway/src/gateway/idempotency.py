"""`Idempotency-Key` for creating POSTs (REST_API.md): the same key with the same body
replays the first response (status + body); another body → 422; a duplicate while the
first is still running → 409. Keys live 24 h (configurable) in the gateway DB.

Use in a route module:

    @router.post("/things", status_code=201)
    async def create_thing(body: ThingCreate, idem: IdempotencyDep, ...) -> JSONResponse:
        return await idem.run(body, lambda: _create(body, ...))

Without the header the handler simply runs. Deterministic outcomes (2xx and 4xx) are
stored and replayed; 5xx outcomes release the key so the client may retry. A key in
progress holds a lease (`GATEWAY_IDEMPOTENCY_LEASE_SECONDS`, 30 s): the request is cut
off at it, and a replay after it takes the key over and runs again — so a gateway that
died mid-request, or lost its database before writing the outcome, blocks the client
for at most the lease (see gateway/README.md, "Idempotency-Key", for why re-running is
safe).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

import grpc
from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import and_, delete, or_, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from cypher_runtime.db import Database
from gateway.deps import resolve_principal
from gateway.envelope import fail
from gateway.errors import ApiError
from gateway.settings import GatewaySettings
from gateway.tables import IdempotencyKey

log = logging.getLogger(__name__)

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
        lease: timedelta,
    ) -> None:
        self.db = db
        self.key = key
        self.owner = owner
        self.method = method
        self.path = path
        self.now = now
        self.ttl = ttl
        self.lease = lease
        self._row_id: uuid.UUID | None = None
        # This attempt: only the holder of the key may write its outcome or release it.
        self._holder = uuid.uuid4()

    def _claim(self, fp: str) -> dict[str, Any]:
        return {
            "fingerprint": fp,
            "method": self.method,
            "path": self.path,
            "state": IN_PROGRESS,
            "status_code": None,
            "response_body": None,
            "created_at": self.now,
            "expires_at": self.now + self.ttl,
            "lease_until": self.now + self.lease,
            "holder": self._holder,
        }

    async def begin(self, fp: str) -> JSONResponse | None:
        """Claim the key (None: go ahead) or answer for it (a replay or an error).

        Three atomic steps, none holding a lock across the request: insert the key; else
        take it over with one conditional UPDATE when it has expired, or when it is still
        in progress for the same request past its lease (its holder died or lost its
        database before writing the outcome); else answer from the row as it stands."""
        assert self.key is not None
        mine = and_(col(IdempotencyKey.owner) == self.owner, col(IdempotencyKey.key) == self.key)
        for _ in range(3):  # the row may vanish between two steps (housekeeping)
            async with self.db.sessions() as session, session.begin():
                inserted = await session.execute(
                    insert(IdempotencyKey)
                    .values(id=uuid.uuid4(), owner=self.owner, key=self.key, **self._claim(fp))
                    .on_conflict_do_nothing(index_elements=["owner", "key"])
                    .returning(col(IdempotencyKey.id))
                )
                if (row_id := inserted.scalar_one_or_none()) is not None:
                    self._row_id = row_id
                    return None
                taken = await session.execute(
                    update(IdempotencyKey)
                    .where(
                        mine,
                        or_(
                            col(IdempotencyKey.expires_at) <= self.now,
                            and_(
                                col(IdempotencyKey.state) == IN_PROGRESS,
                                col(IdempotencyKey.fingerprint) == fp,
                                or_(
                                    col(IdempotencyKey.lease_until).is_(None),
                                    col(IdempotencyKey.lease_until) <= self.now,
                                ),
                            ),
                        ),
                    )
                    .values(**self._claim(fp))
                    .returning(col(IdempotencyKey.id))
                )
                if (row_id := taken.scalar_one_or_none()) is not None:
                    log.warning(
                        "idempotency key taken over",
                        extra={"idempotency_key": self.key, "path": self.path},
                    )
                    self._row_id = row_id
                    return None
                row = (
                    await session.execute(select(IdempotencyKey).where(mine))
                ).scalar_one_or_none()
            if row is None:
                continue
            if row.fingerprint != fp:
                raise ApiError(
                    422,
                    "IDEMPOTENCY_KEY_REUSED",
                    "this Idempotency-Key was used with a different request",
                    {"idempotency_key": self.key},
                )
            if row.state != COMPLETED or row.status_code is None:
                left = (row.lease_until - self.now).total_seconds() if row.lease_until else 1
                raise ApiError(
                    409,
                    "IDEMPOTENCY_IN_PROGRESS",
                    "a request with this Idempotency-Key is still being processed",
                    {"idempotency_key": self.key},
                    headers={"Retry-After": str(max(1, min(int(left) + 1, 5)))},
                )
            return JSONResponse(
                row.response_body, status_code=row.status_code, headers={REPLAYED_HEADER: "true"}
            )
        raise ApiError(
            409,
            "IDEMPOTENCY_IN_PROGRESS",
            "the Idempotency-Key is contended",
            {"idempotency_key": self.key},
            headers={"Retry-After": "1"},
        )

    def _held(self) -> Any:
        return (col(IdempotencyKey.id) == self._row_id) & (
            col(IdempotencyKey.holder) == self._holder
        )

    async def complete(self, response: JSONResponse) -> None:
        body = json.loads(bytes(response.body)) if response.body else None
        async with self.db.sessions() as session, session.begin():
            await session.execute(
                update(IdempotencyKey)
                .where(self._held())
                .values(
                    state=COMPLETED,
                    status_code=response.status_code,
                    response_body=body,
                    lease_until=None,
                )
            )

    async def release(self) -> None:
        async with self.db.sessions() as session, session.begin():
            await session.execute(delete(IdempotencyKey).where(self._held()))

    async def _release_quietly(self) -> None:
        """Release after a failure; when the database is away too, the lease frees the
        key instead (the answer must not turn into a 500 over it)."""
        try:
            await self.release()
        except Exception:
            log.warning(
                "idempotency key not released; its lease frees it",
                extra={"idempotency_key": self.key, "lease_seconds": self.lease.total_seconds()},
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
            # Cut off at the lease: after it a replay may take the key over, and two
            # attempts of one request must never run at once.
            async with asyncio.timeout(self.lease.total_seconds()):
                response = await handler()
        except ApiError as exc:
            response = fail(exc.status_code, exc.code, exc.message, exc.details, exc.headers)
        except grpc.aio.AioRpcError as exc:  # a bare stub call (transitional)
            from gateway.clients.base import UpstreamError

            err = UpstreamError("upstream", exc)
            response = fail(err.status_code, err.code, err.message, err.details, err.headers)
        except TimeoutError:
            response = fail(
                504,
                "UPSTREAM_TIMEOUT",
                "the request did not finish within its deadline; retry with the same key",
                {"idempotency_key": self.key},
            )
        except BaseException:
            await self._release_quietly()
            raise
        if _final(response):
            await self.complete(response)
        else:
            await self._release_quietly()
        return response


def _final(response: JSONResponse) -> bool:
    """Whether an outcome is the request's answer for good (stored and replayed): not a
    5xx, and not an upstream's "still in progress" (its own key is being worked on —
    e.g. an order saga interrupted by a database outage that its recoverer will settle),
    which the client must be able to ask again."""
    if response.status_code >= 500:
        return False
    if response.status_code == 409:
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            code = str(json.loads(bytes(response.body))["error"]["code"])
            return not code.endswith("_IN_PROGRESS")
    return True


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
        lease=timedelta(seconds=settings.idempotency_lease_seconds),
    )


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
