"""Access that takes effect: every access token carries its user's token version (`ver`);
deactivating a user, changing its role or its password bumps the version in the
database, and a request whose token is older is refused (401 TOKEN_REVOKED).

Verifying a token needs no database read; the user's current version does, so it is
remembered per user for `GATEWAY_TOKEN_CHECK_SECONDS` (default 2 s): a revocation
takes effect on every replica within that time (they share the database), at one
indexed read per active user per interval."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import col, select

from cypher_runtime.db import Database
from gateway.tables import User


@dataclass(frozen=True, slots=True)
class Standing:
    """What the database says about a user right now."""

    version: int
    active: bool


class TokenVersions:
    MAX_ENTRIES = 50_000

    def __init__(
        self,
        db_of: Callable[[], Database],
        *,
        ttl_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db_of = db_of
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._seen: dict[str, tuple[float, Standing | None]] = {}

    async def standing(self, user_id: str) -> Standing | None:
        """The user's current token version and state; None when the user is gone."""
        now = self._monotonic()
        cached = self._seen.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = await self._read(user_id)
        if len(self._seen) >= self.MAX_ENTRIES:
            self._seen.clear()
        self._seen[user_id] = (now + self._ttl, found)
        return found

    def forget(self, user_id: str) -> None:
        """This replica changed the user: no need to wait for the interval here."""
        self._seen.pop(user_id, None)

    async def _read(self, user_id: str) -> Standing | None:
        try:
            key = uuid.UUID(user_id)
        except ValueError:
            return None
        async with self._db_of().sessions() as session:
            row = (
                await session.execute(
                    select(col(User.token_version), col(User.is_active)).where(col(User.id) == key)
                )
            ).first()
        return None if row is None else Standing(version=int(row[0]), active=bool(row[1]))
