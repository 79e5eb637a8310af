"""Judge and batch runs in real Celery workers (subprocesses, threads pool) on the file-system broker
and on Redis, started through the real command line; one worker is killed with SIGKILL mid-run."""

from collections.abc import Iterator

import pytest
from django.db.models import Count, Sum

from arena.models import BatchRun, JudgeRun, PairCount, Verdict
from tests.judge.conftest import WORKER_ALIAS, Workers, remote_judge, scripted, voted_battle, wait_for

pytestmark = pytest.mark.slow
PARIS, ROME = "The capital of France is Paris.", "The capital of France is Rome."


FILESYSTEM = pytest.param("filesystem", id="filesystem")
REDIS = pytest.param("redis", id="redis", marks=pytest.mark.redis)


@pytest.fixture
def workers(request, workers_factory) -> Iterator[Workers]:
    if request.param == "filesystem":
        yield workers_factory()
        return
    made = workers_factory(redis_url=request.getfixturevalue("redis_url"))
    yield made
    _forget_redis_queue(made)


def _forget_redis_queue(workers: Workers) -> None:
    """Drop the test's queue and the killed worker's unacknowledged messages from the shared Redis."""
    import redis

    client = redis.Redis.from_url(workers.redis_url)
    client.delete(workers.queue)
    for tag, payload in client.hgetall("unacked").items():
        if workers.queue.encode() in payload:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


def battles(count: int, judge_url: str) -> None:
    """Voted battles in the workers' database; the even ones have the right answer in position A."""
    model_a, model_b = scripted("model-a", using=WORKER_ALIAS), scripted("model-b", using=WORKER_ALIAS)
    for i in range(count):
        texts = (PARIS, ROME) if i % 2 == 0 else (ROME, PARIS)
        voted_battle(model_a, model_b, *texts, winner="A", using=WORKER_ALIAS)
    remote_judge(judge_url, using=WORKER_ALIAS)


def the_run() -> JudgeRun:
    return JudgeRun.objects.using(WORKER_ALIAS).get()


def run_finished() -> bool:
    run = JudgeRun.objects.using(WORKER_ALIAS).first()
    return run is not None and run.status == "done"


def assert_each_verdict_once_and_counted_once(pairs: int) -> None:
    verdicts = Verdict.objects.using(WORKER_ALIAS)
    assert verdicts.count() == 2 * pairs
    per_key = verdicts.values("run", "item", "order").annotate(n=Count("id"))
    assert {row["n"] for row in per_key} == {1}
    assert set(verdicts.values_list("parse_status", flat=True)) == {"ok"}
    assert verdicts.filter(order=0, counted=True).count() == pairs
    counts = PairCount.objects.using(WORKER_ALIAS).filter(source="judge")
    assert counts.aggregate(n=Sum("count"))["n"] == pairs
    run = the_run()
    assert (run.status, run.done, run.failed, run.total) == ("done", 2 * pairs, 0, 2 * pairs)


def test_a_worker_judges_a_run_and_honours_retry_after(workers_factory, stub_judge):
    # The watch looks only after a minute here, so nothing but the retries can ask again.
    workers = workers_factory(stall_check_s=60)
    stub_judge.delay_s, stub_judge.rate_limit_first, stub_judge.retry_after_s = 0.05, 2, 1.5
    battles(6, stub_judge.base_url)
    workers.start_worker("w1", concurrency=8)

    output = workers.manage("judge", "start", "--judge", "stub-judge")
    assert "12 judgments; progress at /judge-runs/" in output
    wait_for(run_finished, 60, "the judge run to finish", workers)

    assert_each_verdict_once_and_counted_once(pairs=6)
    counts = dict(PairCount.objects.using(WORKER_ALIAS).values_list("outcome", "count"))
    assert counts == {"model_a": 3, "model_b": 3}
    assert (stub_judge.rate_limited, stub_judge.calls) == (2, 14)
    # The two refused calls were asked again only after the server's Retry-After.
    assert stub_judge.call_times[-1] - stub_judge.call_times[0] >= 1.4


@pytest.mark.parametrize("workers", [FILESYSTEM, REDIS], indirect=True)
def test_a_worker_killed_mid_run_loses_nothing_and_duplicates_nothing(workers, stub_judge):
    stub_judge.delay_s = 0.2
    pairs, concurrency = 40, 4
    battles(pairs, stub_judge.base_url)
    first = workers.start_worker("w1", concurrency=concurrency)
    workers.manage("judge", "start", "--judge", "stub-judge")

    wait_for(lambda: the_run().done >= 10, 60, "ten judgments", workers)
    workers.kill(first)  # SIGKILL: no shutdown, the messages it had received are not acknowledged
    pending = Verdict.objects.using(WORKER_ALIAS).filter(parse_status="pending").count()
    assert pending > 0 and the_run().status == "running"

    workers.start_worker("w2", concurrency=concurrency)
    wait_for(run_finished, 120, "the restarted worker to finish the run", workers)

    assert_each_verdict_once_and_counted_once(pairs)
    repeated_calls = stub_judge.calls - 2 * pairs
    assert 0 <= repeated_calls <= 2 * concurrency  # at most the judgments that were in flight are asked again


@pytest.mark.parametrize("workers", [REDIS], indirect=True)
def test_a_batch_run_answers_in_workers_then_its_judge_run_follows(workers, stub_judge):
    workers.manage("import_questions", "--starter")
    scripted("good", PARIS, using=WORKER_ALIAS), scripted("bad", ROME, using=WORKER_ALIAS)
    remote_judge(stub_judge.base_url, using=WORKER_ALIAS)
    workers.start_worker("w1", concurrency=8)

    output = workers.manage("judge", "batch", "--set", "starter", "--models", "good,bad", "--judge", "stub-judge")
    assert "batch run 1: running" in output
    wait_for(run_finished, 120, "the batch and its judge run to finish", workers)

    batch = BatchRun.objects.using(WORKER_ALIAS).get()
    assert (batch.status, batch.failed, batch.done) == ("done", 0, batch.total)
    run = the_run()
    assert run.batch_run_id == batch.pk and run.total == batch.total  # two models: one pair per turn, two orders
    assert_each_verdict_once_and_counted_once(pairs=batch.total // 2)
    assert dict(PairCount.objects.using(WORKER_ALIAS).values_list("outcome", "count")) == {"model_b": batch.total // 2}
