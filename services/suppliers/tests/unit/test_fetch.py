"""Bounded fetching: retries with backoff for what may pass, size caps, conditional GETs.
Served by httpx's in-process transport (no network, no patching)."""

from __future__ import annotations

import httpx
import pytest

from suppliers.feeds.fetch import FeedUnavailable, FetchLimits, Validators, fetch_page

FAST = FetchLimits(timeout_seconds=2, retries=3, backoff_seconds=0.001, max_bytes=1000)


def client(handler: httpx.MockTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=handler)


async def test_server_errors_are_retried_three_times_then_reported() -> None:
    calls: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(500)

    async with client(httpx.MockTransport(handle)) as c:
        with pytest.raises(FeedUnavailable, match="HTTP 500 \\(after 4 attempts\\)"):
            await fetch_page(c, "http://x/feed", FAST)
    assert len(calls) == 4


async def test_a_transient_error_then_success() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, content=b"ok")])

    async with client(httpx.MockTransport(lambda r: next(answers))) as c:
        page = await fetch_page(c, "http://x/feed", FAST)
    assert page.body == b"ok"


async def test_a_client_error_is_not_retried() -> None:
    calls: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(404)

    async with client(httpx.MockTransport(handle)) as c:
        with pytest.raises(FeedUnavailable, match="HTTP 404"):
            await fetch_page(c, "http://x/feed", FAST)
    assert calls == [1]


async def test_a_body_above_the_cap_is_cut_off() -> None:
    async def endless() -> object:
        while True:
            yield b"x" * 100

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=endless())  # type: ignore[arg-type]

    async with client(httpx.MockTransport(handle)) as c:
        with pytest.raises(FeedUnavailable, match="above 1000 bytes"):
            await fetch_page(c, "http://x/feed", FAST)


async def test_conditional_request_and_not_modified() -> None:
    seen: list[tuple[str | None, str | None]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(
            (request.headers.get("if-none-match"), request.headers.get("if-modified-since"))
        )
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, content=b"a,b", headers={"ETag": '"v1"', "Last-Modified": "Thu"})

    async with client(httpx.MockTransport(handle)) as c:
        first = await fetch_page(c, "http://x/feed", FAST)
        again = await fetch_page(c, "http://x/feed", FAST, first.validators)
    assert first.validators == Validators('"v1"', "Thu")
    assert again.not_modified
    assert seen == [(None, None), ('"v1"', "Thu")]
