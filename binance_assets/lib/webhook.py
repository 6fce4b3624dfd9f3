"""Sending an alert to a Slack-compatible webhook. No Dagster imports.

The webhook URL is a secret (its path is the credential): it reaches Dagster as
`dg.EnvVar("BINANCE_ASSETS_ALERT_WEBHOOK_URL")` in the `alert_webhook` resource
(binance_assets.lib.resources.AlertWebhook; from Secrets Manager in prod), so the UI shows the variable's
name, never the URL, and the URL is redacted from every log line. Without a
URL an alert is logged (warning) instead. `send_alert` never raises: an alert must not crash the sensor
that sends it.
"""

import logging
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from binance_assets.settings import ALERT_WEBHOOK_ENV

DEFAULT_WEBHOOK_ENV_VAR = ALERT_WEBHOOK_ENV
MAX_BLOCK_TEXT = 3000  # Slack's limit for a section block's text

_LOG = logging.getLogger(__name__)


class _Retryable(Exception):
    """A response worth another try (HTTP 429 or 5xx)."""


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _redact(url: str) -> str:
    """Scheme and host only: a webhook URL's path is its secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "<webhook>"


def _scrub(message: str, url: str) -> str:
    """`message` without the webhook's path (requests puts the URL in its connection errors)."""
    parts = urlsplit(url)
    secret = parts.path + (f"?{parts.query}" if parts.query else "")
    message = message.replace(url, _redact(url))
    return message.replace(secret, "/…") if secret not in ("", "/") else message


def alert_payload(text: str) -> dict[str, Any]:
    """A minimal Slack-compatible message: `text` (fallback and non-Slack receivers) and one mrkdwn block."""
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_BLOCK_TEXT)}}],
    }


def send_alert(
    text: str,
    *,
    webhook_url: str | None,
    session: requests.Session | None = None,
    logger: Any = None,
    timeout: float = 5.0,
    attempts: int = 3,
    backoff_seconds: float = 0.5,
) -> bool:
    """POST `text` to a Slack-compatible webhook; True when it was accepted (HTTP 2xx).

    No URL: the alert is logged as a warning, False. Connection errors, timeouts, HTTP 429 and 5xx are
    retried (`attempts` in all, exponential backoff from `backoff_seconds`); what still fails is logged
    as an error, False. Never raises. `logger` is a `logging.Logger` or a Dagster `context.log`.
    """
    log = logger or _LOG
    try:
        if not webhook_url:
            log.warning(f"alert not sent (no webhook URL configured): {text}")
            return False
        return _post(text, webhook_url, session, log, timeout, attempts, backoff_seconds)
    except Exception as exc:  # an alert must never crash its sensor
        try:
            where = _redact(webhook_url) if webhook_url else "<webhook>"
            reason = _scrub(str(exc), webhook_url) if webhook_url else str(exc)
            log.error(f"alert to {where} failed: {type(exc).__name__}: {reason}. Alert: {text}")
        except Exception:
            _LOG.exception("alert failed and could not be logged")
        return False


def _post(
    text: str, url: str, session: requests.Session | None, log: Any, timeout: float, attempts: int, backoff: float
) -> bool:
    http = session or requests.Session()
    try:
        retrying = Retrying(
            stop=stop_after_attempt(max(1, attempts)),
            wait=wait_exponential(multiplier=backoff, max=max(backoff * 8, backoff)),
            retry=retry_if_exception_type((requests.ConnectionError, requests.Timeout, _Retryable)),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                response = http.post(url, json=alert_payload(text), timeout=timeout)
                status = response.status_code
                if status == 429 or status >= 500:
                    raise _Retryable(f"HTTP {status}: {response.text[:200]}")
                if status >= 400:
                    log.error(f"alert rejected by {_redact(url)}: HTTP {status}: {response.text[:200]}. Alert: {text}")
                    return False
                return True
        return False  # pragma: no cover - the loop returns or raises
    finally:
        if session is None:
            http.close()
