"""Inventory service configuration: environment variables prefixed `INVENTORY_`.

| variable | default | meaning |
|---|---|---|
| `INVENTORY_DATABASE_URL` | local `cypher_inventory` | asyncpg SQLAlchemy URL |
| `INVENTORY_GRPC_PORT` / `INVENTORY_HTTP_PORT` | 50052 / 8102 | gRPC and health/metrics ports |
| `INVENTORY_LOW_STOCK_THRESHOLD` | 3 | default low-stock threshold per sku×warehouse |
| `INVENTORY_RESERVATION_TTL_SECONDS` | 1800 | how long an unconfirmed reservation lives |
| `INVENTORY_BACKORDER_LEAD_DAYS` | 10 | expected date of a backorder = reservation date + this |
| `INVENTORY_EXPIRY_INTERVAL_SECONDS` | 5 | how often the expiry job looks for due reservations |
| `INVENTORY_EXPIRY_BATCH` | 100 | reservations expired per job cycle at most |
| `INVENTORY_WAREHOUSES` | `A:HQ:1,B:Warehouse B:2,C:Warehouse C:3` | seed migration only |
"""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cypher_runtime.settings import ServiceSettings


class InventorySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="INVENTORY_", extra="ignore", populate_by_name=True
    )

    database_url: str = "postgresql+asyncpg://cypher_inventory@127.0.0.1:5432/cypher_inventory"
    grpc_port: int = 50052
    http_port: int = 8102

    low_stock_threshold: int = Field(default=3, ge=0)
    reservation_ttl_seconds: int = Field(default=1800, ge=1)
    backorder_lead_days: int = Field(default=10, ge=0)
    expiry_interval_seconds: float = Field(default=5.0, gt=0)
    expiry_batch: int = Field(default=100, ge=1, le=10_000)
