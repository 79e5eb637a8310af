"""Celery tasks: they take ids, call a service, and own only retries."""

import logging
import uuid

from celery import Task, current_app, shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError

from arena.backends.retry import backoff_delay

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
# A judgment that keeps failing transiently (rate limits, an endpoint down, a busy database) is retried
# with backoff for 10 to 20 minutes (longer when the server's Retry-After says so), then stored as
# failed so its run still finishes; `judge resume ID --retry-failed` asks again later.
JUDGE_MAX_RETRIES = 10
RETRY_BASE_S = 2.0
RETRY_CAP_S = 300.0
MAX_RETRY_AFTER_S = 3600.0


def retry_delay(exc: BaseException, retries: int) -> float:
    """The server's Retry-After when it sent one; otherwise exponential backoff with jitter."""
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        return min(max(float(retry_after), 0.0), MAX_RETRY_AFTER_S)
    return backoff_delay(retries, RETRY_BASE_S, RETRY_CAP_S)


@shared_task(bind=True, ignore_result=True, max_retries=JUDGE_MAX_RETRIES)
def judge_verdict(self: Task, verdict_id: int) -> None:
    from arena.backends import BackendError
    from arena.services import judging

    try:
        judging.judge_one(verdict_id)
    except (BackendError, OperationalError) as exc:  # only transient ones reach here (a busy database too)
        if self.request.retries >= self.max_retries:
            judging.give_up(verdict_id, f"Gave up after {self.max_retries} retries: {exc}")
            return
        raise self.retry(exc=exc, countdown=retry_delay(exc, self.request.retries)) from exc


@shared_task(bind=True, ignore_result=True, max_retries=JUDGE_MAX_RETRIES)
def generate_batch_answers(self: Task, participant_id: int) -> None:
    from arena.services import batches

    try:
        verdict_ids = batches.generate(participant_id)
    except OperationalError as exc:  # a busy database; the answers still unfinished are asked again
        raise self.retry(exc=exc, countdown=retry_delay(exc, self.request.retries)) from exc
    queue_verdicts(verdict_ids)


@shared_task(ignore_result=True)
def resume_judge_run(run_id: int, retry_failed: bool = False) -> None:
    from arena.services import judging

    queue_verdicts(judging.resume(run_id, retry_failed))


@shared_task(ignore_result=True)
def resume_batch_run(batch_id: int, retry_failed: bool = False) -> None:
    from arena.services import batches

    participants, verdicts = batches.resume(batch_id, retry_failed)
    queue_participants(participants)
    queue_verdicts(verdicts)


def queue_verdicts(verdict_ids: list[int]) -> None:
    _queue(judge_verdict, verdict_ids)


def queue_participants(participant_ids: list[int]) -> None:
    _queue(generate_batch_answers, participant_ids)


def _queue(task: Task, ids: list[int]) -> None:
    if not ids:
        return
    with current_app.producer_or_acquire() as producer:  # one connection for the whole batch
        for pk in ids:
            task.apply_async((pk,), producer=producer)
    watch_unfinished_runs()


# --- the watch over unfinished runs ---------------------------------------------------------------
# A worker killed mid-run takes the messages it had received with it: the file-system broker deletes
# a message as it is read, and Redis gives it back only after the visibility timeout. The database
# still says what is pending, so one watch looks at unfinished runs every ARENA_STALL_CHECK_S and
# queues again what is left of a run that made no progress in a whole period. A duplicate of a
# message that was only waiting finds its verdict finished and does nothing.
WATCH_KEY = "arena:watch-unfinished"
# The watch's next look waits in the queue behind the work, so its ownership cannot expire with the
# period; a day only clears a key whose watch died with its worker and no worker has restarted since.
WATCH_TTL_S = 24 * 3600


def stall_check_s() -> float:
    return float(getattr(settings, "ARENA_STALL_CHECK_S", 120))


def watch_unfinished_runs(take_over: bool = False) -> None:
    """Start the watch unless one is alive; a restarted worker takes over (the old one may have died with it)."""
    if current_app.conf.task_always_eager:
        return  # nothing is queued, so nothing can be lost
    token = uuid.uuid4().hex
    if take_over:
        cache.set(WATCH_KEY, token, timeout=WATCH_TTL_S)
    elif not cache.add(WATCH_KEY, token, timeout=WATCH_TTL_S):
        return
    watch_unfinished.apply_async(kwargs={"token": token, "seen": {}}, countdown=stall_check_s())


@shared_task(ignore_result=True)
def watch_unfinished(token: str, seen: dict[str, int]) -> None:
    from arena.services import batches, judging

    if cache.get(WATCH_KEY) != token:
        return  # a newer watch took over
    now = {f"batch:{pk}": n for pk, n in batches.progress_snapshot().items()}
    now |= {f"judge:{pk}": n for pk, n in judging.progress_snapshot().items()}
    for key, finished in now.items():
        if seen.get(key) != finished:
            continue
        kind, pk = key.split(":")
        try:
            (resume_batch_run if kind == "batch" else resume_judge_run)(int(pk))
        except (batches.BatchRunError, judging.JudgeRunError):
            log.exception("the watch could not resume %s; it keeps watching the others", key)
    if not now:
        cache.delete(WATCH_KEY)
        return
    watch_unfinished.apply_async(kwargs={"token": token, "seen": now}, countdown=stall_check_s())


@worker_ready.connect
def watch_after_restart(**_: object) -> None:
    watch_unfinished_runs(take_over=True)
