"""One real request path through an image-built stack: log in at the gateway, create a
product (pricing), receive stock (inventory) and read the product aggregate back (the
gateway fanning out to pricing and inventory over gRPC). Standard library only.

    python3 scripts/smoke_request.py http://127.0.0.1:8000 admin@example.com PASSWORD
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any


def call(base: str, method: str, path: str, body: Any = None, token: str = "") -> Any:
    headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read())["data"]
    except urllib.error.HTTPError as err:
        raise SystemExit(f"{method} {path} -> {err.code}: {err.read()[:500]!r}") from None


def main() -> None:
    base, email, password = sys.argv[1], sys.argv[2], sys.argv[3]
    base += "/api/v1"
    token = call(base, "POST", "/auth/login", {"email": email, "password": password})[
        "access_token"
    ]
    sku = f"SMOKE-{uuid.uuid4().hex[:8].upper()}"
    call(
        base,
        "POST",
        "/products",
        {
            "sku": sku,
            "name": "Bec LED E27 10W",
            "category": "bulbs",
            "unit": "buc",
            "cost": "10.00",
            "margin_pct": "30",
        },
        token,
    )
    deadline = time.monotonic() + 30
    while True:  # inventory may learn the catalogue from pricing's event
        try:
            call(
                base,
                "POST",
                "/inventory/receipts",
                {"sku": sku, "warehouse": "A", "quantity": 5, "reference": "smoke"},
                token,
            )
            break
        except SystemExit:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    product = call(base, "GET", f"/products/{sku}", token=token)
    assert product["price"] is not None, product
    assert product["stock"] is not None, product
    print(
        f"smoke request: {sku} priced {product['price']['unit_gross']} gross, "
        f"{product['stock']['total_available']} available"
    )


if __name__ == "__main__":
    main()
