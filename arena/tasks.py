"""Celery tasks: they take ids, call a service, and own only retries."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)
REFRESH_PENDING = "arena:leaderboard-refresh-pending"


@shared_task(ignore_result=True)
def refresh_leaderboards() -> None:
    from arena.services.leaderboard import refresh_all

    cache.delete(REFRESH_PENDING)
    refresh_all()


def request_leaderboard_refresh() -> None:
    """Debounced: one refit per ARENA_LEADERBOARD_DEBOUNCE_S however many votes arrive."""
    delay = settings.ARENA_LEADERBOARD_DEBOUNCE_S
    if not cache.add(REFRESH_PENDING, True, timeout=delay + 60):
        return
    try:
        refresh_leaderboards.apply_async(countdown=delay)
    except Exception:
        cache.delete(REFRESH_PENDING)
        log.exception("could not queue the leaderboard refresh")
