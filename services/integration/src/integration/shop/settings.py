"""The shop sync's settings (`INTEGRATION_WOO_…`), a section of IntegrationSettings."""

from __future__ import annotations

from typing import Self

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings

from integration.shop.domain.schedule import parse_time_of_day


class ShopSettings(BaseSettings):
    # -- the shop (the real one or the local fake: configuration only) ----------------
    woo_base_url: str = ""  # the shop root; the API is …/wp-json/wc/v3
    woo_consumer_key: str = ""
    woo_consumer_secret: str = ""
    # -- calls ---------------------------------------------------------------------------
    woo_timeout_seconds: float = Field(default=15.0, gt=0)
    woo_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    woo_attempts: int = Field(default=3, ge=1, le=10)
    woo_breaker_failures: int = Field(default=5, ge=1)
    woo_breaker_reset_seconds: float = Field(default=30.0, gt=0)
    # Our own pace towards the shop host (it has no limit of its own but may answer 429).
    woo_calls_per_second: int = Field(default=20, ge=2)
    # -- what is pushed ------------------------------------------------------------------
    woo_batch_size: int = Field(default=100, ge=1, le=100)
    # A burst of changes is flushed once quiet this long, none held longer than the max.
    woo_coalesce_seconds: float = Field(default=2.0, ge=0)
    woo_coalesce_max_seconds: float = Field(default=10.0, gt=0)
    woo_flush_tick_seconds: float = Field(default=0.5, gt=0)
    woo_backorders: bool = False  # out of stock shows as onbackorder
    woo_create_missing: bool = True  # a sku the shop lacks is created there
    # -- schedule (UTC, HH:MM) -----------------------------------------------------------
    woo_full_sync_at: str = "03:00"
    woo_retry_failed_at: str = "12:00"
    inventory_addr: str = Field(
        default="127.0.0.1:50052",
        validation_alias=AliasChoices("INTEGRATION_INVENTORY_ADDR", "CYPHER_INVENTORY_ADDR"),
    )

    @field_validator("woo_full_sync_at", "woo_retry_failed_at")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        parse_time_of_day(value)
        return value

    @model_validator(mode="after")
    def _shop_complete(self) -> Self:
        if self.woo_base_url and not (self.woo_consumer_key and self.woo_consumer_secret):
            raise ValueError(
                "INTEGRATION_WOO_CONSUMER_KEY and INTEGRATION_WOO_CONSUMER_SECRET are "
                "required with INTEGRATION_WOO_BASE_URL"
            )
        return self
