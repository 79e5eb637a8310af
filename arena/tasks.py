"""Celery tasks: they take ids, call a service, and own only retries."""

import logging
import random

from celery import Task, shared_task
from celery.signals import worker_ready
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


# --- judging and batch runs --------------------------------------------------------------------
# A judgment that keeps failing transiently (rate limits, an endpoint down) is retried with backoff
# for roughly half an hour, then stored as failed so its run still finishes; `resume --retry-failed`
# asks again later.
JUDGE_MAX_RETRIES = 10
RETRY_BASE_S = 2.0
RETRY_CAP_S = 300.0
MAX_RETRY_AFTER_S = 3600.0
RESUME_LOCK = "arena:resume-unfinished"


def retry_delay(exc: BaseException, retries: int) -> float:
    """The server's Retry-After when it sent one; otherwise exponential backoff with jitter."""
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        return min(max(float(retry_after), 0.0), MAX_RETRY_AFTER_S)
    ceiling = min(RETRY_CAP_S, RETRY_BASE_S * 2**retries)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


@shared_task(bind=True, ignore_result=True, max_retries=JUDGE_MAX_RETRIES)
def judge_verdict(self: Task, verdict_id: int) -> None:
    from arena.backends import BackendError
    from arena.services import judging

    try:
        judging.judge_one(verdict_id)
    except BackendError as exc:  # judge_one lets only transient errors through
        if self.request.retries >= self.max_retries:
            judging.give_up(verdict_id, f"Gave up after {self.max_retries} retries: {exc}")
            return
        raise self.retry(exc=exc, countdown=retry_delay(exc, self.request.retries)) from exc


@shared_task(ignore_result=True)
def generate_batch_answers(participant_id: int) -> None:
    from arena.services import batches

    queue_verdicts(batches.generate(participant_id))


@shared_task(ignore_result=True)
def start_judge_run(run_id: int) -> None:
    from arena.services import judging

    queue_verdicts(judging.start(run_id))


@shared_task(ignore_result=True)
def resume_judge_run(run_id: int, retry_failed: bool = False) -> None:
    from arena.services import judging

    queue_verdicts(judging.resume(run_id, retry_failed))


@shared_task(ignore_result=True)
def start_batch_run(batch_id: int) -> None:
    from arena.services import batches

    queue_participants(batches.start(batch_id))


@shared_task(ignore_result=True)
def resume_batch_run(batch_id: int, retry_failed: bool = False) -> None:
    from arena.services import batches

    participants, verdicts = batches.resume(batch_id, retry_failed)
    queue_participants(participants)
    queue_verdicts(verdicts)


@shared_task(ignore_result=True)
def resume_unfinished() -> None:
    """Queue again whatever running batch and judge runs have left (after a worker was killed)."""
    from arena.services import batches, judging

    for batch_id in batches.unfinished_batches():
        resume_batch_run(batch_id)
    for run_id in judging.unfinished_runs():
        resume_judge_run(run_id)


def queue_verdicts(verdict_ids: list[int]) -> None:
    for verdict_id in verdict_ids:
        judge_verdict.delay(verdict_id)


def queue_participants(participant_ids: list[int]) -> None:
    for participant_id in participant_ids:
        generate_batch_answers.delay(participant_id)


@worker_ready.connect
def resume_after_restart(**_: object) -> None:
    """A worker killed mid-run took its received messages with it (the file-system broker has no
    redelivery; Redis redelivers only after the visibility timeout). The database still knows
    what is pending, so the first worker to start queues it again; duplicates do nothing. The lock
    keeps workers started together (a deploy) from each queueing everything again."""
    if cache.add(RESUME_LOCK, True, timeout=getattr(settings, "ARENA_RESUME_LOCK_S", 10)):
        resume_unfinished.delay()
