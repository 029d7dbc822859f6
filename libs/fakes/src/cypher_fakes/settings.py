"""Configuration of the fakes process: environment variables (prefix `FAKES_`), each
overridable by a command-line flag. A port of 0 means "pick a free one"."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development credentials of the fake accounts. The local stack hands the same values
# to the services; nothing real is ever reachable with them.
DEV_SMARTBILL_EMAIL = "facturare@cypher.local"
DEV_SMARTBILL_TOKEN = "sb-dev-token-0001"
DEV_SMARTBILL_CIF = "RO12345678"
DEV_WOO_CONSUMER_KEY = "ck_cypherdev0000000000000000000000000000"
DEV_WOO_CONSUMER_SECRET = "cs_cypherdev0000000000000000000000000000"


class FakesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FAKES_", extra="ignore")

    host: str = "127.0.0.1"
    smartbill_port: int = Field(default=8201, ge=0, le=65535)
    woo_port: int = Field(default=8202, ge=0, le=65535)
    suppliers_port: int = Field(default=8203, ge=0, le=65535)
    smtp_port: int = Field(default=2525, ge=0, le=65535)
    mail_http_port: int = Field(default=8204, ge=0, le=65535)
    # Written (JSON: name → port) once every server listens, for harnesses that use port 0.
    ports_file: str | None = None
    log_level: str = "INFO"

    smartbill_email: str = DEV_SMARTBILL_EMAIL
    smartbill_token: str = DEV_SMARTBILL_TOKEN
    smartbill_cif: str = DEV_SMARTBILL_CIF
    smartbill_rate_limit: int = Field(default=30, ge=1)
    smartbill_rate_window_seconds: float = Field(default=10.0, gt=0)
    smartbill_block_seconds: float = Field(default=600.0, ge=0)
    # The `timeout` fault answers after this long: longer than any client's timeout.
    fault_timeout_seconds: float = Field(default=35.0, ge=0)

    woo_consumer_key: str = DEV_WOO_CONSUMER_KEY
    woo_consumer_secret: str = DEV_WOO_CONSUMER_SECRET
