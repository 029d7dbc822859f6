"""A supplier and the configuration of its feed: format, URL, field mapping (CSS
selectors, CSV columns or JMESPath expressions), currency and scrape schedule. A new
supplier whose feed fits a supported format is data, never code."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from suppliers.errors import ValidationFailed, VersionConflict


class FeedFormat(StrEnum):
    HTML = "HTML"
    CSV = "CSV"
    JSON = "JSON"


class SyncStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"


# Keys every format shares: how numbers are written and how far a scrape may page.
COMMON_KEYS = frozenset({"decimal_comma", "max_pages"})
REQUIRED_KEYS: dict[FeedFormat, tuple[str, ...]] = {
    FeedFormat.HTML: ("item", "sku", "price"),
    FeedFormat.CSV: ("sku_column", "price_column"),
    FeedFormat.JSON: ("items_path", "sku_field", "price_field"),
}
OPTIONAL_KEYS: dict[FeedFormat, frozenset[str]] = {
    FeedFormat.HTML: frozenset({"name", "stock", "in_stock", "url", "next_page"}),
    FeedFormat.CSV: frozenset(
        {"delimiter", "name_column", "stock_column", "in_stock_column", "url_column", "encoding"}
    ),
    FeedFormat.JSON: frozenset(
        {"name_field", "stock_field", "in_stock_field", "url_field", "next_page_path"}
    ),
}
MAX_CONFIG_VALUE = 500
MAX_PAGES_LIMIT = 500
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")


def validate_feed_config(fmt: FeedFormat, config: dict[str, str], prefix: str) -> dict[str, str]:
    """Field errors of a feed configuration for `fmt` (empty when it is valid)."""
    errors: dict[str, str] = {}
    allowed = set(REQUIRED_KEYS[fmt]) | OPTIONAL_KEYS[fmt] | COMMON_KEYS
    for key in REQUIRED_KEYS[fmt]:
        if not config.get(key, "").strip():
            errors[f"{prefix}.{key}"] = f"required for {fmt.value} feeds"
    for key, value in config.items():
        if key not in allowed:
            errors[f"{prefix}.{key}"] = f"unknown key for {fmt.value} feeds"
        elif len(value) > MAX_CONFIG_VALUE:
            errors[f"{prefix}.{key}"] = f"at most {MAX_CONFIG_VALUE} characters"
    delimiter = config.get("delimiter")
    if delimiter is not None and len(delimiter) != 1:
        errors[f"{prefix}.delimiter"] = "must be one character"
    flag = config.get("decimal_comma")
    if flag is not None and flag.lower() not in ("true", "false"):
        errors[f"{prefix}.decimal_comma"] = "must be true or false"
    pages = config.get("max_pages")
    if pages is not None and (not pages.isdigit() or not 1 <= int(pages) <= MAX_PAGES_LIMIT):
        errors[f"{prefix}.max_pages"] = f"must be a whole number 1..{MAX_PAGES_LIMIT}"
    return errors


@dataclass(frozen=True)
class SyncSchedule:
    """Scheduled scrapes start at window_start_hour + k * interval while before
    window_end_hour (UTC): the default gives 06:00, 10:00, 14:00 and 18:00."""

    interval_minutes: int = 240
    window_start_hour: int = 6
    window_end_hour: int = 22
    enabled: bool = True

    def errors(self, prefix: str = "schedule") -> dict[str, str]:
        found: dict[str, str] = {}
        if not 5 <= self.interval_minutes <= 24 * 60:
            found[f"{prefix}.interval_minutes"] = "must be between 5 and 1440"
        if not 0 <= self.window_start_hour <= 23:
            found[f"{prefix}.window_start_hour"] = "must be between 0 and 23"
        if not 1 <= self.window_end_hour <= 24:
            found[f"{prefix}.window_end_hour"] = "must be between 1 and 24"
        elif self.window_end_hour <= self.window_start_hour:
            found[f"{prefix}.window_end_hour"] = "must be after window_start_hour"
        return found

    def slot_at(self, now: datetime) -> datetime | None:
        """The start of the scrape slot `now` falls in; None outside the window."""
        if not self.enabled:
            return None
        now = now.astimezone(UTC)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        start = day + timedelta(hours=self.window_start_hour)
        end = day + timedelta(hours=self.window_end_hour)
        if not start <= now < end:
            return None
        interval = timedelta(minutes=self.interval_minutes)
        return start + interval * ((now - start) // interval)


@dataclass(frozen=True)
class SupplierDraft:
    """What a caller gives to create or change a supplier (None = leave as it is)."""

    name: str | None = None
    feed_format: FeedFormat | None = None
    feed_url: str | None = None
    feed_config: dict[str, str] | None = None
    active: bool | None = None
    currency: str | None = None
    contact_email: str | None = None
    schedule: SyncSchedule | None = None


@dataclass(frozen=True)
class Supplier:
    id: str
    name: str
    feed_format: FeedFormat
    feed_url: str
    feed_config: dict[str, str]
    active: bool
    currency: str
    contact_email: str
    schedule: SyncSchedule
    version: int
    created_at: datetime
    updated_at: datetime
    last_sync_at: datetime | None = None
    last_sync_status: SyncStatus | None = None

    @property
    def decimal_comma(self) -> bool:
        return self.feed_config.get("decimal_comma", "false").lower() == "true"

    @property
    def max_pages(self) -> int | None:
        raw = self.feed_config.get("max_pages")
        return int(raw) if raw else None

    def changed(self, draft: SupplierDraft, at: datetime, expected_version: int = 0) -> Supplier:
        """A copy with the draft's fields applied (validated), one version later."""
        if expected_version and expected_version != self.version:
            raise VersionConflict(
                f"supplier {self.id} is at version {self.version}",
                details={"expected": expected_version, "actual": self.version},
            )
        updated = replace(
            self,
            name=self.name if draft.name is None else draft.name.strip(),
            feed_format=draft.feed_format or self.feed_format,
            feed_url=self.feed_url if draft.feed_url is None else draft.feed_url.strip(),
            feed_config=self.feed_config if draft.feed_config is None else dict(draft.feed_config),
            active=self.active if draft.active is None else draft.active,
            currency=self.currency if draft.currency is None else draft.currency.strip().upper(),
            contact_email=(
                self.contact_email if draft.contact_email is None else draft.contact_email.strip()
            ),
            schedule=draft.schedule or self.schedule,
            version=self.version + 1,
            updated_at=at,
        )
        updated.validate()
        return updated

    def validate(self) -> None:
        errors: dict[str, str] = {}
        if not 1 <= len(self.name) <= 200:
            errors["name"] = "must be 1 to 200 characters"
        if not _URL.match(self.feed_url) or len(self.feed_url) > 1000:
            errors["feed_url"] = "must be an absolute http(s) URL"
        if not _CURRENCY.match(self.currency):
            errors["currency"] = "must be a 3-letter currency code"
        if self.contact_email and not _EMAIL.match(self.contact_email):
            errors["contact_email"] = "must be an e-mail address"
        errors.update(validate_feed_config(self.feed_format, self.feed_config, "feed_config"))
        errors.update(self.schedule.errors())
        if errors:
            raise ValidationFailed(errors)


def new_supplier(
    supplier_id: str, draft: SupplierDraft, at: datetime, default_schedule: SyncSchedule
) -> Supplier:
    missing: dict[str, str] = {}
    if draft.name is None or not draft.name.strip():
        missing["name"] = "required"
    if draft.feed_format is None:
        missing["feed_format"] = "required: HTML, CSV or JSON"
    if draft.feed_url is None or not draft.feed_url.strip():
        missing["feed_url"] = "required"
    if missing:
        raise ValidationFailed(missing)
    assert draft.name is not None
    assert draft.feed_format is not None
    assert draft.feed_url is not None
    supplier = Supplier(
        id=supplier_id,
        name=draft.name.strip(),
        feed_format=draft.feed_format,
        feed_url=draft.feed_url.strip(),
        feed_config=dict(draft.feed_config or {}),
        active=True if draft.active is None else draft.active,
        currency=(draft.currency or "RON").strip().upper(),
        contact_email=(draft.contact_email or "").strip(),
        schedule=draft.schedule or default_schedule,
        version=1,
        created_at=at,
        updated_at=at,
    )
    supplier.validate()
    return supplier
