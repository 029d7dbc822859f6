"""HTTP Basic credentials as the real APIs take them."""

from __future__ import annotations

import base64
import binascii
import secrets

from starlette.requests import Request


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def matches(given: tuple[str, str] | None, user: str, password: str) -> bool:
    if given is None:
        return False
    # Both compared, always, so timing says nothing about which half was wrong.
    same_user = secrets.compare_digest(given[0].encode(), user.encode())
    same_password = secrets.compare_digest(given[1].encode(), password.encode())
    return same_user and same_password
