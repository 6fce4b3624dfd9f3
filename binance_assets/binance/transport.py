"""HTTP GET to a file with retries (5xx, 429/418 honouring Retry-After, connection errors)."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from pathlib import Path

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from .errors import DownloadError


class NotFound(Exception):
    """HTTP 404 (internal: the client decides what it means)."""


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class HttpTransport:
    """Streams one URL to a file; retries transient failures, then raises DownloadError."""

    def __init__(
        self,
        session: requests.Session,
        retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        timeout: float = 60.0,
    ) -> None:
        self.session = session
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_backoff)
        return min(self.backoff * 2 ** (state.attempt_number - 1), self.max_backoff)

    def download(self, url: str, dest: Path) -> None:
        """GET `url` into `dest` (overwritten); NotFound on 404, DownloadError when retries fail."""
        retrying = Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        try:
            retrying(self._attempt, url, dest)
        except _Retryable as exc:
            raise DownloadError(f"{url}: {exc} (gave up after {self.retries + 1} attempts)") from exc

    def _attempt(self, url: str, dest: Path) -> None:
        try:
            with self.session.get(url, stream=True, timeout=self.timeout) as resp:
                status = resp.status_code
                if status == 404:
                    raise NotFound(url)
                if status in (418, 429) or status >= 500:
                    after = parse_retry_after(resp.headers.get("Retry-After"))
                    raise _Retryable(f"HTTP {status}", retry_after=after)
                if status != 200:
                    raise DownloadError(f"{url}: HTTP {status}")
                with open(dest, "wb") as fh:
                    for chunk in resp.iter_content(chunk_size=1 << 20):
                        fh.write(chunk)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc


class S3Transport:
    """Downloads `s3://bucket/key` URLs with a boto3 S3 client (its own retries apply); NotFound on a
    missing key, DownloadError on any other failure. For an S3 landing prefix in the archive layout."""

    def __init__(self, client) -> None:
        self.client = client

    def download(self, url: str, dest: Path) -> None:
        bucket, _, key = url.removeprefix("s3://").partition("/")
        try:
            self.client.download_file(bucket, key, str(dest))
        except Exception as exc:  # botocore's ClientError carries the HTTP status
            status = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if status in ("404", "NoSuchKey", "NotFound"):
                raise NotFound(url) from None
            raise DownloadError(f"{url}: {type(exc).__name__}: {exc}") from exc
