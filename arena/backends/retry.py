"""Bounded retries with exponential backoff, jitter, and the server's Retry-After honoured."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from arena.backends.conf import setting
from arena.backends.errors import BackendError, RateLimited


def backoff_delay(attempt: int, base_s: float, cap_s: float) -> float:
    """Delay before retry number `attempt + 1`: exponential, half of it jittered.

    Jitter spreads out clients that failed together so they do not retry in lockstep.
    """
    ceiling = min(cap_s, base_s * 2**attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `retry-after` in seconds or as an HTTP date."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class RetryPolicy:
    def __init__(self, max_retries: int) -> None:
        self.max_retries = max_retries
        self.base_s = setting("ARENA_BACKEND_RETRY_BASE_S", 0.5)
        self.cap_s = setting("ARENA_BACKEND_RETRY_CAP_S", 8.0)
        self.max_retry_after_s = setting("ARENA_BACKEND_MAX_RETRY_AFTER_S", 30.0)

    async def before_retry(self, error: BackendError, attempt: int) -> None:
        """Sleep before the next attempt, or raise `error` when another attempt cannot help."""
        if error.permanent or attempt >= self.max_retries:
            raise error
        await asyncio.sleep(self.delay(error, attempt))

    def delay(self, error: BackendError, attempt: int) -> float:
        retry_after = error.retry_after if isinstance(error, RateLimited) else None
        if retry_after is None:
            return backoff_delay(attempt, self.base_s, self.cap_s)
        if retry_after > self.max_retry_after_s:
            # Waiting that long would hold the visitor's answer hostage; let the caller decide.
            raise error
        return retry_after
