"""Romanian VAT code (CUI/CIF) validation with its check digit.

The standard algorithm: the digits before the check digit, right-aligned against the
key 753217532, are multiplied pairwise and summed; (sum × 10) mod 11 is the check
digit, with 10 meaning 0. An optional "RO" prefix marks a VAT payer.
"""

from __future__ import annotations

import re

KEY = "753217532"
_SHAPE = re.compile(r"^(RO)?(\d{2,10})$")


class InvalidCui(ValueError):
    """The text is not a valid CUI; the message says why."""


def check_digit(body: str) -> int:
    """The check digit for the digits of a CUI without its last (check) digit."""
    if not body.isdigit() or len(body) > len(KEY):
        raise InvalidCui("a CUI has 2 to 10 digits")
    padded = body.rjust(len(KEY), "0")
    total = sum(int(d) * int(k) for d, k in zip(padded, KEY, strict=True))
    digit = total * 10 % 11
    return 0 if digit == 10 else digit


def normalize_cui(raw: str) -> str:
    """The canonical form ("RO" kept when given, spaces dropped, upper case), or
    `InvalidCui` when the shape or the check digit is wrong."""
    text = re.sub(r"\s+", "", raw).upper()
    match = _SHAPE.match(text)
    if match is None:
        raise InvalidCui("expected 2 to 10 digits, optionally prefixed by RO")
    digits = match.group(2)
    if digits.startswith("0"):
        raise InvalidCui("a CUI does not start with 0")
    if check_digit(digits[:-1]) != int(digits[-1]):
        raise InvalidCui("wrong check digit")
    return text


def is_valid_cui(raw: str) -> bool:
    try:
        normalize_cui(raw)
    except InvalidCui:
        return False
    return True
