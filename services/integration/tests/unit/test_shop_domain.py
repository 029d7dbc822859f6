"""The shop sync's pure rules: what the shop shows, batches, runs, the daily schedule."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cypher_testkit.purity import assert_domain_is_pure
from integration.shop.domain.products import (
    PriceFacts,
    StockStatus,
    gross,
    shop_product,
    stock_status,
)
from integration.shop.domain.runs import RunStatus, SyncMode, SyncRun, batches
from integration.shop.domain.schedule import last_daily, next_daily, parse_time_of_day

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_shop_domain_is_pure() -> None:
    assert_domain_is_pure("integration.shop")


def facts(net: str, effective: str, promotion: str = "") -> PriceFacts:
    return PriceFacts(Decimal(net), Decimal("21"), Decimal(effective), promotion)


def test_regular_price_is_the_gross_list_price() -> None:
    product = shop_product("A", "Panou", facts("130.00", "157.30"), 5, backorders=False)
    assert product.regular_price == Decimal("157.30")
    assert product.sale is None
    assert (product.stock_quantity, product.stock_status) == (5, StockStatus.IN_STOCK)


def test_a_promotion_is_a_sale_with_its_window() -> None:
    ends = NOW + timedelta(days=3)
    price = PriceFacts(Decimal("130"), Decimal("21"), Decimal("141.57"), "p1", NOW, ends)
    product = shop_product("A", "Panou", price, 1, backorders=False)
    assert product.sale is not None
    assert (product.sale.price, product.sale.starts_at, product.sale.ends_at) == (
        Decimal("141.57"),
        NOW,
        ends,
    )


def test_no_sale_without_a_lower_promotional_price() -> None:
    assert shop_product("A", "", facts("130", "157.30", "p1"), 1, backorders=False).sale is None
    assert shop_product("A", "", facts("130", "150.00"), 1, backorders=False).sale is None


@pytest.mark.parametrize(
    ("available", "backorders", "expected"),
    [
        (3, False, StockStatus.IN_STOCK),
        (0, False, StockStatus.OUT_OF_STOCK),
        (0, True, StockStatus.ON_BACKORDER),
        (-2, False, StockStatus.OUT_OF_STOCK),
    ],
)
def test_stock_status(available: int, backorders: bool, expected: StockStatus) -> None:
    assert stock_status(available, backorders=backorders) == expected


def test_negative_availability_shows_as_zero() -> None:
    assert shop_product("A", "", facts("1", "1.21"), -3, backorders=False).stock_quantity == 0


@given(st.decimals(min_value=0, max_value=100000, places=2))
def test_gross_is_rounded_to_the_cent(net: Decimal) -> None:
    value = gross(net, Decimal("21"))
    assert value == value.quantize(Decimal("0.01"))
    assert abs(value - net * Decimal("1.21")) <= Decimal("0.005")


@given(st.integers(min_value=0, max_value=1000), st.integers(min_value=1, max_value=100))
def test_batches_never_exceed_the_limit_and_keep_everything(count: int, size: int) -> None:
    items = list(range(count))
    chunks = list(batches(items, size))
    assert all(0 < len(c) <= size for c in chunks)
    assert [i for c in chunks for i in c] == items


def test_250_items_are_3_batches() -> None:
    assert [len(c) for c in batches(list(range(250)))] == [100, 100, 50]


def test_a_batch_above_the_shop_limit_is_refused() -> None:
    with pytest.raises(ValueError, match=r"1\.\.100"):
        list(batches([1], 101))


def test_run_outcomes() -> None:
    ok = SyncRun.start(SyncMode.FULL, NOW)
    ok.count_batch(succeeded=100, failed=0)
    ok.finish(NOW)
    assert ok.status == RunStatus.SUCCEEDED

    partial = SyncRun.start(SyncMode.INCREMENTAL, NOW)
    partial.count_batch(succeeded=99, failed=1)
    partial.finish(NOW)
    assert partial.status == RunStatus.PARTIAL
    assert (partial.items_total, partial.batches) == (100, 1)

    down = SyncRun.start(SyncMode.RETRY_FAILED, NOW)
    down.defer(10, "shop down")
    down.finish(NOW)
    assert down.status == RunStatus.FAILED
    assert down.error == "shop down"
    with pytest.raises(ValueError):
        down.finish(NOW)


def test_daily_times() -> None:
    three = parse_time_of_day("03:00")
    assert three == time(3, 0)
    assert next_daily(three, NOW) == datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    assert last_daily(three, NOW) == datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    noon = parse_time_of_day("12:00")
    assert next_daily(noon, NOW) == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    # Exactly at the time: the next one is tomorrow (a run that just fired is not repeated).
    assert next_daily(noon, datetime(2026, 12, 3, 12, 0, tzinfo=UTC)).day == 4
    for bad in ("3", "25:00x", "ab:cd", "12:5"):
        with pytest.raises(ValueError):
            parse_time_of_day(bad)
