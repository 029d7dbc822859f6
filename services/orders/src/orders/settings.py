"""Orders service configuration: environment variables prefixed `ORDERS_`."""

from pydantic_settings import SettingsConfigDict

from cypher_runtime.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore", populate_by_name=True)

    database_url: str = "postgresql+asyncpg://cypher_orders@127.0.0.1:5432/cypher_orders"
    grpc_port: int = 50053
    http_port: int = 8103
