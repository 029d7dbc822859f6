"""Mail's pure rules and rendering: retries, recipients, Romanian templates, the MIME
message (text + HTML + PDF)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cypher_testkit.purity import assert_domain_is_pure
from integration.mail.domain.mails import (
    ORDER_STATUS_MAILS,
    Attachment,
    Mail,
    MailStatus,
    RetryPolicy,
    Template,
)
from integration.mail.render import Renderer, lei, procent
from integration.mail.sender import SmtpConfig, compose
from integration.mail.settings import MailSettings

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_mail_domain_is_pure() -> None:
    assert_domain_is_pure("integration.mail")


def mail(**overrides: Any) -> Mail:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "key": "k",
        "template": Template.LOW_STOCK,
        "event_id": "e",
        "created_at": NOW,
        "context": {},
        "to_address": "depozit@x.test",
    }
    values.update(overrides)
    return Mail(**values)


def test_a_mail_has_exactly_one_kind_of_recipient() -> None:
    with pytest.raises(ValueError, match="address or to a customer"):
        mail(to_address="", customer_id="")
    with pytest.raises(ValueError, match="address or to a customer"):
        mail(to_address="a@x.test", customer_id="c1")


def test_retries_double_up_to_a_cap_then_the_mail_fails() -> None:
    policy = RetryPolicy(
        max_attempts=4, first_delay=timedelta(seconds=30), max_delay=timedelta(minutes=1)
    )
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 60, 60]
    m = mail()
    for expected in (30, 60, 60):
        m.failed_attempt("SMTP down", NOW, policy)
        assert m.status == MailStatus.PENDING
        assert m.next_attempt_at == NOW + timedelta(seconds=expected)
    m.failed_attempt("SMTP down", NOW, policy)
    assert m.status == MailStatus.FAILED
    assert m.attempts == 4
    assert m.next_attempt_at is None


def test_a_refusal_fails_at_once_and_a_send_records_to_whom() -> None:
    refused = mail()
    refused.refused("recipient rejected")
    assert (refused.status, refused.attempts) == (MailStatus.FAILED, 1)
    sent = mail(to_address="", customer_id="c1")
    sent.sent("ana@x.test", "Subiect", NOW)
    assert (sent.status, sent.to_address, sent.sent_at) == (MailStatus.SENT, "ana@x.test", NOW)


def test_the_order_statuses_that_are_mailed() -> None:
    assert set(ORDER_STATUS_MAILS) == {"ORDER_CONFIRMED", "SHIPPED", "DELIVERED", "INVOICED"}


def test_romanian_formats() -> None:
    assert lei("1234567.5") == "1.234.567,50 lei"
    assert lei("-3") == "-3,00 lei"
    assert procent("12.34") == "+12,3 %"
    assert procent("-7") == "-7,0 %"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(MailSettings().company())


def context() -> dict[str, Any]:
    return {
        "number": "OF-2026-0001",
        "customer_name": "Ștefan Țăranu",
        "message": "<b>atenție</b>",
        "valid_until": "2026-12-18",
        "days_before_expiry": 7,
        "totals": {"net": "100", "vat": "21", "gross": "121"},
        "sku": "LED-1",
        "warehouse": "A",
        "available": 1,
        "threshold": 3,
        "total_available": 4,
        "supplier": "aca",
        "supplier_sku": "ACA-1",
        "change_pct": "11",
        "old_price": "10",
        "new_price": "11.10",
        "currency": "EUR",
    }


@pytest.mark.parametrize("template", list(Template))
def test_every_template_renders_both_parts(renderer: Renderer, template: Template) -> None:
    rendered = renderer.render(template, context())
    assert rendered.subject
    assert "\n" not in rendered.subject
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert 'lang="ro"' in rendered.html
    assert "CYPHER Iluminat" in rendered.html
    assert rendered.text.strip()


def test_diacritics_and_escaping(renderer: Renderer) -> None:
    rendered = renderer.render(Template.QUOTATION_SENT, context())
    assert "Bună ziua, Ștefan Țăranu," in rendered.text
    assert "Găsiți atașată" in rendered.html
    # Text from the outside is escaped in the HTML part, kept as is in the text part.
    assert "&lt;b&gt;atenție&lt;/b&gt;" in rendered.html
    assert "<b>atenție</b>" in rendered.text
    reminder = renderer.render(Template.QUOTATION_REMINDER, context())
    assert reminder.subject == "Oferta OF-2026-0001 expiră în 7 zile"
    alert = renderer.render(Template.PRICE_ALERT, context())
    assert "11,10 EUR" in alert.text


def test_a_missing_value_is_an_error_not_a_hole(renderer: Renderer) -> None:
    values = context()
    del values["number"]
    with pytest.raises(Exception, match="number"):
        renderer.render(Template.ORDER_SHIPPED, values)


def test_the_message_has_text_html_and_the_pdf() -> None:
    config = SmtpConfig("h", 25, "", "", False, False, 5, "CYPHER <comenzi@cypher.local>", "")
    message = compose(
        config,
        to="ana@x.test",
        subject="Oferta OF-1 de la CYPHER",
        text="Bună ziua",
        html="<p>Bună ziua</p>",
        attachment=Attachment("OF-1.pdf", "application/pdf", b"%PDF-1.4"),
    )
    assert message["Subject"] == "Oferta OF-1 de la CYPHER"
    body = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert body is not None
    assert "Bună ziua" in body.get_content()
    assert html is not None
    assert "<p>Bună ziua</p>" in html.get_content()
    [pdf] = list(message.iter_attachments())
    assert (pdf.get_filename(), pdf.get_content_type()) == ("OF-1.pdf", "application/pdf")
    assert pdf.get_content() == b"%PDF-1.4"
