"""Webhooks end to end inside the service: events in over RabbitMQ, signed POSTs out to
a receiver served by the test, retries, parking, redelivery on request, customer
scoping and the address rules at registration and at delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import grpc
import pytest

from cypher.common.v1 import money_pb2
from cypher.integration.v1 import integration_pb2 as pb
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.orders.v1 import orders_pb2
from cypher.pricing.v1 import events_pb2 as pricing_events
from cypher_testkit.polling import eventually

from .webhook_harness import WebhookHarness, hooks, receiver
from .webhook_receiver import Receiver

__all__ = ["hooks", "receiver"]

SECRET = "whsec_test_0123456789abcdef"


def valid_signature(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Verified as a partner would, independently of the service's code."""
    parts = dict(item.split("=", 1) for item in headers["webhook-signature"].split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return (
        parts["t"] == headers["webhook-timestamp"]
        and abs(time.time() - int(parts["t"])) < 300
        and hmac.compare_digest(expected, parts["v1"])
    )


async def test_confirmed_and_shipped_arrive_once_each_signed(
    hooks: WebhookHarness, receiver: Receiver
) -> None:
    customer, other = str(uuid.uuid4()), str(uuid.uuid4())
    mine = await hooks.endpoint(
        receiver.url, ["order.confirmed", "order.shipped"], customer_id=customer, secret=SECRET
    )
    assert mine.secret == SECRET
    assert mine.customer_id == customer
    theirs_receiver = Receiver()
    await theirs_receiver.start()
    try:
        theirs = await hooks.endpoint(
            theirs_receiver.url, ["order.confirmed", "order.shipped"], customer_id=other
        )
        order_id, confirmed_id = await hooks.status_changed(
            customer, orders_pb2.ORDER_STATUS_ORDER_CONFIRMED
        )
        # The same event again (a redelivery), a status nobody subscribed to, then shipped.
        await hooks.status_changed(
            customer,
            orders_pb2.ORDER_STATUS_ORDER_CONFIRMED,
            order_id=order_id,
            event_id=confirmed_id,
        )
        await hooks.status_changed(
            customer, orders_pb2.ORDER_STATUS_READY_TO_SHIP, order_id=order_id
        )
        await hooks.status_changed(customer, orders_pb2.ORDER_STATUS_SHIPPED, order_id=order_id)
        rows = await hooks.deliveries_when(
            mine.id,
            lambda ds: len(ds) == 2 and all(d.status == "DELIVERED" for d in ds),
            "two deliveries DELIVERED",
        )
        assert sorted(d.event_type for d in rows) == ["order.confirmed", "order.shipped"]
        assert all(d.attempts == 1 and d.last_status_code == 200 for d in rows)
        assert [json.loads(r.body)["type"] for r in receiver.received] == [
            "order.confirmed",
            "order.shipped",
        ]
        for request in receiver.received:
            assert request.method == "POST"
            assert request.headers["content-type"] == "application/json"
            assert valid_signature(SECRET, request.headers, request.body)
            assert not valid_signature("whsec_someone_else_000000", request.headers, request.body)
            body = json.loads(request.body)
            assert body["id"] == request.headers["webhook-id"]
            assert body["id"] in {d.id for d in rows}
            assert body["data"]["order_id"] == order_id
            assert body["data"]["customer_id"] == customer
            assert set(body) == {"id", "type", "created_at", "data"}
        # The other customer's endpoint saw nothing of this customer's order.
        assert await hooks.deliveries(theirs.id) == []
        assert theirs_receiver.received == []
    finally:
        await theirs_receiver.stop()


async def test_a_receiver_failing_three_times_gets_it_on_the_fourth(
    hooks: WebhookHarness, receiver: Receiver
) -> None:
    receiver.fail_first = 3
    customer = str(uuid.uuid4())
    endpoint = await hooks.endpoint(receiver.url, ["order.shipped"], customer_id=customer)
    await hooks.status_changed(customer, orders_pb2.ORDER_STATUS_SHIPPED)
    [row] = await hooks.deliveries_when(
        endpoint.id, lambda ds: len(ds) == 1 and ds[0].status == "DELIVERED", "delivered"
    )
    assert (row.attempts, row.last_status_code) == (4, 200)
    assert len(receiver.received) == 4
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1  # the same bytes every time
    assert all(valid_signature(endpoint.secret, r.headers, r.body) for r in receiver.received)


async def test_parked_after_the_schedule_then_redelivered_on_request(
    hooks: WebhookHarness, receiver: Receiver
) -> None:
    receiver.fail_first = 1_000_000
    customer = str(uuid.uuid4())
    endpoint = await hooks.endpoint(receiver.url, ["order.cancelled"], customer_id=customer)
    await hooks.status_changed(customer, orders_pb2.ORDER_STATUS_CANCELLED)
    [row] = await hooks.deliveries_when(
        endpoint.id, lambda ds: len(ds) == 1 and ds[0].status == "PARKED", "parked"
    )
    # The schedule has three delays: four attempts, then parked.
    assert (row.attempts, row.last_status_code) == (4, 500)
    assert "HTTP 500" in row.last_error
    assert not row.HasField("next_attempt_at")
    assert len(receiver.received) == 4
    parked = await hooks.stub.ListWebhookDeliveries(
        pb.ListWebhookDeliveriesRequest(endpoint_id=endpoint.id, status="PARKED")
    )
    assert [d.id for d in parked.deliveries] == [row.id]

    receiver.fail_first = 0
    retried = await hooks.stub.RetryWebhookDelivery(
        pb.RetryWebhookDeliveryRequest(endpoint_id=endpoint.id, delivery_id=row.id)
    )
    assert retried.delivery.status == "PENDING"
    [done] = await hooks.deliveries_when(
        endpoint.id, lambda ds: ds[0].status == "DELIVERED", "redelivered"
    )
    assert (done.id, done.attempts) == (row.id, 1)
    assert len(receiver.received) == 5
    assert receiver.received[-1].headers["webhook-id"] == row.id


async def test_price_changes_go_to_the_customers_that_bought_the_sku(
    hooks: WebhookHarness, receiver: Receiver
) -> None:
    buyer, other = str(uuid.uuid4()), str(uuid.uuid4())
    mine = await hooks.endpoint(receiver.url, ["price.changed"], customer_id=buyer)
    theirs = await hooks.endpoint(receiver.url, ["price.changed"], customer_id=other)
    staff = await hooks.endpoint(receiver.url, ["price.changed"])
    await hooks.publish(
        orders_events.OrderConfirmed(
            order_id=str(uuid.uuid4()),
            customer_id=buyer,
            lines=[orders_pb2.OrderLine(sku="LED-PAN-60", quantity=4)],
        )
    )

    async def learned() -> bool:
        async with hooks.app.runtime.db.unit_of_work() as uow:
            from integration.webhooks.db import CustomerSkus

            return buyer in await CustomerSkus(uow).buyers("LED-PAN-60")

    await eventually(learned, timeout=20, what="sku learned")
    for sku in ("LED-PAN-60", "LED-BULB-9W"):
        await hooks.publish(
            pricing_events.PriceUpdated(
                sku=sku,
                new_list_price=money_pb2.Money(amount="99.00", currency="RON"),
                version=2,
            )
        )
    [delivery] = await hooks.deliveries_when(mine.id, lambda ds: len(ds) == 1, "buyer's delivery")
    await hooks.deliveries_when(staff.id, lambda ds: len(ds) == 2, "staff sees both")
    assert await hooks.deliveries(theirs.id) == []
    await hooks.deliveries_when(mine.id, lambda ds: ds[0].status == "DELIVERED", "delivered")
    body = json.loads(
        next(r.body for r in receiver.received if r.headers["webhook-id"] == delivery.id)
    )
    assert body["data"]["sku"] == "LED-PAN-60"
    assert body["data"]["new_list_price"] == {"amount": "99.00", "currency": "RON"}


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.partner.example/x", "https"),
        ("https://169.254.169.254/latest/meta-data", "not public"),
        ("https://10.1.2.3/hook", "not public"),
        ("https://192.168.0.10/hook", "not public"),
        ("https://[::1]/hook", "not public"),
        ("https://[fd00::1]/hook", "not public"),
        ("https://[::ffff:127.0.0.1]/hook", "not public"),
        ("https://localhost/hook", "not a public name"),
        ("https://inside.example/hook", "resolves to non-public"),
        ("https://nowhere.example/hook", "does not resolve"),
        ("https://user:pw@hooks.partner.example/", "credentials"),
    ],
)
async def test_registration_refuses_addresses_that_are_not_public(
    hooks: WebhookHarness, url: str, why: str
) -> None:
    hooks.resolver.names["inside.example"] = ["93.184.216.34", "10.0.0.7"]
    hooks.resolver.names["hooks.partner.example"] = ["93.184.216.34"]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await hooks.endpoint(url, ["order.shipped"])
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert why in (refused.value.details() or "")


