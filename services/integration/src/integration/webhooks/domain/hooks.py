"""Webhook endpoints and deliveries: which events an endpoint receives, the delivery's
status machine (PENDING → DELIVERED, or PARKED after the retry schedule), the signature
scheme and the address rules that keep deliveries off internal networks (SSRF)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

ORDER_EVENTS: dict[str, str] = {
    # order status (REST name) → event type
    "ORDER_CONFIRMED": "order.confirmed",
    "SHIPPED": "order.shipped",
    "DELIVERED": "order.delivered",
    "INVOICED": "order.invoiced",
    "CANCELLED": "order.cancelled",
}
QUOTATION_SENT = "quotation.sent"
QUOTATION_EXPIRING = "quotation.expiring"
PRICE_CHANGED = "price.changed"
EVENT_TYPES: tuple[str, ...] = (
    *ORDER_EVENTS.values(),
    QUOTATION_SENT,
    QUOTATION_EXPIRING,
    PRICE_CHANGED,
)
MAX_EVENT_TYPES = len(EVENT_TYPES)


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    PARKED = "PARKED"


class InvalidWebhook(Exception):
    """A refused endpoint field; `field` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


# -- signing -----------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """hex HMAC-SHA256 of `<timestamp>.<raw body>` with the endpoint's secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: parse `t=…,v1=…`, recompute, compare in constant time, and
    refuse a timestamp further than `tolerance` seconds from its own clock."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))


# -- addresses (SSRF) --------------------------------------------------------------------

