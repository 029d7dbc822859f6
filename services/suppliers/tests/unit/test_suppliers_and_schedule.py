"""Supplier configuration as data and the scrape schedule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from suppliers.domain.supplier import FeedFormat, SupplierDraft, SyncSchedule, new_supplier
from suppliers.errors import ValidationFailed, VersionConflict

T0 = datetime(2026, 12, 3, 9, tzinfo=UTC)
CSV = {"sku_column": "sku", "price_column": "price", "delimiter": ";", "decimal_comma": "true"}


def draft(**changes: object) -> SupplierDraft:
    base: dict[str, object] = {
        "name": "Masterled",
        "feed_format": FeedFormat.CSV,
        "feed_url": "http://127.0.0.1:8203/masterled/feed.csv",
        "feed_config": CSV,
        "currency": "ron",
    }
    base.update(changes)
    return SupplierDraft(**base)  # type: ignore[arg-type]


def test_a_supplier_from_data() -> None:
    s = new_supplier("s1", draft(), T0, SyncSchedule())
    assert s.currency == "RON"
    assert s.active
    assert s.version == 1
    assert s.decimal_comma


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"feed_config": {"sku_column": "sku"}}, "feed_config.price_column"),
        ({"feed_config": {**CSV, "item": ".x"}}, "feed_config.item"),
        ({"feed_config": {**CSV, "delimiter": ";;"}}, "feed_config.delimiter"),
        ({"feed_format": FeedFormat.JSON}, "feed_config.items_path"),
        ({"feed_url": "ftp://x/y"}, "feed_url"),
        ({"currency": "EURO"}, "currency"),
        ({"contact_email": "nobody"}, "contact_email"),
        (
            {"schedule": SyncSchedule(window_start_hour=22, window_end_hour=6)},
            "schedule.window_end_hour",
        ),
        ({"name": None}, "name"),
    ],
)
def test_bad_configuration_names_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        new_supplier("s1", draft(**changes), T0, SyncSchedule())
    assert field in err.value.fields


def test_changes_apply_at_the_expected_version_only() -> None:
    s = new_supplier("s1", draft(), T0, SyncSchedule())
    changed = s.changed(SupplierDraft(active=False), T0, expected_version=1)
    assert not changed.active
    assert changed.version == 2
    with pytest.raises(VersionConflict):
        changed.changed(SupplierDraft(active=True), T0, expected_version=1)


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        ("05:59", None),
        ("06:00", "06:00"),
        ("09:59", "06:00"),
        ("10:00", "10:00"),
        ("18:30", "18:00"),
        ("21:59", "18:00"),
        ("22:00", None),
    ],
)
def test_default_schedule_every_four_hours_inside_six_to_twenty_two(
    now: str, slot: str | None
) -> None:
    hour, minute = map(int, now.split(":"))
    at = datetime(2026, 12, 3, hour, minute, tzinfo=UTC)
    got = SyncSchedule().slot_at(at)
    assert (got.strftime("%H:%M") if got else None) == slot


def test_a_disabled_schedule_has_no_slots() -> None:
    assert SyncSchedule(enabled=False).slot_at(T0) is None
