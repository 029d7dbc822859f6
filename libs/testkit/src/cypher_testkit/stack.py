"""The whole CYPHER stack as local processes: one database (and role) per service,
migrations, every service and the gateway started with the same commands production
uses, the fake external servers beside them, readiness awaited. Used by `make dev`
(fixed ports, persistent databases) and by the end-to-end tests (free ports, fresh
databases, a private exchange and queues)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import asyncpg
import httpx

from cypher_testkit.fakes import FIXED_PORTS, Fakes, configured_ports, fakes_command
from cypher_testkit.infra import asyncpg_url, with_database
from cypher_testkit.processes import ServiceProcess, console_script
from cypher_testkit.proxy import free_port


@dataclass(frozen=True)
class ServiceDef:
    name: str
    grpc_port: int
    http_port: int

    @property
    def prefix(self) -> str:
        return self.name.upper() + "_"


SERVICES: tuple[ServiceDef, ...] = (
    ServiceDef("pricing", 50051, 8101),
    ServiceDef("inventory", 50052, 8102),
    ServiceDef("orders", 50053, 8103),
    ServiceDef("quotations", 50054, 8104),
    ServiceDef("suppliers", 50055, 8105),
    ServiceDef("integration", 50056, 8106),
)
GATEWAY_PORT = 8000
DEV_ADMIN_EMAIL = "admin@cypher.local"
DEV_ADMIN_PASSWORD = "cypher-dev-admin-1"


@dataclass
class StackConfig:
    pg_admin_url: str
    amqp_url: str
    log_dir: Path
    fresh: bool  # True: unique databases, free ports, private exchange (tests)
    admin_email: str = DEV_ADMIN_EMAIL
    admin_password: str = DEV_ADMIN_PASSWORD
    extra_env: dict[str, str] = field(default_factory=dict)
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])


class LocalStack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        fresh = config.fresh
        self.ports: dict[str, tuple[int, int]] = {
            s.name: ((free_port(), free_port()) if fresh else (s.grpc_port, s.http_port))
            for s in SERVICES
        }
        self.gateway_port = free_port() if fresh else GATEWAY_PORT
        self.fakes = Fakes(
            ports={name: free_port() for name in FIXED_PORTS} if fresh else configured_ports()
        )
        self.databases: dict[str, str] = {
            name: (f"test_e2e_{name}_{config.tag}" if fresh else f"cypher_{name}")
            for name in [*(s.name for s in SERVICES), "gateway"]
        }
        self.exchange = f"cypher.events.e2e-{config.tag}" if fresh else "cypher.events"
        self.queue_prefix = f"e2e-{config.tag}." if fresh else ""
        self.processes: dict[str, ServiceProcess] = {}
        self._admin_token: tuple[str, float] | None = None

    # -- addresses ----------------------------------------------------------------------
    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def grpc_addr(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name][0]}"

    def http_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name][1]}"

    def database_url(self, name: str) -> str:
        db = self.databases[name]
        if self.config.fresh:
            return asyncpg_url(with_database(self.config.pg_admin_url, db))
        parsed = urlparse(self.config.pg_admin_url)
        host = parsed.hostname or "127.0.0.1"
        return f"postgresql+asyncpg://cypher_{name}@{host}:{parsed.port or 5432}/{db}"

    # -- environment ----------------------------------------------------------------------
    def common_env(self) -> dict[str, str]:
        env = {
            "CYPHER_ENV": "development",
            "CYPHER_AMQP_URL": self.config.amqp_url,
            "CYPHER_EVENTS_EXCHANGE": self.exchange,
            "CYPHER_QUEUE_PREFIX": self.queue_prefix,
            "CYPHER_LOG_LEVEL": os.environ.get("CYPHER_LOG_LEVEL", "INFO"),
            # Log lines reach the log files as they are written, not when a buffer fills.
            "PYTHONUNBUFFERED": "1",
        }
        for s in SERVICES:
            env[f"CYPHER_{s.name.upper()}_ADDR"] = self.grpc_addr(s.name)
        env.update(self.fakes.service_env())
        env.update(self.config.extra_env)
        return env

    def env_for(self, name: str) -> dict[str, str]:
        env = self.common_env()
        env["OTEL_SERVICE_NAME"] = name
        if name == "gateway":
            env.update(
                {
                    "GATEWAY_DATABASE_URL": self.database_url("gateway"),
                    "GATEWAY_HTTP_PORT": str(self.gateway_port),
                    "CYPHER_ADMIN_EMAIL": self.config.admin_email,
                    "CYPHER_ADMIN_PASSWORD": self.config.admin_password,
                }
            )
        else:
            grpc_port, http_port = self.ports[name]
            prefix = name.upper() + "_"
            env.update(
                {
                    f"{prefix}DATABASE_URL": self.database_url(name),
                    f"{prefix}GRPC_PORT": str(grpc_port),
                    f"{prefix}HTTP_PORT": str(http_port),
                }
            )
            if self.config.fresh:
                # Seven processes plus the tests share one PostgreSQL (100 connections).
                env.setdefault(f"{prefix}DB_POOL_SIZE", "4")
                env.setdefault(f"{prefix}DB_MAX_OVERFLOW", "6")
        env.update({k: v for k, v in self.config.extra_env.items() if k.startswith(name.upper())})
        return env

    # -- lifecycle ----------------------------------------------------------------------
    async def create_databases(self) -> None:
        conn = await asyncpg.connect(self.config.pg_admin_url)
        try:
            existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
            roles = {r["rolname"] for r in await conn.fetch("SELECT rolname FROM pg_roles")}
            for name, db in self.databases.items():
                if self.config.fresh:
                    await conn.execute(f'CREATE DATABASE "{db}"')
                    continue
                role = f"cypher_{name}"
                if role not in roles:
                    await conn.execute(f'CREATE ROLE "{role}" LOGIN')
                if db not in existing:
                    await conn.execute(f'CREATE DATABASE "{db}" OWNER "{role}"')
        finally:
            await conn.close()

    async def drop_databases(self) -> None:
        conn = await asyncpg.connect(self.config.pg_admin_url)
        try:
            for db in self.databases.values():
                await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                    db,
                )
                await conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
        finally:
            await conn.close()

    def migrate(self) -> None:
        names = [*(s.name for s in SERVICES), "gateway"]
        for name in names:
            result = subprocess.run(
                [*console_script(name), "migrate"],
                env={**os.environ, **self.env_for(name)},
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(f"{name} migrate failed:\n{result.stdout}\n{result.stderr}")

    def process(self, name: str) -> ServiceProcess:
        if name not in self.processes:
            args, env = (
                (fakes_command(self.fakes.ports), self.common_env())
                if name == "fakes"
                else ([*console_script(name), "serve"], self.env_for(name))
            )
            self.processes[name] = ServiceProcess(args, env, self.config.log_dir / f"{name}.log")
        return self.processes[name]

    def start(self) -> None:
        self.process("fakes").start()
        for s in SERVICES:
            self.process(s.name).start()
        self.process("gateway").start()

    async def wait_ready(self, timeout: float = 90) -> None:
        await self.fakes.wait_ready(self.process("fakes"), timeout)
        waits = [
            self.process(s.name).wait_http(f"{self.http_url(s.name)}/ready", timeout)
            for s in SERVICES
        ]
        await asyncio.gather(*waits)
        await self.process("gateway").wait_http(f"{self.gateway_url}/ready", timeout)

    async def wait_service_ready(self, name: str, timeout: float = 60) -> None:
        """Ready itself, and (for a service) seen again by the gateway: the gateway's
        channel reconnects with a short backoff, and until then it answers 503."""
        url = self.gateway_url if name == "gateway" else self.http_url(name)
        await self.process(name).wait_http(f"{url}/ready", timeout)
        gateway = self.processes.get("gateway")
        if name != "gateway" and gateway is not None and gateway.proc is not None:
            await gateway.wait_http(f"{self.gateway_url}/ready", timeout)

    def stop(self) -> None:
        for proc in reversed(list(self.processes.values())):
            proc.terminate()

    async def admin_token(self) -> str:
        """The admin's access token, logged in once and reused for 10 minutes: logins are
        rate limited (5 per 15 minutes) and every test shares the one admin account."""
        now = time.monotonic()
        if self._admin_token is not None and now - self._admin_token[1] < 600:
            return self._admin_token[0]
        async with httpx.AsyncClient(base_url=self.gateway_url) as client:
            reply = await client.post(
                "/api/v1/auth/login",
                json={"email": self.config.admin_email, "password": self.config.admin_password},
            )
            reply.raise_for_status()
            token = str(reply.json()["data"]["access_token"])
        self._admin_token = (token, now)
        return token
