"""Suppliers service configuration: environment variables prefixed `SUPPLIERS_`."""

from pydantic_settings import SettingsConfigDict

from cypher_runtime.settings import ServiceSettings


class SuppliersSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="SUPPLIERS_", extra="ignore", populate_by_name=True
    )

    database_url: str = "postgresql+asyncpg://cypher_suppliers@127.0.0.1:5432/cypher_suppliers"
    grpc_port: int = 50055
    http_port: int = 8105
