"""Environment-only configuration shared by every CYPHER process, validated at start."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TypeVar

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def common(name: str) -> AliasChoices:
    """An environment variable shared by every service (no service prefix)."""
    return AliasChoices(name)


class CommonSettings(BaseSettings):
    """The variables every CYPHER process reads, without a service prefix, so the
    environment name or the broker URL is set once for the whole stack."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    env: Environment = Field(default=Environment.DEVELOPMENT, validation_alias=common("CYPHER_ENV"))
    amqp_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/", validation_alias=common("CYPHER_AMQP_URL")
    )
    events_exchange: str = Field(
        default="cypher.events", validation_alias=common("CYPHER_EVENTS_EXCHANGE")
    )
    log_level: str = Field(default="INFO", validation_alias=common("CYPHER_LOG_LEVEL"))
    # Prepended to queue names so two stacks can share one broker (tests, previews).
    queue_prefix: str = Field(default="", validation_alias=common("CYPHER_QUEUE_PREFIX"))
    # Test and preview stacks only: unused queues are deleted by the broker after this.
    queue_expires_ms: int | None = Field(
        default=None, ge=1000, validation_alias=common("CYPHER_QUEUE_EXPIRES_MS")
    )


class ServiceSettings(CommonSettings):
    """What every service needs to run. Subclasses set `env_prefix` (e.g. `PRICING_`)
    for their own fields; the common ones keep their unprefixed names."""

    database_url: str
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    grpc_port: int = Field(ge=1, le=65535)
    http_port: int = Field(ge=1, le=65535)
    bind_host: str = "0.0.0.0"

    outbox_batch_size: int = Field(default=200, ge=1, le=5000)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_retention_hours: int = Field(default=72, ge=1)
    consumer_prefetch: int = Field(default=32, ge=1, le=1000)
    consumer_max_retries: int = Field(default=5, ge=0, le=100)
    consumer_retry_delay_ms: int = Field(default=2000, ge=10)
    health_check_seconds: float = Field(default=2.0, gt=0)
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    # Clients' HTTP/2 connections are closed (gracefully) after this long, so they
    # reconnect and spread over replicas added since (gRPC pins a connection to a pod).
    grpc_max_connection_age_seconds: float = Field(default=300.0, gt=0)


S = TypeVar("S", bound=BaseSettings)


class ConfigurationError(SystemExit):
    """Raised at start-up when the environment is invalid; the message names the variable."""


def describe_errors(cls: type[BaseSettings], exc: ValidationError) -> str:
    prefix = str(cls.model_config.get("env_prefix", "") or "")
    lines = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "?"
        info = cls.model_fields.get(field)
        alias = info.validation_alias if info is not None else None
        if isinstance(alias, AliasChoices):
            var = " or ".join(str(c) for c in alias.choices)
        elif isinstance(alias, str):
            var = alias
        else:
            var = f"{prefix}{field}".upper()
        lines.append(f"  {var}: {err['msg']}")
    return "invalid configuration:\n" + "\n".join(lines)


def load_settings(cls: type[S]) -> S:
    """Build settings from the environment or stop the process with a readable message."""
    try:
        return cls()
    except ValidationError as exc:
        print(describe_errors(cls, exc), file=sys.stderr)
        raise ConfigurationError(2) from exc
