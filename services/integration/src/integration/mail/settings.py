"""Mail settings (`INTEGRATION_SMTP_…`, `INTEGRATION_MAIL_…`), a section of
IntegrationSettings."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings


class MailSettings(BaseSettings):
    # -- the SMTP server (the real relay or the local sink: configuration only) ------
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False  # STARTTLS after connecting (port 587)
    smtp_tls: bool = False  # implicit TLS (port 465)
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    smtp_breaker_failures: int = Field(default=3, ge=1)
    smtp_breaker_reset_seconds: float = Field(default=30.0, gt=0)
    smtp_messages_per_second: int = Field(default=10, ge=2)
    # -- what is sent ----------------------------------------------------------------
    mail_from: str = "CYPHER Iluminat <comenzi@cypher.local>"
    mail_reply_to: str = ""
    mail_warehouse_address: str = "depozit@cypher.local"
    mail_purchasing_address: str = "achizitii@cypher.local"
    mail_company_name: str = "CYPHER Iluminat"
    mail_company_tagline: str = "Soluții de iluminat LED pentru casă și afaceri"
    mail_company_address: str = "Str. Fabricii 12, Cluj-Napoca"
    mail_company_phone: str = "0264 000 000"
    mail_company_email: str = "comenzi@cypher.local"
    mail_company_website: str = "cypher.local"
    # -- retries ---------------------------------------------------------------------
    mail_max_attempts: int = Field(default=8, ge=1)
    mail_retry_seconds: float = Field(default=30.0, gt=0)  # doubles per attempt
    mail_retry_max_seconds: float = Field(default=3600.0, gt=0)
    mail_idle_seconds: float = Field(default=2.0, gt=0)
    mail_batch: int = Field(default=20, ge=1, le=500)
    quotations_addr: str = Field(
        default="127.0.0.1:50054",
        validation_alias=AliasChoices("INTEGRATION_QUOTATIONS_ADDR", "CYPHER_QUOTATIONS_ADDR"),
    )

    def company(self) -> dict[str, str]:
        return {
            "name": self.mail_company_name,
            "tagline": self.mail_company_tagline,
            "address": self.mail_company_address,
            "phone": self.mail_company_phone,
            "email": self.mail_company_email,
            "website": self.mail_company_website,
        }
