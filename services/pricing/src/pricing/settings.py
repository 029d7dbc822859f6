"""Pricing service configuration: environment variables prefixed `PRICING_`.

| variable | default | meaning |
|---|---|---|
| PRICING_DATABASE_URL | local cypher_pricing | SQLAlchemy asyncpg URL |
| PRICING_GRPC_PORT / PRICING_HTTP_PORT | 50051 / 8101 | gRPC and /health,/ready,/metrics |
| PRICING_MARGIN_FLOOR_PCT | 0 | net never below cost × (1 + floor %) |
| PRICING_CACHE_SIZE | 1000 | entries of the in-process price-input cache |
| PRICING_CACHE_TTL_SECONDS | 300 | their time to live |
| PRICING_SPEND_WINDOW_DAYS | 30 | rolling window of the spend that sets a tier |
| PRICING_DEFAULT_CURRENCY | RON | currency of a product created without one |
| PRICING_VAT_TIMEZONE | Europe/Bucharest | calendar of "today" for VAT and pricing dates |
| PRICING_PROMOTION_POLL_SECONDS | 1.0 | how often the promotion boundary job looks for due work |
| PRICING_PROMOTION_BATCH_SIZE | 100 | boundaries claimed per transaction |
| PRICING_TIER_SWEEP_SECONDS | 3600 | how often aged-out spend is re-checked for tier drops |

Tier thresholds, volume discounts and VAT rates are database rows (migration 0003).
"""

from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from cypher_runtime.settings import ServiceSettings


class PricingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PRICING_", extra="ignore", populate_by_name=True)

    database_url: str = "postgresql+asyncpg://cypher_pricing@127.0.0.1:5432/cypher_pricing"
    grpc_port: int = 50051
    http_port: int = 8101

    margin_floor_pct: Decimal = Field(default=Decimal(0), ge=0, le=1000)
    cache_size: int = Field(default=1000, ge=1, le=1_000_000)
    cache_ttl_seconds: float = Field(default=300.0, gt=0)
    spend_window_days: int = Field(default=30, ge=1, le=366)
    default_currency: str = Field(default="RON", pattern=r"^[A-Z]{3}$")
    vat_timezone: str = "Europe/Bucharest"
    promotion_poll_seconds: float = Field(default=1.0, gt=0)
    promotion_batch_size: int = Field(default=100, ge=1, le=10_000)
    tier_sweep_seconds: float = Field(default=3600.0, gt=0)

    @field_validator("vat_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (is tzdata installed?)") from None
        return value