_BLOCKED_NAMES = ("localhost", "localhost.localdomain", "metadata.google.internal")
_BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def is_public_address(address: str) -> bool:
    """True only for a globally routable unicast address: not loopback, private
    (10/8, 172.16/12, 192.168/16), shared (100.64/10), link-local (169.254/16 with the
    cloud metadata address, fe80::/10), unique-local (fc00::/7), multicast, reserved,
    unspecified, documentation; an IPv4-mapped / 6to4 / NAT64 IPv6 address is judged by
    the IPv4 address inside it."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in ipaddress.IPv6Network("64:ff9b::/96"):
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return is_public_address(str(inner))
    return bool(
        ip.is_global
        and not ip.is_multicast
        and not ip.is_private
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_reserved
        and not ip.is_unspecified
    )


@dataclass(frozen=True)
class Target:
    url: str
    host: str
    port: int
    allow_listed: bool


def check_url(url: str, allow_hosts: Iterable[str]) -> Target:
    """The endpoint's URL as registered: https with a host, no credentials; an IP literal
    must be public; names of the local network are refused. A host of the allow-list
    (development, tests) may be anything and may use http."""
    url = url.strip()
    if not url:
        raise InvalidWebhook("url", "is required")
    if len(url) > 2048:
        raise InvalidWebhook("url", "is longer than 2048 characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidWebhook("url", "is not a URL") from None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise InvalidWebhook("url", "has no host")
    allowed = host in {h.strip().lower() for h in allow_hosts if h.strip()}
    if parts.scheme != "https" and not (allowed and parts.scheme == "http"):
        raise InvalidWebhook("url", "must be an https:// URL")
    if parts.username or parts.password:
        raise InvalidWebhook("url", "must not carry credentials")
    if parts.fragment:
        raise InvalidWebhook("url", "must not have a fragment")
    target = Target(url, host, port or (443 if parts.scheme == "https" else 80), allowed)
    if allowed:
        return target
    if _is_ip(host):
        if not is_public_address(host):
            raise InvalidWebhook("url", f"address {host} is not public")
    elif host in _BLOCKED_NAMES or host.endswith(_BLOCKED_SUFFIXES) or "." not in host:
        raise InvalidWebhook("url", f"host {host} is not a public name")
    return target


def check_resolved(target: Target, addresses: Sequence[str]) -> None:
    """Every address the host resolves to must be public (a name pointing inside is
    refused at registration and again before each delivery)."""
    if target.allow_listed:
        return
    if not addresses:
        raise InvalidWebhook("url", f"host {target.host} does not resolve")
    for address in addresses:
        if not is_public_address(address):
            raise InvalidWebhook("url", f"host {target.host} resolves to non-public {address}")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def check_event_types(types: Iterable[str]) -> tuple[str, ...]:
    found: list[str] = []
    for t in types:
        t = t.strip()
        if t not in EVENT_TYPES:
            raise InvalidWebhook("events", f"unknown event type {t!r} (one of {EVENT_TYPES})")
        if t not in found:
            found.append(t)
    if not found:
        raise InvalidWebhook("events", "name at least one event type")
    return tuple(found)


# -- endpoints and matching --------------------------------------------------------------


@dataclass
class Endpoint:
    id: uuid.UUID
    customer_id: str  # "" = staff endpoint: every customer's events
    url: str
    event_types: tuple[str, ...]
    secret: str
    active: bool
    created_at: datetime
    description: str = ""


@dataclass(frozen=True)
class Occurrence:
    """An event as webhooks see it: its type and the customer it is about ("" for a
    price change, which is about a sku)."""

    type: str
    customer_id: str = ""
    sku: str = ""


def matches(endpoint: Endpoint, occurrence: Occurrence, buyers: frozenset[str]) -> bool:
    """Does the endpoint receive this event? Subscribed and active; a customer's endpoint
    only its own customer's events, and a price change only for a sku that customer has
    ordered (`buyers`: the customers who ordered the sku)."""
    if not endpoint.active or occurrence.type not in endpoint.event_types:
        return False
    if not endpoint.customer_id:
        return True
    if occurrence.type == PRICE_CHANGED:
        return endpoint.customer_id in buyers
    return occurrence.customer_id == endpoint.customer_id


# -- deliveries --------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrySchedule:
    """Delays before the 2nd, 3rd, … attempt; past the last one the delivery parks."""

    delays: tuple[timedelta, ...]

    @classmethod
    def parse(cls, text: str) -> RetrySchedule:
        delays = tuple(timedelta(seconds=float(x)) for x in text.split(",") if x.strip())
        if any(d.total_seconds() < 0 for d in delays):
            raise ValueError("retry delays must not be negative")
        return cls(delays)

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def next_delay(self, attempts: int) -> timedelta | None:
        """After `attempts` failed attempts: the wait before the next, None = park."""
        if attempts < 1 or attempts > len(self.delays):
            return None
        return self.delays[attempts - 1]

    def span(self) -> timedelta:
        return sum(self.delays, timedelta())


@dataclass
class Delivery:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: str
    event_type: str
    customer_id: str
    payload: dict[str, object]
    created_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    last_status_code: int = 0
    last_error: str = ""
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None

    def body(self) -> dict[str, object]:
        return {
            "id": str(self.id),
            "type": self.event_type,
            "created_at": self.created_at.isoformat(),
            "data": self.payload,
        }

    def succeeded(self, status_code: int, now: datetime) -> None:
        self.attempts += 1
        self.status = DeliveryStatus.DELIVERED
        self.last_status_code = status_code
        self.last_error = ""
        self.next_attempt_at = None
        self.delivered_at = now

    def failed(self, error: str, status_code: int, now: datetime, schedule: RetrySchedule) -> None:
        self.attempts += 1
        self.last_status_code = status_code
        self.last_error = error[:1000]
        delay = schedule.next_delay(self.attempts)
        if delay is None:
            self.status = DeliveryStatus.PARKED
            self.next_attempt_at = None
        else:
            self.status = DeliveryStatus.PENDING
            self.next_attempt_at = now + delay

    def refused(self, error: str, now: datetime) -> None:
        """The endpoint's address is not allowed any more: no point retrying."""
        self.attempts += 1
        self.last_status_code = 0
        self.last_error = error[:1000]
        self.status = DeliveryStatus.PARKED
        self.next_attempt_at = None

    def redeliver(self, now: datetime) -> None:
        """By request: queued now, with a fresh retry schedule."""
        self.status = DeliveryStatus.PENDING
        self.attempts = 0
        self.next_attempt_at = now
