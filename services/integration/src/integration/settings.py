"""Integration service configuration: environment variables prefixed `INTEGRATION_`."""

from pydantic_settings import SettingsConfigDict

from cypher_runtime.settings import ServiceSettings


class IntegrationSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="INTEGRATION_", extra="ignore", populate_by_name=True
    )

    database_url: str = "postgresql+asyncpg://cypher_integration@127.0.0.1:5432/cypher_integration"
    grpc_port: int = 50056
    http_port: int = 8106
