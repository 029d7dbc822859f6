"""Gateway configuration from the environment (prefix `GATEWAY_`, upstreams `CYPHER_*_ADDR`)."""

from __future__ import annotations

from limits import parse_many
from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from cypher_runtime.settings import CommonSettings, Environment, common

DEV_JWT_SECRET = "dev-only-insecure-jwt-secret-change-me"

UPSTREAMS = ("pricing", "inventory", "orders", "quotations", "suppliers", "integration")


class GatewaySettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    database_url: str = "postgresql+asyncpg://cypher_gateway@127.0.0.1:5432/cypher_gateway"
    db_pool_size: int = Field(default=10, ge=1)
    http_port: int = Field(default=8000, ge=1, le=65535)
    bind_host: str = "0.0.0.0"

    pricing_addr: str = Field(
        default="127.0.0.1:50051", validation_alias=common("CYPHER_PRICING_ADDR")
    )
    inventory_addr: str = Field(
        default="127.0.0.1:50052", validation_alias=common("CYPHER_INVENTORY_ADDR")
    )
    orders_addr: str = Field(
        default="127.0.0.1:50053", validation_alias=common("CYPHER_ORDERS_ADDR")
    )
    quotations_addr: str = Field(
        default="127.0.0.1:50054", validation_alias=common("CYPHER_QUOTATIONS_ADDR")
    )
    suppliers_addr: str = Field(
        default="127.0.0.1:50055", validation_alias=common("CYPHER_SUPPLIERS_ADDR")
    )
    integration_addr: str = Field(
        default="127.0.0.1:50056", validation_alias=common("CYPHER_INTEGRATION_ADDR")
    )
    upstream_timeout_seconds: float = Field(default=5.0, gt=0)
    health_timeout_seconds: float = Field(default=1.0, gt=0)

    jwt_secret: str = DEV_JWT_SECRET
    access_token_ttl_seconds: int = Field(default=15 * 60, ge=1)
    refresh_token_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=1)
    # Secure cookies need HTTPS; only a plain-HTTP local setup turns this off.
    cookie_secure: bool = True
    totp_issuer: str = "CYPHER"
    backup_codes_count: int = Field(default=10, ge=1, le=50)

    # Rate limits per client (user id when authenticated, else IP), `limits` notation.
    rate_limit_enabled: bool = True
    rate_limit_storage: str = "memory://"
    rate_limit_api: str = "100/15 minutes"
    rate_limit_login: str = "5/15 minutes"
    rate_limit_2fa: str = "10/15 minutes"
    rate_limit_writes: str = "30/minute"
    # The budget of each API key (its own, not its client's IP's); a key may carry a
    # tighter or larger `rate_limit_per_minute` of its own.
    rate_limit_api_key: str = "600/minute"
    # Honour X-Forwarded-For only behind a trusted proxy (else anyone picks their own IP).
    trust_forwarded_for: bool = False

    # Comma-separated allow-list of browser origins, e.g. "https://app.example.ro"; empty = none.
    cors_origins: str = ""
    # How long a user's token version is remembered: revocation takes effect within it.
    token_check_seconds: float = Field(default=2.0, ge=0)
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=1)
    # How long a request in progress holds its Idempotency-Key: a replay after it takes
    # the key over (the first attempt died). Longer than any upstream deadline, and the
    # request is cut off at it (504), so two attempts never run at once.
    idempotency_lease_seconds: float = Field(default=30.0, gt=0)
    # Per-call deadlines of the optional parts of the GET /products/{sku} aggregate.
    aggregate_part_timeout_seconds: float = Field(default=1.0, gt=0)

    admin_email: str | None = Field(default=None, validation_alias=common("CYPHER_ADMIN_EMAIL"))
    admin_password: str | None = Field(
        default=None, validation_alias=common("CYPHER_ADMIN_PASSWORD")
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> GatewaySettings:
        if self.env != Environment.DEVELOPMENT and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError("GATEWAY_JWT_SECRET must be set outside development")
        if len(self.jwt_secret) < 32:
            raise ValueError("GATEWAY_JWT_SECRET must be at least 32 characters")
        if self.idempotency_lease_seconds <= 2 * self.upstream_timeout_seconds:
            raise ValueError(
                "GATEWAY_IDEMPOTENCY_LEASE_SECONDS must exceed twice "
                "GATEWAY_UPSTREAM_TIMEOUT_SECONDS (a creating route may call two upstreams)"
            )
        for name in (
            "rate_limit_api",
            "rate_limit_login",
            "rate_limit_2fa",
            "rate_limit_writes",
            "rate_limit_api_key",
        ):
            try:
                parse_many(getattr(self, name))
            except ValueError as exc:
                raise ValueError(f"GATEWAY_{name.upper()}: {exc}") from exc
        return self

    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    def upstream_addresses(self) -> dict[str, str]:
        return {name: getattr(self, f"{name}_addr") for name in UPSTREAMS}
