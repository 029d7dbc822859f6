"""Quotations service configuration: environment variables prefixed `QUOTATIONS_`."""

from pydantic_settings import SettingsConfigDict

from cypher_runtime.settings import ServiceSettings


class QuotationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="QUOTATIONS_", extra="ignore", populate_by_name=True
    )

    database_url: str = "postgresql+asyncpg://cypher_quotations@127.0.0.1:5432/cypher_quotations"
    grpc_port: int = 50054
    http_port: int = 8104
