"""No stuck Idempotency-Keys: a key in progress holds a lease; within it a replay answers
409 IDEMPOTENCY_IN_PROGRESS, after it a replay takes the key over and runs the request
again. The attempt that lost its key (a gateway killed mid-request, or one whose
database went away before the outcome was written) can no longer write over it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
import pytest_asyncio
from fastapi.responses import JSONResponse
from sqlalchemy import text

from cypher_runtime.clock import FixedClock
from cypher_runtime.db import Database
from cypher_testkit.proxy import TcpProxy
from gateway.envelope import fail
from gateway.errors import database_unavailable
from gateway.idempotency import Idempotency, fingerprint
from gateway.schemas import UserCreate
from gateway.settings import GatewaySettings

from ..conftest import PASSWORD, Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

PATH = "/api/v1/users"


def _user(email: str) -> dict[str, Any]:
    return {"email": email, "password": PASSWORD, "full_name": "Ion Pop", "role": "sales"}


def _attempt(gateway: Gateway, db: Database, owner: str, key: str) -> Idempotency:
    """One attempt of POST /users as a gateway replica runs it (its own clock reading)."""
    return Idempotency(
        db=db,
        key=key,
        owner=owner,
        method="POST",
        path=PATH,
        now=gateway.clock.now(),
        ttl=timedelta(seconds=gateway.settings.idempotency_ttl_seconds),
        lease=timedelta(seconds=gateway.settings.idempotency_lease_seconds),
    )


def _fp(body: dict[str, Any]) -> str:
    return fingerprint("POST", PATH, UserCreate.model_validate(body).model_dump(mode="json"))


async def _admin_id(gateway: Gateway, headers: dict[str, str]) -> str:
    me = await gateway.client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200, me.text
    return str(me.json()["data"]["id"])


async def _key_rows(gateway: Gateway, key: str) -> list[dict[str, Any]]:
    db: Database = gateway.app.state.db
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT state, status_code FROM idempotency_keys WHERE key = :k"), {"k": key}
        )
        return [dict(r._mapping) for r in rows]


async def test_a_key_left_in_progress_is_taken_over_after_its_lease(
    gateway: Gateway, clock: FixedClock
) -> None:
    admin = await gateway.admin()
    owner = await _admin_id(gateway, admin)
    key = f"lease-{uuid.uuid4().hex[:8]}"
    body = _user(f"lease-{uuid.uuid4().hex[:8]}@cypher.local")
    # A gateway wrote the key and died before it ran the request or wrote the outcome.
    dead = _attempt(gateway, gateway.app.state.db, owner, key)
    assert await dead.begin(_fp(body)) is None
    keyed = {**admin, "Idempotency-Key": key}

    clock.advance(timedelta(seconds=gateway.settings.idempotency_lease_seconds - 1))
    within = await gateway.client.post(PATH, json=body, headers=keyed)
    assert within.status_code == 409, within.text
    assert within.json()["error"]["code"] == "IDEMPOTENCY_IN_PROGRESS"
    assert 1 <= int(within.headers["Retry-After"]) <= 5
    # Another body under the same key is still refused, lease or not.
    other = await gateway.client.post(PATH, json=_user("x@cypher.local"), headers=keyed)
    assert other.status_code == 422

    clock.advance(timedelta(seconds=2))
    taken = await gateway.client.post(PATH, json=body, headers=keyed)
    assert taken.status_code == 201, taken.text
    replay = await gateway.client.post(PATH, json=body, headers=keyed)
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["data"]["id"] == taken.json()["data"]["id"]

    # The dead attempt, should it wake up, can neither overwrite nor release the key.
    await dead.complete(JSONResponse({"stale": True}, status_code=200))
    await dead.release()
    again = await gateway.client.post(PATH, json=body, headers=keyed)
    assert again.status_code == 201
    assert again.json()["data"]["id"] == taken.json()["data"]["id"]
    assert await _key_rows(gateway, key) == [{"state": "completed", "status_code": 201}]


async def test_a_completed_outcome_is_replayed_after_the_lease_not_run_again(
    gateway: Gateway, clock: FixedClock
) -> None:
    admin = await gateway.admin()
    key = f"done-{uuid.uuid4().hex[:8]}"
    body = _user(f"done-{uuid.uuid4().hex[:8]}@cypher.local")
    keyed = {**admin, "Idempotency-Key": key}
    first = await gateway.client.post(PATH, json=body, headers=keyed)
    assert first.status_code == 201, first.text
    clock.advance(timedelta(seconds=gateway.settings.idempotency_lease_seconds * 10))
    later = await gateway.client.post(PATH, json=body, headers=keyed)
    assert later.status_code == 201
    assert later.headers["Idempotent-Replayed"] == "true"
    assert later.json()["data"]["id"] == first.json()["data"]["id"]


@pytest_asyncio.fixture(loop_scope="session")
async def db_via_proxy(
    gateway_settings: GatewaySettings,
) -> AsyncIterator[tuple[Database, TcpProxy]]:
    """The gateway's database reached through a TCP proxy the test can cut."""
    url = urlparse(gateway_settings.database_url)
    proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 5432)
    await proxy.start()
    db = Database(url._replace(netloc=f"{url.username}@127.0.0.1:{proxy.port}").geturl())
    try:
        yield db, proxy
    finally:
        await proxy.stop()
        await db.dispose()


