"""The composition root of a service process: wires database, broker, outbox relay,
inbox consumers, gRPC server, HTTP side port and background jobs, and runs them until
SIGTERM/SIGINT with a graceful shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

import grpc

from cypher_runtime.db import Database
from cypher_runtime.grpc_server import GrpcServer
from cypher_runtime.http_side import DependencyReport, HttpSidePort, side_app
from cypher_runtime.messaging.broker import Broker
from cypher_runtime.messaging.consumer import InboxConsumer, Subscription
from cypher_runtime.messaging.envelope import ReceivedEvent
from cypher_runtime.messaging.relay import OutboxRelay
from cypher_runtime.metrics import DB_POOL_CHECKED_OUT, DEPENDENCY_UP
from cypher_runtime.settings import ServiceSettings

log = logging.getLogger(__name__)

BackgroundJob = Callable[[], Awaitable[None]]


class Runtime:
    """Everything a service needs at run time. Services add their gRPC servicers,
    consumers and background jobs, then `await runtime.run()`."""

    def __init__(
        self, name: str, settings: ServiceSettings, *, queue_prefix: str | None = None
    ) -> None:
        self.name = name
        self.settings = settings
        self.queue_prefix = settings.queue_prefix if queue_prefix is None else queue_prefix
        self.db = Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        self.broker = Broker(settings.amqp_url, settings.events_exchange, service=name)
        self.relay = OutboxRelay(
            self.db,
            self.broker,
            service=name,
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
            retention=timedelta(hours=settings.outbox_retention_hours),
        )
        self.consumers: list[InboxConsumer] = []
        self._grpc_registrations: list[Callable[[grpc.aio.Server], None]] = []
        self._grpc_names: list[str] = []
        self._jobs: list[tuple[str, BackgroundJob]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        self.grpc: GrpcServer | None = None
        self.http: HttpSidePort | None = None
        self.serving = False

    # -- wiring ---------------------------------------------------------------------
    def add_grpc(self, full_name: str, register: Callable[[grpc.aio.Server], None]) -> None:
        self._grpc_names.append(full_name)
        self._grpc_registrations.append(register)

    def add_consumer(
        self,
        purpose: str,
        subscriptions: Sequence[Subscription],
        *,
        after_commit: Callable[[ReceivedEvent], Awaitable[None]] | None = None,
    ) -> InboxConsumer:
        s = self.settings
        consumer = InboxConsumer(
            service=self.name,
            purpose=purpose,
            db=self.db,
            broker=self.broker,
            subscriptions=subscriptions,
            prefetch=s.consumer_prefetch,
            max_retries=s.consumer_max_retries,
            retry_delay_ms=s.consumer_retry_delay_ms,
            queue_prefix=self.queue_prefix,
            queue_expires_ms=s.queue_expires_ms,
            after_commit=after_commit,
        )
        self.consumers.append(consumer)
        return consumer

    def add_job(self, name: str, job: BackgroundJob) -> None:
        """A long-running coroutine (scheduler, poller); restarted if it crashes."""
        self._jobs.append((name, job))

    # -- health ---------------------------------------------------------------------
    async def dependencies(self) -> DependencyReport:
        """The database is needed to serve; the broker is not — while it is away, writes
        queue their events in the outbox and consumers reconnect by themselves, so a
        broker blink must not take every pod out of its Service (readiness stays up,
        the broker is reported as degraded and on the cypher_dependency_up metric)."""
        failing: dict[str, str] = {}
        degraded: dict[str, str] = {}
        try:
            await self.db.ping(timeout=2.0)
            DEPENDENCY_UP.labels(self.name, "database").set(1)
        except Exception as exc:
            DEPENDENCY_UP.labels(self.name, "database").set(0)
            failing["database"] = f"{type(exc).__name__}: {exc}"[:300] or "unreachable"
        if self.broker.is_up():
            DEPENDENCY_UP.labels(self.name, "broker").set(1)
        else:
            DEPENDENCY_UP.labels(self.name, "broker").set(0)
            degraded["broker"] = "not connected to RabbitMQ; events wait in the outbox"
        DB_POOL_CHECKED_OUT.labels(self.name).set(self.db.checked_out())
        return DependencyReport(failing, degraded)

    async def _health_loop(self) -> None:
        while True:
            report = await self.dependencies()
            failing = report.failing
            serving = not failing
            if serving != self.serving and self.grpc is not None:
                await self.grpc.set_serving(serving)
                log.info("health changed", extra={"serving": serving, "failing": failing})
            self.serving = serving
            await asyncio.sleep(self.settings.health_check_seconds)

    async def _supervise(self, name: str, job: BackgroundJob) -> None:
        while True:
            try:
                await job()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background job crashed; restarting", extra={"job": name})
                await asyncio.sleep(1)

    async def _start_consumers(self) -> None:
        await self.broker.connection()
        for consumer in self.consumers:
            await consumer.start()
        log.info("consumers started", extra={"queues": [c.queue_name for c in self.consumers]})

    # -- lifecycle --------------------------------------------------------------------
    async def start(self) -> None:
        s = self.settings
        self.broker.start()

        def register_all(server: grpc.aio.Server) -> None:
            for register in self._grpc_registrations:
                register(server)

        self.grpc = GrpcServer(
            service=self.name,
            service_names=self._grpc_names,
            register=register_all,
            host=s.bind_host,
            port=s.grpc_port,
            max_connection_age_seconds=s.grpc_max_connection_age_seconds,
        )
        await self.grpc.start()
        self.http = HttpSidePort(side_app(self.name, self.dependencies), s.bind_host, s.http_port)
        await self.http.start()
        self.relay.start()
        self._tasks.append(asyncio.create_task(self._health_loop(), name="health"))
        self._tasks.append(asyncio.create_task(self._start_consumers(), name="consumers"))
        for name, job in self._jobs:
            self._tasks.append(asyncio.create_task(self._supervise(name, job), name=name))
        log.info(
            "service started",
            extra={"grpc_port": self.grpc.port, "http_port": s.http_port},
        )

    def request_stop(self) -> None:
        self._stop.set()

    async def stop(self) -> None:
        log.info("shutting down")
        if self.grpc is not None:
            await self.grpc.set_serving(False)
        for consumer in self.consumers:
            await consumer.stop()
        if self.grpc is not None:
            await self.grpc.stop(self.settings.shutdown_grace_seconds)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.relay.stop()
        if self.http is not None:
            await self.http.stop()
        await self.broker.close()
        await self.db.dispose()
        log.info("stopped")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        await self.start()
        try:
            await self._stop.wait()
        finally:
            await self.stop()
