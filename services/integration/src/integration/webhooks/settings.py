"""Webhook settings (`INTEGRATION_WEBHOOK_…`), a section of IntegrationSettings."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from integration.webhooks.domain.hooks import RetrySchedule

# 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h: nine attempts over ~22.7 hours.
DEFAULT_SCHEDULE = "30,120,600,1800,3600,10800,21600,43200"


class WebhookSettings(BaseSettings):
    # Delays (seconds) before the 2nd, 3rd, … attempt; after the last the delivery parks.
    webhook_retry_schedule: str = DEFAULT_SCHEDULE
    # Hosts exempt from the public-address rule, which may also use http (local only).
    webhook_allow_hosts: str = ""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    webhook_idle_seconds: float = Field(default=2.0, gt=0)
    webhook_batch: int = Field(default=50, ge=1, le=500)
    webhook_concurrency: int = Field(default=10, ge=1, le=200)
    webhook_lease_seconds: float = Field(default=120.0, gt=0)

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        RetrySchedule.parse(value)
        return value

    def webhook_schedule(self) -> RetrySchedule:
        return RetrySchedule.parse(self.webhook_retry_schedule)

    def webhook_allowed_hosts(self) -> tuple[str, ...]:
        return tuple(h.strip().lower() for h in self.webhook_allow_hosts.split(",") if h.strip())
