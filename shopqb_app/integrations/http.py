"""The one HTTP wrapper: a timeout on every request, retries only where retrying is safe.

Retries cover network errors, 429 and 5xx, with exponential backoff (Retry-After
honoured); 4xx answers (401 above all) go straight back to the caller.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import requests

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class TransientHTTPError(Exception):
    """The service kept failing in a way that may pass: try the work again later."""


def request_with_retries(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: float,
    attempts: int = 4,
    backoff: float = 0.5,
    max_sleep: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    around_attempt: Callable[[], AbstractContextManager[object]] | None = None,
    **kwargs: Any,
) -> requests.Response:
    """``around_attempt``: entered around each attempt alone (never the waits between them), e.g. a
    request budget's slot (shopqb_app/integrations/budget.py); what it raises goes to the caller."""
    last_error: str = ""
    for attempt in range(1, attempts + 1):
        try:
            with around_attempt() if around_attempt is not None else nullcontext():
                response = session.request(method, url, timeout=timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
            wait = backoff * 2 ** (attempt - 1)
        else:
            if response.status_code not in RETRYABLE_STATUS:
                return response
            last_error = f"HTTP {response.status_code}"
            wait = _retry_after(response) or backoff * 2 ** (attempt - 1)
            if attempt == attempts:
                return response
        if attempt < attempts:
            log.info("retrying %s %s after %s (attempt %d)", method, _strip_query(url), last_error, attempt)
            sleep(min(wait, max_sleep))
    raise TransientHTTPError(f"{method} {_strip_query(url)} failed {attempts} times: {last_error}")


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _strip_query(url: str) -> str:
    # Query strings can carry tokens or ids: keep them out of logs.
    return url.split("?", 1)[0]
