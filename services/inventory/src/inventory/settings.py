"""Inventory service configuration: environment variables prefixed `INVENTORY_`."""

from pydantic_settings import SettingsConfigDict

from cypher_runtime.settings import ServiceSettings


class InventorySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", extra="ignore", populate_by_name=True)

    database_url: str = "postgresql+asyncpg://cypher_inventory@127.0.0.1:5432/cypher_inventory"
    grpc_port: int = 50052
    http_port: int = 8102
