"""Integration service configuration: environment variables prefixed `INTEGRATION_`
(every one listed with its default in the service's README)."""

from __future__ import annotations

from typing import Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict

from cypher_runtime.settings import Environment, ServiceSettings
from integration.mail.settings import MailSettings
from integration.shop.settings import ShopSettings
from integration.webhooks.settings import WebhookSettings


class IntegrationSettings(ServiceSettings, ShopSettings, MailSettings, WebhookSettings):
    # Part 2's sections (WooCommerce `woo_*`, mail `smtp_*`/`mail_*`) live in their own classes.
    model_config = SettingsConfigDict(
        env_prefix="INTEGRATION_", extra="ignore", populate_by_name=True
    )

    database_url: str = "postgresql+asyncpg://cypher_integration@127.0.0.1:5432/cypher_integration"
    grpc_port: int = 50056
    http_port: int = 8106

    orders_addr: str = Field(
        default="127.0.0.1:50053",
        validation_alias=AliasChoices("INTEGRATION_ORDERS_ADDR", "CYPHER_ORDERS_ADDR"),
    )
    pricing_addr: str = Field(
        default="127.0.0.1:50051",
        validation_alias=AliasChoices("INTEGRATION_PRICING_ADDR", "CYPHER_PRICING_ADDR"),
    )
    upstream_timeout_seconds: float = Field(default=3.0, gt=0)

    # -- SmartBill account (the real service or the local fake: configuration only) --
    smartbill_base_url: str = "https://ws.smartbill.ro/SBORO/api/"
    smartbill_email: str = ""
    smartbill_token: str = ""
    smartbill_cif: str = ""
    smartbill_invoice_series: str = "FL"
    smartbill_proforma_series: str = "PF"
    # VAT category → the tax name defined in the SmartBill account.
    smartbill_tax_names: str = "STANDARD:Normala,REDUCED:Redusa,SUPER_REDUCED:Redusa,EXEMPT:Scutita"
    invoice_payment_days: int = Field(default=15, ge=0, le=365)

    # -- calls ---------------------------------------------------------------------------
    smartbill_timeout_seconds: float = Field(default=10.0, gt=0)
    smartbill_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    smartbill_read_attempts: int = Field(default=3, ge=1, le=10)
    # SmartBill allows 30 calls / 10 s; we allow ourselves fewer (any 10 s window).
    smartbill_calls_per_window: int = Field(default=27, ge=2)
    smartbill_window_seconds: float = Field(default=10.0, gt=0)
    smartbill_burst: int = Field(default=3, ge=1)
    smartbill_reserve_calls: int = Field(default=1, ge=0)
    smartbill_breaker_failures: int = Field(default=5, ge=1)
    smartbill_breaker_reset_seconds: float = Field(default=30.0, gt=0)

    # -- background work -----------------------------------------------------------------
    # A refused document is tried again this many times, this long apart, then waits
    # for a person (POST /invoices again).
    smartbill_max_refusals: int = Field(default=3, ge=1)
    smartbill_refusal_retry_seconds: float = Field(default=300.0, gt=0)
    dispatch_idle_seconds: float = Field(default=2.0, gt=0)
    # How long POST /invoices waits for SmartBill's number before answering PENDING.
    create_wait_seconds: float = Field(default=5.0, ge=0)
    payment_poll_seconds: float = Field(default=900.0, gt=0)
    payment_poll_batch: int = Field(default=100, ge=1, le=5000)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.smartbill_burst >= self.smartbill_calls_per_window:
            raise ValueError("INTEGRATION_SMARTBILL_BURST must be below CALLS_PER_WINDOW")
        if self.env == Environment.PRODUCTION:
            # Development and test stacks may run without an account (calls fail, work
            # waits); production must not start without one.
            for name in ("smartbill_email", "smartbill_token", "smartbill_cif"):
                if not getattr(self, name).strip():
                    raise ValueError(f"INTEGRATION_{name.upper()} is required in production")
        return self

    def tax_names(self) -> dict[str, str]:
        pairs = (item.split(":", 1) for item in self.smartbill_tax_names.split(",") if item)
        return {k.strip().upper(): v.strip() for k, v in pairs}