async def test_a_name_repointed_inside_is_refused_at_delivery(hooks: WebhookHarness) -> None:
    hooks.resolver.names["hooks.partner.example"] = ["93.184.216.34"]
    customer = str(uuid.uuid4())
    endpoint = await hooks.endpoint(
        "https://hooks.partner.example/cypher", ["order.shipped"], customer_id=customer
    )
    hooks.resolver.names["hooks.partner.example"] = ["169.254.169.254"]
    await hooks.status_changed(customer, orders_pb2.ORDER_STATUS_SHIPPED)
    [row] = await hooks.deliveries_when(
        endpoint.id, lambda ds: len(ds) == 1 and ds[0].status == "PARKED", "parked"
    )
    assert "resolves to non-public 169.254.169.254" in row.last_error


async def test_an_endpoint_is_visible_to_its_owner_and_staff_only(
    hooks: WebhookHarness, receiver: Receiver
) -> None:
    owner, stranger = str(uuid.uuid4()), str(uuid.uuid4())
    endpoint = await hooks.endpoint(receiver.url, ["order.shipped"], customer_id=owner)
    got = await hooks.stub.GetWebhookEndpoint(
        pb.GetWebhookEndpointRequest(id=endpoint.id, owner_customer_id=owner)
    )
    assert got.endpoint.secret == ""  # shown once, on create
    for call in (
        hooks.stub.GetWebhookEndpoint(
            pb.GetWebhookEndpointRequest(id=endpoint.id, owner_customer_id=stranger)
        ),
        hooks.stub.DeleteWebhookEndpoint(
            pb.DeleteWebhookEndpointRequest(id=endpoint.id, owner_customer_id=stranger)
        ),
        hooks.stub.ListWebhookDeliveries(
            pb.ListWebhookDeliveriesRequest(endpoint_id=endpoint.id, owner_customer_id=stranger)
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await call
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    listed = await hooks.stub.ListWebhookEndpoints(
        pb.ListWebhookEndpointsRequest(owner_customer_id=stranger)
    )
    assert list(listed.endpoints) == []
    staff = await hooks.stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest())
    assert endpoint.id in [e.id for e in staff.endpoints]
    updated = await hooks.stub.UpdateWebhookEndpoint(
        pb.UpdateWebhookEndpointRequest(
            id=endpoint.id,
            owner_customer_id=owner,
            active=False,
            event_types=["order.shipped", "order.delivered"],
            set_event_types=True,
        )
    )
    assert (updated.endpoint.active, list(updated.endpoint.event_types)) == (
        False,
        ["order.shipped", "order.delivered"],
    )
    await hooks.stub.DeleteWebhookEndpoint(
        pb.DeleteWebhookEndpointRequest(id=endpoint.id, owner_customer_id=owner)
    )
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await hooks.stub.GetWebhookEndpoint(pb.GetWebhookEndpointRequest(id=endpoint.id))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_paused_endpoint_records_nothing_and_a_bad_url_is_refused_on_update(
    hooks: WebhookHarness, receiver: Receiver
) -> None:
    customer = str(uuid.uuid4())
    paused = await hooks.endpoint(receiver.url, ["order.delivered"], customer_id=customer)
    await hooks.stub.UpdateWebhookEndpoint(
        pb.UpdateWebhookEndpointRequest(id=paused.id, active=False)
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await hooks.stub.UpdateWebhookEndpoint(
            pb.UpdateWebhookEndpointRequest(id=paused.id, url="https://10.0.0.1/x")
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    marker = await hooks.endpoint(receiver.url, ["order.invoiced"], customer_id=customer)
    order_id, _ = await hooks.status_changed(customer, orders_pb2.ORDER_STATUS_DELIVERED)
    await hooks.status_changed(customer, orders_pb2.ORDER_STATUS_INVOICED, order_id=order_id)
    await hooks.deliveries_when(
        marker.id, lambda ds: len(ds) == 1 and ds[0].status == "DELIVERED", "marker delivered"
    )
    assert await hooks.deliveries(paused.id) == []
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["order.invoiced"]