async def test_a_request_whose_database_dropped_mid_way_blocks_its_key_no_longer_than_the_lease(
    gateway: Gateway, clock: FixedClock, db_via_proxy: tuple[Database, TcpProxy]
) -> None:
    db, proxy = db_via_proxy
    admin = await gateway.admin()
    owner = await _admin_id(gateway, admin)
    key = f"drop-{uuid.uuid4().hex[:8]}"
    body = _user(f"drop-{uuid.uuid4().hex[:8]}@cypher.local")
    keyed = {**admin, "Idempotency-Key": key}
    attempt = _attempt(gateway, db, owner, key)

    async def handler_then_database_gone() -> JSONResponse:
        # The key row is written; then the connection to the database drops before the
        # outcome (or a release) can be written.
        await proxy.stop()
        return JSONResponse({"created": True}, status_code=201)

    with pytest.raises(Exception) as lost:
        await attempt.run(
            UserCreate.model_validate(body).model_dump(mode="json"), handler_then_database_gone
        )
    assert database_unavailable(lost.value), repr(lost.value)
    assert await _key_rows(gateway, key) == [{"state": "in_progress", "status_code": None}]

    busy = await gateway.client.post(PATH, json=body, headers=keyed)
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "IDEMPOTENCY_IN_PROGRESS"
    clock.advance(timedelta(seconds=gateway.settings.idempotency_lease_seconds + 1))
    taken = await gateway.client.post(PATH, json=body, headers=keyed)
    assert taken.status_code == 201, taken.text
    assert await _key_rows(gateway, key) == [{"state": "completed", "status_code": 201}]


async def test_an_upstream_still_in_progress_is_not_stored_as_the_answer(
    gateway: Gateway,
) -> None:
    """orders answers 409 ORDER_PLACEMENT_IN_PROGRESS while a saga interrupted by an
    outage waits for its recoverer: the client must be able to ask again and get the
    settled outcome, not that 409 replayed for 24 h."""
    admin = await gateway.admin()
    owner = await _admin_id(gateway, admin)
    key = f"saga-{uuid.uuid4().hex[:8]}"
    body = _user(f"saga-{uuid.uuid4().hex[:8]}@cypher.local")

    async def still_placing() -> JSONResponse:
        return fail(409, "ORDER_PLACEMENT_IN_PROGRESS", "still being placed")

    async def placed() -> JSONResponse:
        return JSONResponse({"placed": True}, status_code=201)

    payload = UserCreate.model_validate(body).model_dump(mode="json")
    first = await _attempt(gateway, gateway.app.state.db, owner, key).run(payload, still_placing)
    assert first.status_code == 409
    assert await _key_rows(gateway, key) == []
    second = await _attempt(gateway, gateway.app.state.db, owner, key).run(payload, placed)
    assert second.status_code == 201
    assert await _key_rows(gateway, key) == [{"state": "completed", "status_code": 201}]
