"""Contract checks over the generated descriptors of protos/cypher (run `make protos` first)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from types import ModuleType

import pytest
from google.protobuf import descriptor_pb2, message_factory
from google.protobuf.descriptor import (
    Descriptor,
    FieldDescriptor,
    FileDescriptor,
    MethodDescriptor,
    ServiceDescriptor,
)
from google.protobuf.message import Message

import cypher
from cypher.common.v1 import options_pb2

DOMAINS = ("pricing", "inventory", "orders", "quotations", "suppliers", "integration")

# Every event of ARCHITECTURE.md §2, by producer. Adding an event means adding it here.
EXPECTED_EVENT_TYPES = {
    "pricing.price.updated.v1",
    "pricing.product.upserted.v1",
    "pricing.customer.tier_changed.v1",
    "inventory.inventory.reserved.v1",
    "inventory.inventory.released.v1",
    "inventory.inventory.stock_changed.v1",
    "inventory.inventory.low_stock.v1",
    "inventory.inventory.backordered.v1",
    "orders.order.created.v1",
    "orders.order.confirmed.v1",
    "orders.order.status_changed.v1",
    "orders.order.shipped.v1",
    "orders.order.delivered.v1",
    "orders.order.cancelled.v1",
    "orders.order.returned.v1",
    "orders.order.paid.v1",
    "orders.order.backorder_needed.v1",
    "orders.order.quote_requested.v1",
    "orders.customer.upserted.v1",
    "quotations.quotation.created.v1",
    "quotations.quotation.sent.v1",
    "quotations.quotation.accepted.v1",
    "quotations.quotation.rejected.v1",
    "quotations.quotation.expired.v1",
    "quotations.quotation.reminder_due.v1",
    "suppliers.supplier.price_changed.v1",
    "suppliers.supplier.sync_completed.v1",
    "suppliers.supplier.order_placed.v1",
    "suppliers.supplier.order_received.v1",
    "integration.invoice.created.v1",
    "integration.proforma.created.v1",
    "integration.payment.received.v1",
    "integration.woo.sync_completed.v1",
}

MONEY = "cypher.common.v1.Money"
TOTALS = "cypher.common.v1.Totals"
PRICED_LINE = "cypher.pricing.v1.PricedLine"
TIMESTAMP = "google.protobuf.Timestamp"

# A field named like an amount of money must hold Money (or a priced structure).
MONEY_NAME = re.compile(r"(^|_)(cost|amount|spend|net|vat|gross|paid|total|price)$")
NOT_MONEY = {"items_total", "follows_supplier_price", "fully_paid"}

# How deep _fill goes into nested messages (Struct/Value recurse forever).
MAX_DEPTH = 5


def _pb2_modules() -> list[ModuleType]:
    names = [
        info.name
        for info in pkgutil.walk_packages(cypher.__path__, prefix="cypher.")
        if info.name.endswith("_pb2")
    ]
    return [importlib.import_module(name) for name in sorted(names)]


MODULES = _pb2_modules()


def _file(module: ModuleType) -> FileDescriptor:
    file_descriptor: FileDescriptor = module.DESCRIPTOR
    return file_descriptor


def _walk(descriptor: Descriptor) -> Iterator[Descriptor]:
    yield descriptor
    for nested in descriptor.nested_types:
        if not descriptor.GetOptions().map_entry:
            yield from _walk(nested)


def _all_messages() -> list[Descriptor]:
    return [
        message
        for module in MODULES
        for top in _file(module).message_types_by_name.values()
        for message in _walk(top)
    ]


def _events_modules() -> list[ModuleType]:
    return [m for m in MODULES if m.__name__.endswith(".events_pb2")]


def _event_messages() -> list[Descriptor]:
    return [
        message
        for module in _events_modules()
        for message in _file(module).message_types_by_name.values()
    ]


def _services() -> list[ServiceDescriptor]:
    return [service for module in MODULES for service in _file(module).services_by_name.values()]


def _event_type(message: Descriptor) -> str:
    options = message.GetOptions()
    if not options.HasExtension(options_pb2.event_type):
        return ""
    value: str = options.Extensions[options_pb2.event_type]
    return value


def _domain(message: Descriptor) -> str:
    return message.file.package.split(".")[1]


def test_every_domain_has_a_service_and_an_events_file() -> None:
    packages_with_events = {_file(m).package for m in _events_modules()}
    services = {s.full_name for s in _services()}

    for domain in DOMAINS:
        assert f"cypher.{domain}.v1" in packages_with_events
        assert f"cypher.{domain}.v1.{domain.capitalize()}Service" in services


@pytest.mark.parametrize("message", _event_messages(), ids=lambda m: m.full_name)
def test_every_event_message_declares_its_event_type(message: Descriptor) -> None:
    event_type = _event_type(message)
    domain = _domain(message)

    assert re.fullmatch(rf"{re.escape(domain)}\.[a-z_]+\.[a-z_]+\.v1", event_type), event_type


@pytest.mark.parametrize("message", _event_messages(), ids=lambda m: m.full_name)
def test_event_message_name_is_the_camel_case_event_name(message: Descriptor) -> None:
    _, aggregate, event, _ = _event_type(message).split(".")
    expected = "".join(part.capitalize() for part in f"{aggregate}_{event}".split("_"))

    assert message.name == expected


@pytest.mark.parametrize("message", _event_messages(), ids=lambda m: m.full_name)
def test_every_event_carries_occurred_at(message: Descriptor) -> None:
    field = message.fields_by_name.get("occurred_at")

    assert field is not None
    assert field.message_type is not None
    assert field.message_type.full_name == TIMESTAMP


def test_event_types_are_unique_and_complete() -> None:
    event_types = [_event_type(m) for m in _event_messages()]

    assert len(event_types) == len(set(event_types))
    assert set(event_types) == EXPECTED_EVENT_TYPES


def test_only_event_messages_declare_an_event_type() -> None:
    events = {m.full_name for m in _event_messages()}
    declaring = {m.full_name for m in _all_messages() if _event_type(m)}

    assert declaring <= events


def _sample_scalar(field: FieldDescriptor) -> object:
    t = field.type
    if t == FieldDescriptor.TYPE_STRING:
        return f"{field.name}-1"
    if t == FieldDescriptor.TYPE_BYTES:
        return b"\x00\x01pdf"
    if t == FieldDescriptor.TYPE_BOOL:
        return True
    if t == FieldDescriptor.TYPE_ENUM:
        assert field.enum_type is not None
        return field.enum_type.values[-1].number
    return 7  # every integer type


def _fill(message: Message, descriptor: Descriptor, depth: int = 0) -> None:
    """Set every field (one element per repeated/map field, one member per oneof)."""
    chosen_oneofs: set[str] = set()
    for field in descriptor.fields:
        oneof = field.containing_oneof
        if oneof is not None and not _is_synthetic(oneof.name, field):
            if oneof.name in chosen_oneofs:
                continue
            chosen_oneofs.add(oneof.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key_field = field.message_type.fields_by_name["key"]
            value_field = field.message_type.fields_by_name["value"]
            container = getattr(message, field.name)
            key = _sample_scalar(key_field)
            if value_field.message_type is not None:
                if depth < MAX_DEPTH:
                    _fill(container[key], value_field.message_type, depth + 1)
            else:
                container[key] = _sample_scalar(value_field)
        elif field.message_type is not None:
            if depth >= MAX_DEPTH:
                continue
            if field.is_repeated:
                _fill(getattr(message, field.name).add(), field.message_type, depth + 1)
            else:
                child = getattr(message, field.name)
                _fill(child, field.message_type, depth + 1)
                child.SetInParent()
        elif field.is_repeated:
            getattr(message, field.name).append(_sample_scalar(field))
        else:
            setattr(message, field.name, _sample_scalar(field))


def _is_synthetic(oneof_name: str, field: FieldDescriptor) -> bool:
    # proto3 `optional` fields live in a synthetic oneof named "_<field>".
    return oneof_name == f"_{field.name}"


@pytest.mark.parametrize("descriptor", _all_messages(), ids=lambda m: m.full_name)
def test_every_message_round_trips(descriptor: Descriptor) -> None:
    cls = message_factory.GetMessageClass(descriptor)
    original = cls()
    _fill(original, descriptor)

    decoded = cls.FromString(original.SerializeToString())

    assert decoded == original
    assert decoded.SerializeToString(deterministic=True) == original.SerializeToString(
        deterministic=True
    )


def _list_methods() -> list[MethodDescriptor]:
    return [
        method
        for service in _services()
        for method in service.methods
        if method.name.startswith("List")
    ]


def _field_types(message: Descriptor) -> set[str]:
    return {f.message_type.full_name for f in message.fields if f.message_type is not None}


@pytest.mark.parametrize("method", _list_methods(), ids=lambda m: m.full_name)
def test_list_rpcs_are_paginated(method: MethodDescriptor) -> None:
    page_request = method.input_type.fields_by_name.get("page")
    page_response = method.output_type.fields_by_name.get("page")

    assert page_request is not None
    assert page_request.message_type is not None
    assert page_request.message_type.full_name == "cypher.common.v1.PageRequest"
    assert page_response is not None
    assert page_response.message_type is not None
    assert page_response.message_type.full_name == "cypher.common.v1.PageResponse"


def test_only_list_rpcs_take_a_page() -> None:
    paged = {
        method.full_name
        for service in _services()
        for method in service.methods
        if "cypher.common.v1.PageRequest" in _field_types(method.input_type)
    }

    assert paged == {m.full_name for m in _list_methods()}


def test_no_float_or_double_anywhere() -> None:
    floats = [
        f"{message.full_name}.{field.name}"
        for message in _all_messages()
        for field in message.fields
        if field.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE)
    ]

    assert floats == []


def test_money_fields_are_money() -> None:
    allowed = {MONEY, TOTALS, PRICED_LINE}
    wrong = [
        f"{message.full_name}.{field.name}"
        for message in _all_messages()
        if message.full_name not in (MONEY, TOTALS)
        for field in message.fields
        if MONEY_NAME.search(field.name)
        and field.name not in NOT_MONEY
        and (field.message_type is None or field.message_type.full_name not in allowed)
    ]

    assert wrong == []


def test_event_type_option_is_registered_on_message_options() -> None:
    extension = options_pb2.event_type

    assert extension.number == 50001
    assert extension.containing_type is not None
    assert extension.containing_type.full_name == "google.protobuf.MessageOptions"
    assert extension.containing_type is descriptor_pb2.MessageOptions.DESCRIPTOR
