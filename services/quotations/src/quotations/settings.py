"""Quotations service configuration: environment variables prefixed `QUOTATIONS_`
(every variable, its default and meaning: services/quotations/README.md).

Durations are pydantic `timedelta`s: ISO 8601 ("P15D", "PT10M") or seconds ("900").
"""

from datetime import timedelta

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import SettingsConfigDict

from cypher_runtime.settings import ServiceSettings


class QuotationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="QUOTATIONS_", extra="ignore", populate_by_name=True
    )

    database_url: str = "postgresql+asyncpg://cypher_quotations@127.0.0.1:5432/cypher_quotations"
    grpc_port: int = 50054
    http_port: int = 8104

    pricing_address: str = Field(
        default="127.0.0.1:50051",
        validation_alias=AliasChoices("QUOTATIONS_PRICING_ADDRESS", "CYPHER_PRICING_ADDR"),
    )
    orders_address: str = Field(
        default="127.0.0.1:50053",
        validation_alias=AliasChoices("QUOTATIONS_ORDERS_ADDRESS", "CYPHER_ORDERS_ADDR"),
    )
    upstream_timeout_seconds: float = Field(default=3.0, gt=0)
    convert_timeout_seconds: float = Field(default=15.0, gt=0)
    # How long a conversion waits for a quote-request order to follow the acceptance.
    convert_follow_wait_seconds: float = Field(default=10.0, ge=0)

    validity: timedelta = Field(default=timedelta(days=15))
    reminder_offsets: list[timedelta] = Field(
        default_factory=lambda: [timedelta(days=7), timedelta(days=1)]
    )
    sweep_interval_seconds: float = Field(default=30.0, gt=0)
    sweep_batch: int = Field(default=100, ge=1, le=5000)

    company_name: str = "Cypher Iluminat Distribuție SRL"
    company_cui: str = "RO14399840"
    company_reg_com: str = "J12/1234/2010"
    company_address: str = "Str. Fabricii 12, 400632 Cluj-Napoca, jud. Cluj, România"
    company_bank: str = "Banca Transilvania"
    company_iban: str = "RO49BTRL01301202925689XX"
    company_email: str = "oferte@cypher-iluminat.ro"
    company_phone: str = "+40 264 000 000"
    quotation_terms: str = (
        "Prețurile sunt exprimate în RON și includ discounturile indicate. "
        "Oferta este valabilă până la data menționată. Livrarea se face din stoc, "
        "în limita disponibilului, după confirmarea comenzii."
    )

    @field_validator("validity")
    @classmethod
    def _positive_validity(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration")
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def _positive_offsets(cls, value: list[timedelta]) -> list[timedelta]:
        if any(offset <= timedelta(0) for offset in value):
            raise ValueError("every reminder offset must be a positive duration")
        return sorted(set(value), reverse=True)
