"""Renders a mail from its Jinja2 templates (`templates/<name>.{subject,html,txt}.j2`):
subject, HTML part (autoescaped) and text part, in Romanian. Amounts are shown the
Romanian way (`1.234,56 lei`), dates as `03.12.2026`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from integration.mail.domain.mails import Template


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def _amount(value: Any) -> str:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    whole, _, cents = f"{abs(amount):,.2f}".partition(".")
    sign = "-" if amount < 0 else ""
    return f"{sign}{whole.replace(',', '.')},{cents}"


def lei(value: Any) -> str:
    return f"{_amount(value)} lei"


def suma(value: Any, currency: str = "RON") -> str:
    return lei(value) if currency in ("", "RON") else f"{_amount(value)} {currency}"


def data(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%d.%m.%Y")
    try:
        return datetime.fromisoformat(str(value)).strftime("%d.%m.%Y")
    except ValueError:
        return str(value)


def procent(value: Any) -> str:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "+" if number > 0 else ""
    return f"{sign}{str(number).replace('.', ',')} %"


class Renderer:
    def __init__(self, company: dict[str, str]) -> None:
        self.company = company
        self.env = Environment(
            loader=PackageLoader("integration.mail", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,  # a missing value is a bug, never an empty hole
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(lei=lei, suma=suma, data=data, procent=procent)

    def render(self, template: Template, context: dict[str, Any]) -> Rendered:
        values = {"company": self.company, **context}
        name = template.value
        subject = self.env.get_template(f"{name}.subject.j2").render(values)
        return Rendered(
            subject=" ".join(subject.split()),
            html=self.env.get_template(f"{name}.html.j2").render(values),
            text=self.env.get_template(f"{name}.txt.j2").render(values),
        )
