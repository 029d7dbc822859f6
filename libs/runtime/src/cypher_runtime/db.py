"""Async database engine, sessions and the unit of work every use case runs in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Self, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from cypher_runtime.messaging.envelope import Event
from cypher_runtime.messaging.outbox_store import write_outbox

T = TypeVar("T")


class Database:
    """One engine per process. `pool_pre_ping` lets the pool heal after a DB outage."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,
            pool_recycle=1800,
            # asyncpg: fail fast when the server does not answer instead of hanging a request.
            connect_args={"timeout": 5, "command_timeout": 30},
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def ping(self, timeout: float = 2.0) -> None:
        """Raise when the database cannot run `SELECT 1` within `timeout` seconds."""
        async with asyncio.timeout(timeout), self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    def checked_out(self) -> int:
        pool = self.engine.pool
        return int(getattr(pool, "checkedout", lambda: 0)())

    async def dispose(self) -> None:
        await self.engine.dispose()

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)


class UnitOfWork:
    """A transaction that rolls back unless `commit()` is called.

    Events added with `publish()` are written to the outbox in the same transaction,
    so a state change and the facts it announces are stored together or not at all.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._session: AsyncSession | None = None
        self._events: list[Event] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._db.sessions()
        self._events = []
        await self._session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if session.in_transaction():
                await session.rollback()
        finally:
            await session.close()
            self._session = None

    def publish(self, *events: Event) -> None:
        """Queue events; they are written to the outbox at `commit()`."""
        self._events.extend(events)

    @property
    def pending_events(self) -> Sequence[Event]:
        return tuple(self._events)

    async def flush(self) -> None:
        await self.session.flush()

    async def commit(self) -> None:
        session = self.session
        if self._events:
            await write_outbox(session, self._events)
            self._events = []
        await session.commit()

    async def rollback(self) -> None:
        self._events = []
        await self.session.rollback()


@asynccontextmanager
async def session_scope(db: Database) -> AsyncIterator[AsyncSession]:
    """A read-only session for queries that change nothing."""
    async with db.sessions() as session:
        yield session


async def in_transaction(db: Database, use_case: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run one use case in its own unit of work and commit it: how an entrypoint (a gRPC
    method, a job step) calls a use case. Use cases take the unit of work and never
    commit; the inbox consumer commits theirs with the inbox row (services/README.md)."""
    async with db.unit_of_work() as uow:
        result = await use_case(uow)
        await uow.commit()
        return result
