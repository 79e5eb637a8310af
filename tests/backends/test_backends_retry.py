"""Backoff and Retry-After parsing."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from arena.backends.errors import RateLimited, Unavailable
from arena.backends.retry import RetryPolicy, backoff_delay, parse_retry_after


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [({"retry-after": "3"}, 3.0), ({"retry-after-ms": "250"}, 0.25), ({"retry-after": "soon"}, None), ({}, None)],
)
def test_parse_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    assert parse_retry_after(headers) == seconds


def test_parse_retry_after_http_date() -> None:
    parsed = parse_retry_after({"retry-after": formatdate(time.time() + 30, usegmt=True)})
    assert parsed is not None and 25 < parsed <= 30


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    for attempt in range(6):
        ceiling = min(8.0, 0.5 * 2**attempt)
        delay = backoff_delay(attempt, 0.5, 8.0)
        assert ceiling / 2 <= delay <= ceiling


def test_policy_honours_retry_after_but_gives_up_on_long_waits() -> None:
    policy = RetryPolicy(max_retries=3)
    assert policy.delay(RateLimited("slow down", retry_after=1.5), 0) == 1.5
    with pytest.raises(RateLimited):
        policy.delay(RateLimited("come back tomorrow", retry_after=86400), 0)
    assert 0 < policy.delay(Unavailable("502"), 0) <= 0.5
