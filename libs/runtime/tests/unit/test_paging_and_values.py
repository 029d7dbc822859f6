"""The shared cursor codec, page clamp and wire-value conversions."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from cypher_runtime.errors import ValidationFailed
from cypher_runtime.paging import MAX_LIMIT, CursorCodec, page_limit
from cypher_runtime.proto_values import (
    datetime_from_pb,
    decimal_from_text,
    money_pb,
    money_text,
    optional_timestamp_pb,
    rfc3339,
    timestamp_pb,
)

ORDERS = CursorCodec("orders.list", (str, str))


def test_page_limit_defaults_caps_and_refuses_negative() -> None:
    assert page_limit(0) == 50
    assert page_limit(7) == 7
    assert page_limit(10_000) == MAX_LIMIT
    with pytest.raises(ValidationFailed) as err:
        page_limit(-1)
    assert err.value.fields == {"page.limit": "must not be negative"}


def test_cursor_round_trips_its_key() -> None:
    cursor = ORDERS.encode(["2026-12-03T08:00:00Z", "a1b2"])
    assert ORDERS.decode(cursor) == ("2026-12-03T08:00:00Z", "a1b2")
    assert ORDERS.decode("") is None


@pytest.mark.parametrize(
    "forged",
    [
        "garbage",
        "WyJ4IiwieSJd",  # base64 of ["x","y"]: right shape, never issued
        base64.urlsafe_b64encode(b'["x","y"]').decode() + ".AAAAAAAA",
        "%00",
        "." * 3,
        "a" * 5000,
    ],
)
def test_cursor_not_issued_by_the_codec_is_refused(forged: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        ORDERS.decode(forged)
    assert "page.cursor" in err.value.fields


def test_cursor_of_another_list_or_shape_is_refused() -> None:
    other = CursorCodec("customers.list", (str, str)).encode(["x", "y"])
    with pytest.raises(ValidationFailed):
        ORDERS.decode(other)
    ints = CursorCodec("orders.list", (int, int))
    with pytest.raises(ValidationFailed):
        ints.decode(ORDERS.encode(["1", "2"]))


def test_next_cursor_only_when_a_row_beyond_the_page_was_fetched() -> None:
    assert ORDERS.next_cursor([1, 2], 2, ["a", "b"]) == ""
    assert ORDERS.decode(ORDERS.next_cursor([1, 2, 3], 2, ["a", "b"])) == ("a", "b")


def test_money_text_keeps_two_places_and_significant_ones() -> None:
    assert money_text(Decimal("12.5")) == "12.50"
    assert money_text(Decimal("10.5000")) == "10.50"
    assert money_text(Decimal("10.1234")) == "10.1234"
    assert money_text(Decimal("7")) == "7.00"
    assert money_pb(Decimal("1.1"), "RON").amount == "1.10"


@pytest.mark.parametrize("text", ["", "abc", "NaN", "Infinity", "1.23456", "1" * 50])
def test_decimal_from_text_refuses_what_is_not_a_bounded_decimal(text: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        decimal_from_text(text, "cost")
    assert "cost" in err.value.fields


def test_timestamps_are_utc_both_ways_and_none_stays_unset() -> None:
    local = datetime(2026, 12, 3, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    assert datetime_from_pb(timestamp_pb(local)) == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert optional_timestamp_pb(None) is None
    assert rfc3339(local) == "2026-12-03T08:00:00Z"
    assert rfc3339(None) is None
