"""Fetching one feed page over HTTP with bounds: a deadline per request (a slow drip
cannot outlive it), a size cap read while streaming (a 10 MB page or an endless body is
cut off, never buffered), and retries with exponential backoff (tenacity) for what may
pass: transport errors, timeouts, 5xx and 429. Conditional requests send the validators
(ETag / Last-Modified) the site gave last time."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchLimits:
    timeout_seconds: float = 30.0
    retries: int = 3
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 30.0
    max_bytes: int = 5_000_000


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchedPage:
    url: str
    body: bytes
    not_modified: bool
    validators: Validators


class FeedUnavailable(Exception):
    """The page could not be fetched (after the retries, or a refusal not worth one)."""


class _Retryable(Exception):
    pass


async def _read_bounded(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FeedUnavailable(f"{response.url}: {declared} bytes, above {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FeedUnavailable(f"{response.url}: body above {max_bytes} bytes, cut off")
        chunks.append(chunk)
    return b"".join(chunks)


async def _attempt(
    client: httpx.AsyncClient, url: str, limits: FetchLimits, validators: Validators | None
) -> FetchedPage:
    headers: dict[str, str] = {}
    if validators is not None:
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
    try:
        async with asyncio.timeout(limits.timeout_seconds):
            async with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return FetchedPage(url, b"", True, validators or Validators())
                if response.status_code >= 500 or response.status_code == 429:
                    raise _Retryable(f"{url}: HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise FeedUnavailable(f"{url}: HTTP {response.status_code}")
                body = await _read_bounded(response, limits.max_bytes)
                return FetchedPage(
                    url,
                    body,
                    False,
                    Validators(response.headers.get("etag"), response.headers.get("last-modified")),
                )
    except TimeoutError:
        raise _Retryable(f"{url}: no complete answer within {limits.timeout_seconds:g} s") from None
    except httpx.TransportError as exc:
        raise _Retryable(f"{url}: {type(exc).__name__}: {exc}") from None


async def fetch_page(
    client: httpx.AsyncClient,
    url: str,
    limits: FetchLimits,
    validators: Validators | None = None,
) -> FetchedPage:
    retrying = AsyncRetrying(
        stop=stop_after_attempt(1 + limits.retries),
        wait=wait_exponential(multiplier=limits.backoff_seconds, max=limits.backoff_max_seconds),
        retry=retry_if_exception_type(_Retryable),
        reraise=False,
    )
    try:
        async for attempt in retrying:
            with attempt:
                return await _attempt(client, url, limits, validators)
    except RetryError as exc:
        last = exc.last_attempt.exception()
        raise FeedUnavailable(f"{last} (after {1 + limits.retries} attempts)") from None
    raise FeedUnavailable(f"{url}: not fetched")  # pragma: no cover - the loop returns or raises
