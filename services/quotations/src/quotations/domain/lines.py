"""What a request's lines must be before they are priced.

Duplicate sku lines are MERGED (their quantities added), in the order each sku first
appears: pricing's volume discount then applies to the whole quantity, as it would
for one line, and the document shows one line per sku.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from quotations.errors import ValidationFailed

MAX_LINES = 500
MAX_QUANTITY = 1_000_000
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


@dataclass(frozen=True)
class LineRequest:
    sku: str
    quantity: int


def merged_lines(lines: Sequence[LineRequest], field: str = "lines") -> dict[str, int]:
    """sku → quantity; every problem is reported, each under its line's field name."""
    problems: dict[str, str] = {}
    if not lines:
        raise ValidationFailed({field: "at least one line is required"})
    if len(lines) > MAX_LINES:
        raise ValidationFailed({field: f"at most {MAX_LINES} lines"})
    merged: dict[str, int] = {}
    for index, line in enumerate(lines):
        sku = line.sku.strip()
        if not sku:
            problems[f"{field}[{index}].sku"] = "is required"
        elif not SKU_PATTERN.match(sku):
            problems[f"{field}[{index}].sku"] = f"not a valid sku: {line.sku!r}"
        if line.quantity <= 0:
            problems[f"{field}[{index}].quantity"] = "must be a positive whole number"
        elif line.quantity > MAX_QUANTITY:
            problems[f"{field}[{index}].quantity"] = f"at most {MAX_QUANTITY}"
        if sku and line.quantity > 0:
            merged[sku] = merged.get(sku, 0) + line.quantity
    if problems:
        raise ValidationFailed(problems)
    too_big = {sku: q for sku, q in merged.items() if q > MAX_QUANTITY}
    if too_big:
        raise ValidationFailed(
            {field: f"merged quantity above {MAX_QUANTITY} for {', '.join(too_big)}"}
        )
    return merged
