"""Orders service configuration: environment variables prefixed `ORDERS_` (every
variable, its default and meaning: services/orders/README.md)."""

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from cypher_runtime.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore", populate_by_name=True)

    database_url: str = "postgresql+asyncpg://cypher_orders@127.0.0.1:5432/cypher_orders"
    grpc_port: int = 50053
    http_port: int = 8103

    pricing_addr: str = Field(
        default="127.0.0.1:50051",
        validation_alias=AliasChoices("ORDERS_PRICING_ADDR", "CYPHER_PRICING_ADDR"),
    )
    inventory_addr: str = Field(
        default="127.0.0.1:50052",
        validation_alias=AliasChoices("ORDERS_INVENTORY_ADDR", "CYPHER_INVENTORY_ADDR"),
    )
    upstream_timeout_seconds: float = Field(default=3.0, gt=0)
    saga_heartbeat_seconds: float = Field(default=2.0, gt=0)
    saga_instance_timeout_seconds: float = Field(default=10.0, gt=0)
    saga_recover_interval_seconds: float = Field(default=5.0, gt=0)
    saga_max_age_seconds: float = Field(default=120.0, gt=0)
    idempotent_replay_wait_seconds: float = Field(default=10.0, ge=0)
