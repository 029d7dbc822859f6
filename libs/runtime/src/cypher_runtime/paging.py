"""Cursor pagination for `cypher.common.v1.PageRequest`: the one page-size clamp and
the one cursor codec every service uses.

A cursor is opaque to clients. It carries the sort key of the last row of a page,
a list scope (so a cursor of one list is refused by another) and a short check tag,
so that anything this codec did not issue — garbage, a truncated cursor, base64 of
some other JSON, a cursor of another list — is refused with the same
`ValidationFailed({"page.cursor": ...})` (400) in every service, never silently read
as "first page". The tag is not a secret: a forged cursor that passes it still only
holds str/int values of the expected count, which the queries bind as parameters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from cypher_runtime.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_FIELD = "page.cursor"
_TAG_BYTES = 6
_MAX_CURSOR_CHARS = 2048

CursorValue = str | int


def page_limit(limit: int, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    """The page size to use: 0 means the default, above the maximum is capped,
    a negative size is refused."""
    if limit < 0:
        raise ValidationFailed({"page.limit": "must not be negative"})
    if limit == 0:
        return default
    return min(limit, maximum)


def _tag(scope: str, payload: bytes) -> str:
    digest = hashlib.sha256(scope.encode() + b"\x00" + payload).digest()[:_TAG_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class CursorCodec:
    """Encodes and decodes the cursors of one list (`scope`, e.g. "orders.list"),
    whose sort key has `arity` values of the given types."""

    scope: str
    types: tuple[type[CursorValue], ...]

    @property
    def arity(self) -> int:
        return len(self.types)

    def encode(self, key: Sequence[CursorValue]) -> str:
        if len(key) != self.arity:
            raise ValueError(f"{self.scope}: cursor key needs {self.arity} values")
        payload = json.dumps(list(key), separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{body}.{_tag(self.scope, payload)}"

    def decode(self, cursor: str) -> tuple[CursorValue, ...] | None:
        """The key a cursor carries; None for the first page (empty cursor)."""
        if not cursor:
            return None
        refused = ValidationFailed({CURSOR_FIELD: "is not a cursor this list issued"})
        if len(cursor) > _MAX_CURSOR_CHARS or cursor.count(".") != 1:
            raise refused
        body, tag = cursor.split(".")
        try:
            payload = _b64decode(body)
            values = json.loads(payload)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise refused from None
        if tag != _tag(self.scope, payload):
            raise refused
        if not isinstance(values, list) or len(values) != self.arity:
            raise refused
        key: list[CursorValue] = []
        for value, expected in zip(values, self.types, strict=True):
            # bool is an int subclass; a cursor never carries one
            if isinstance(value, bool) or not isinstance(value, expected):
                raise refused
            key.append(value)
        return tuple(key)

    def next_cursor(self, rows: Sequence[object], limit: int, key: Sequence[CursorValue]) -> str:
        """The cursor of the page after `rows` (fetched with limit + 1): empty at the end.
        `key` is the sort key of the last row kept on this page."""
        return self.encode(key) if len(rows) > limit else ""
