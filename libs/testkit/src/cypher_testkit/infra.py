"""Where the test PostgreSQL and RabbitMQ are: environment variables, the local
servers, or (only where a Docker engine exists) testcontainers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from functools import cache
from urllib.parse import urlparse


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


_containers: list[object] = []


@cache
def postgres_admin_url() -> str:
    """A libpq URL of a superuser connection (`postgresql://…/postgres`)."""
    url = os.environ.get("CYPHER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    parsed = urlparse(url)
    if _answers(parsed.hostname or "127.0.0.1", parsed.port or 5432):
        return url
    if _docker_available():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16-alpine", driver=None)
        container.start()
        _containers.append(container)
        return str(container.get_connection_url())
    raise RuntimeError(f"no PostgreSQL at {url} and no Docker engine for testcontainers")


@cache
def amqp_url() -> str:
    url = os.environ.get("CYPHER_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    parsed = urlparse(url)
    if _answers(parsed.hostname or "127.0.0.1", parsed.port or 5672):
        return url
    if _docker_available():
        from testcontainers.rabbitmq import RabbitMqContainer

        container = RabbitMqContainer("rabbitmq:3.13-management")
        container.start()
        _containers.append(container)
        host = container.get_container_host_ip()
        port = container.get_exposed_port(5672)
        return f"amqp://guest:guest@{host}:{port}/"
    raise RuntimeError(f"no RabbitMQ at {url} and no Docker engine for testcontainers")


def asyncpg_url(libpq_url: str) -> str:
    return libpq_url.replace("postgresql://", "postgresql+asyncpg://", 1)


def with_database(libpq_url: str, database: str) -> str:
    parsed = urlparse(libpq_url)
    return parsed._replace(path=f"/{database}").geturl()
