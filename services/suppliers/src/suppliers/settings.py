"""Suppliers service configuration: environment variables prefixed `SUPPLIERS_`."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from cypher_runtime.settings import ServiceSettings


class SuppliersSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="SUPPLIERS_", extra="ignore", populate_by_name=True
    )

    database_url: str = "postgresql+asyncpg://cypher_suppliers@127.0.0.1:5432/cypher_suppliers"
    grpc_port: int = 50055
    http_port: int = 8105

    # A price change strictly above this percentage (either way) raises a price alert.
    price_alert_threshold_pct: Decimal = Field(default=Decimal("10"), ge=0, le=1000)
    # Default schedule of a supplier created without one (UTC hours).
    sync_interval_minutes: int = Field(default=240, ge=5, le=1440)
    sync_window_start_hour: int = Field(default=6, ge=0, le=23)
    sync_window_end_hour: int = Field(default=22, ge=1, le=24)
    # How often the scheduler looks for due slots and abandoned runs.
    scheduler_tick_seconds: float = Field(default=60.0, gt=0)
    # Per HTTP request of a feed: deadline, retries (exponential backoff), body cap.
    request_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    request_retries: int = Field(default=3, ge=0, le=10)
    retry_backoff_seconds: float = Field(default=1.0, ge=0)
    max_page_bytes: int = Field(default=5_000_000, ge=1024)
    # Whole scrape of one supplier: page cap and deadline (a run never hangs).
    max_pages: int = Field(default=50, ge=1, le=500)
    run_deadline_seconds: float = Field(default=600.0, gt=0)
    # Feed prices outside these bounds are row errors (absurd, never stored).
    min_price: Decimal = Field(default=Decimal("0.01"), gt=0)
    max_price: Decimal = Field(default=Decimal("1000000"), gt=0)
    # Items written per transaction during a scrape.
    apply_batch_size: int = Field(default=500, ge=1, le=10_000)
    # Rates to RON, for ranking offers in different currencies.
    fx_rates: dict[str, Decimal] = Field(
        default_factory=lambda: {"RON": Decimal("1"), "EUR": Decimal("4.97")}
    )

    @field_validator("fx_rates")
    @classmethod
    def _positive_rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for currency, rate in value.items():
            if len(currency) != 3 or rate <= 0:
                raise ValueError(f"{currency}: a 3-letter code with a positive rate")
        return {k.upper(): v for k, v in value.items()}
