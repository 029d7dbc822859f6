"""Pure pieces of the runtime: configuration errors, event envelope, error mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest

from cypher.orders.v1 import events_pb2 as order_events
from cypher.pricing.v1 import events_pb2 as pricing_events
from cypher_runtime.errors import ErrorKind, NotFound
from cypher_runtime.grpc_errors import DETAILS_KEY, error_from_rpc, to_grpc_status
from cypher_runtime.messaging.envelope import (
    Event,
    cloudevent_headers,
    event_registry,
    event_type_of,
)
from cypher_runtime.settings import ConfigurationError, ServiceSettings, load_settings


def test_invalid_configuration_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class DemoSettings(ServiceSettings):
        model_config = {"env_prefix": "DEMO_"}  # type: ignore[assignment]

    monkeypatch.setenv("DEMO_DATABASE_URL", "postgresql+asyncpg://x@y/z")
    monkeypatch.setenv("DEMO_GRPC_PORT", "not-a-port")
    monkeypatch.setenv("DEMO_HTTP_PORT", "8100")
    with pytest.raises(ConfigurationError):
        load_settings(DemoSettings)
    assert "DEMO_GRPC_PORT" in capsys.readouterr().err


def test_common_variables_have_no_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    class DemoSettings(ServiceSettings):
        model_config = {"env_prefix": "DEMO_"}  # type: ignore[assignment]

    monkeypatch.setenv("CYPHER_AMQP_URL", "amqp://u:p@broker:5672/")
    settings = DemoSettings(database_url="x", grpc_port=1, http_port=2)
    assert settings.amqp_url == "amqp://u:p@broker:5672/"


def test_event_type_comes_from_the_message_option() -> None:
    assert event_type_of(order_events.OrderConfirmed) == "orders.order.confirmed.v1"
    assert event_type_of(pricing_events.PriceUpdated()) == "pricing.price.updated.v1"
    assert event_registry()["orders.order.confirmed.v1"] is order_events.OrderConfirmed


def test_non_event_message_is_refused() -> None:
    from cypher.common.v1 import money_pb2

    with pytest.raises(ValueError, match="not an event"):
        event_type_of(money_pb2.Money)


def test_cloudevents_headers_follow_the_amqp_binding() -> None:
    event = Event(order_events.OrderConfirmed(order_id="o1"), "order", "o1", version=4)
    headers = cloudevent_headers(
        event_id=str(event.id),
        event_type=event.type,
        source="/cypher/orders",
        time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        subject="o1",
        aggregate_type="order",
        version=4,
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    )
    assert headers["cloudEvents:specversion"] == "1.0"
    assert headers["cloudEvents:type"] == "orders.order.confirmed.v1"
    assert headers["cloudEvents:time"] == "2026-01-02T03:04:05Z"
    assert headers["cloudEvents:aggregateversion"] == 4
    assert headers["traceparent"].startswith("00-aaaa")


def test_domain_error_round_trips_through_status_details() -> None:
    status, message, trailer = to_grpc_status(
        grpc.StatusCode.NOT_FOUND, NotFound.code, "no such sku", {"sku": "LED-9"}
    )
    assert NotFound.kind is ErrorKind.NOT_FOUND
    assert trailer[0][0] == DETAILS_KEY
    err = grpc.aio.AioRpcError(
        status, grpc.aio.Metadata(), grpc.aio.Metadata(*trailer), details=message
    )
    remote = error_from_rpc(err)
    assert (remote.status, remote.code, remote.message) == (status, "NOT_FOUND", "no such sku")
    assert remote.details == {"sku": "LED-9"}


def test_plain_grpc_error_without_details_keeps_the_status_name() -> None:
    err = grpc.aio.AioRpcError(
        grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), details="down"
    )
    remote = error_from_rpc(err)
    assert (remote.code, remote.message) == ("UNAVAILABLE", "down")


def test_connection_class_database_errors_count_as_unavailable() -> None:
    from asyncpg.exceptions import TooManyConnectionsError
    from sqlalchemy.exc import DBAPIError

    from cypher_runtime.grpc_server import _is_unavailable

    wrapped = DBAPIError("SELECT 1", None, TooManyConnectionsError("sorry, too many clients"))
    assert _is_unavailable(wrapped)
    assert _is_unavailable(ConnectionRefusedError())
    assert not _is_unavailable(ValueError("bad input"))
    assert not _is_unavailable(DBAPIError("SELECT 1", None, ValueError("syntax")))
