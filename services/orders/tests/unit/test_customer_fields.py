"""Customer field validation: required name/email, CUI checked, every bad field named."""

from __future__ import annotations

import pytest

from orders.domain.customer import CustomerFields, clean_customer_fields
from orders.errors import ValidationFailed


def test_valid_fields_are_normalized() -> None:
    fields = clean_customer_fields(
        CustomerFields(
            name="  Lumina SRL ",
            email="office@lumina.ro",
            vat_code="ro14399840",
            phone="+40 721 000 000",
        ),
        creating=True,
    )
    assert fields.name == "Lumina SRL"
    assert fields.vat_code == "RO14399840"


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_customer_fields(
            CustomerFields(name="", email="nope", vat_code="RO14399841", phone="x"),
            creating=True,
        )
    assert set(caught.value.fields) == {"name", "email", "vat_code", "phone"}
    assert "check digit" in caught.value.fields["vat_code"]


def test_an_update_checks_only_the_fields_given() -> None:
    assert clean_customer_fields(CustomerFields(company=" ACME "), creating=False) == (
        CustomerFields(company="ACME")
    )


def test_an_empty_vat_code_is_allowed_for_private_persons() -> None:
    fields = CustomerFields(name="Ion", email="ion@x.ro", vat_code="")
    assert clean_customer_fields(fields, creating=True).vat_code == ""


def test_a_trade_register_number_is_normalized_and_checked() -> None:
    for given, kept in [
        (" j12/1234/2010 ", "J12/1234/2010"),
        ("J2010001234123", "J2010001234123"),
        ("", ""),
    ]:
        assert clean_customer_fields(CustomerFields(reg_com=given), creating=False).reg_com == kept
    for bad in ("12/1234/2010", "J1", "J12/1234/2010; DROP", "J" + "1" * 40):
        with pytest.raises(ValidationFailed) as caught:
            clean_customer_fields(CustomerFields(reg_com=bad), creating=False)
        assert set(caught.value.fields) == {"reg_com"}, bad
