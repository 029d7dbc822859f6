"""Webhook rules: the signature scheme, the address rules (SSRF), the retry schedule
and which endpoint receives which event."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from integration.webhooks.domain.hooks import (
    PRICE_CHANGED,
    Delivery,
    DeliveryStatus,
    Endpoint,
    InvalidWebhook,
    Occurrence,
    RetrySchedule,
    check_event_types,
    check_resolved,
    check_url,
    is_public_address,
    matches,
    new_secret,
    signature_header,
    verify,
)
from integration.webhooks.settings import DEFAULT_SCHEDULE

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
BODY = b'{"id":"d1","type":"order.shipped","created_at":"2026-12-03T12:00:00+00:00","data":{}}'


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    header = signature_header("whsec_abc", 1764763200, BODY)
    expected = hmac.new(b"whsec_abc", b"1764763200." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1764763200,v1={expected}"
    assert verify("whsec_abc", header, BODY, now=1764763200 + 299)


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        ("whsec_other", BODY, 1764763200),  # wrong secret
        ("whsec_abc", BODY + b" ", 1764763200),  # body changed
        ("whsec_abc", BODY, 1764763200 + 301),  # too old: a replay
        ("whsec_abc", BODY, 1764763200 - 301),  # from the future
    ],
)
def test_verification_refuses(secret: str, body: bytes, now: int) -> None:
    assert not verify(secret, signature_header("whsec_abc", 1764763200, BODY), body, now=now)


def test_a_garbled_header_is_refused() -> None:
    assert not verify("s", "v1=abc", BODY, now=0)
    assert not verify("s", "t=x,v1=abc", BODY, now=0)


def test_generated_secrets_are_long_and_distinct() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(s.startswith("whsec_") and len(s) > 40 for s in secrets)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "fc00::5",
        "fd00:ec2::254",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:0a00:0001::1",
        "not-an-ip",
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "ftp://hooks.example.com/x",
        "https://",
        "https://127.0.0.1/x",
        "https://[::1]:8443/x",
        "https://localhost/x",
        "https://printer.local/x",
        "https://metadata.google.internal/x",
        "https://intranet/x",
        "https://a:b@hooks.example.com/x",
        "https://hooks.example.com:99999/x",
        "",
    ],
)
def test_refused_urls(url: str) -> None:
    with pytest.raises(InvalidWebhook) as refused:
        check_url(url, ())
    assert refused.value.field == "url"


def test_the_allow_list_admits_local_hosts_and_http() -> None:
    target = check_url("http://127.0.0.1:8999/hooks", ["127.0.0.1"])
    assert (target.host, target.port, target.allow_listed) == ("127.0.0.1", 8999, True)
    check_resolved(target, [])  # not resolved, not checked
    with pytest.raises(InvalidWebhook):
        check_url("http://127.0.0.2/hooks", ["127.0.0.1"])


def test_every_resolved_address_must_be_public() -> None:
    target = check_url("https://hooks.example.com/x", ())
    check_resolved(target, ["93.184.216.34"])
    for addresses in ([], ["93.184.216.34", "10.0.0.1"], ["169.254.169.254"]):
        with pytest.raises(InvalidWebhook):
            check_resolved(target, addresses)


def test_event_types_are_known_and_deduplicated() -> None:
    assert check_event_types(["order.shipped", "order.shipped", "price.changed"]) == (
        "order.shipped",
        "price.changed",
    )
    for bad in ([], ["order.exploded"]):
        with pytest.raises(InvalidWebhook):
            check_event_types(bad)


def test_the_default_schedule_retries_for_up_to_a_day() -> None:
    schedule = RetrySchedule.parse(DEFAULT_SCHEDULE)
    assert timedelta(hours=20) < schedule.span() <= timedelta(days=1)
    assert schedule.max_attempts == 9
    assert schedule.next_delay(1) == timedelta(seconds=30)
    assert schedule.next_delay(8) == timedelta(hours=12)
    assert schedule.next_delay(9) is None


def delivery() -> Delivery:
    return Delivery(
        id=uuid.uuid4(),
        endpoint_id=uuid.uuid4(),
        event_id="e1",
        event_type="order.shipped",
        customer_id="c1",
        payload={},
        created_at=NOW,
        next_attempt_at=NOW,
    )


def test_a_delivery_backs_off_then_parks_and_is_redelivered() -> None:
    schedule = RetrySchedule.parse("10,20")
    d = delivery()
    d.failed("HTTP 500", 500, NOW, schedule)
    assert (d.status, d.attempts, d.next_attempt_at) == (
        DeliveryStatus.PENDING,
        1,
        NOW + timedelta(seconds=10),
    )
    d.failed("timeout", 0, NOW, schedule)
    assert d.next_attempt_at == NOW + timedelta(seconds=20)
    d.failed("HTTP 503", 503, NOW, schedule)
    assert (d.status, d.attempts) == (DeliveryStatus.PARKED, 3)
    assert d.next_attempt_at is None
    d.redeliver(NOW)
    assert (d.status, d.attempts, d.next_attempt_at) == (DeliveryStatus.PENDING, 0, NOW)
    d.succeeded(200, NOW)
    assert (d.status, d.attempts, d.delivered_at) == (DeliveryStatus.DELIVERED, 1, NOW)


def endpoint(customer_id: str, *types: str, active: bool = True) -> Endpoint:
    return Endpoint(uuid.uuid4(), customer_id, "https://x.example/", types, "s", active, NOW)


def test_matching_scopes_customer_endpoints_to_their_customer() -> None:
    shipped = Occurrence("order.shipped", customer_id="c1")
    none: frozenset[str] = frozenset()
    assert matches(endpoint("c1", "order.shipped"), shipped, none)
    assert matches(endpoint("", "order.shipped"), shipped, none)  # staff: every customer
    assert not matches(endpoint("c2", "order.shipped"), shipped, none)
    assert not matches(endpoint("c1", "order.confirmed"), shipped, none)
    assert not matches(endpoint("c1", "order.shipped", active=False), shipped, none)


def test_price_changes_match_the_customers_that_bought_the_sku() -> None:
    price = Occurrence(PRICE_CHANGED, sku="LED-1")
    buyers = frozenset({"c1"})
    assert matches(endpoint("c1", PRICE_CHANGED), price, buyers)
    assert not matches(endpoint("c2", PRICE_CHANGED), price, buyers)
    assert matches(endpoint("", PRICE_CHANGED), price, frozenset())
