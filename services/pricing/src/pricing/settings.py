"""Pricing service configuration: environment variables prefixed `PRICING_`."""

from cypher_runtime.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class PricingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PRICING_", extra="ignore", populate_by_name=True)

    database_url: str = "postgresql+asyncpg://cypher_pricing@127.0.0.1:5432/cypher_pricing"
    grpc_port: int = 50051
    http_port: int = 8101
