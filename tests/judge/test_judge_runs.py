"""Judge runs in one process: planning, judging through the real OpenAI client against a local server,
exactly-once storing and counting, parse errors, failures, cancel and resume, agreement."""

import pytest
from django.db.models import Sum

from arena import tasks
from arena.backends import RateLimited
from arena.models import JudgeRun, PairCount, Verdict
from arena.services import judging
from tests.judge.conftest import remote_judge, scripted, voted_battle

PARIS, ROME = "The capital of France is Paris.", "The capital of France is Rome."

pytestmark = pytest.mark.django_db


def judge_all(run: JudgeRun) -> None:
    for verdict_id in judging.start(run.pk):
        judging.judge_one(verdict_id)


def judge_counts() -> dict[tuple[str, str, str], int]:
    rows = PairCount.objects.filter(source=PairCount.Source.JUDGE).values_list("model_a", "model_b", "outcome", "count")
    return {(a, b, outcome): count for a, b, outcome, count in rows}


def test_a_voted_turn_is_judged_in_both_orders_and_counted_once(contestants, stub_judge, refresh_requests):
    model_a, model_b = contestants
    voted_battle(model_a, model_b, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url))

    judge_all(run)

    run.refresh_from_db()
    verdicts = list(run.verdicts.order_by("order"))
    assert [(v.order, v.parse_status, v.verdict) for v in verdicts] == [(0, "ok", "A"), (1, "ok", "B")]
    assert verdicts[0].final == "A" and verdicts[0].counted and not verdicts[0].inconsistent
    assert (run.status, run.done, run.failed, run.total) == ("done", 2, 0, 2)
    assert judge_counts() == {("model-a", "model-b", "model_a"): 1}
    assert stub_judge.calls == 2
    assert refresh_requests == [True]  # a finished run asks for one leaderboard refit


def test_the_swapped_prompt_shows_the_answers_the_other_way_round(contestants, stub_judge):
    voted_battle(*contestants, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url))
    judge_all(run)
    first, second = (v.prompt[1]["content"] for v in run.verdicts.order_by("order"))
    assert first.index(PARIS) < first.index(ROME)
    assert second.index(ROME) < second.index(PARIS)


def test_judging_again_calls_nobody_and_counts_nothing_more(contestants, stub_judge):
    voted_battle(*contestants, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url))
    judge_all(run)

    for verdict in run.verdicts.all():  # a task delivered twice, and a resume of a finished run
        judging.judge_one(verdict.pk)
        judging.settle_pair(run.pk, verdict.item)
    assert judging.resume(run.pk) == []

    assert stub_judge.calls == 2
    assert judge_counts() == {("model-a", "model-b", "model_a"): 1}
    assert Verdict.objects.filter(run=run).count() == 2
    run.refresh_from_db()
    assert (run.status, run.done) == ("done", 2)


def test_planning_twice_adds_no_verdicts(contestants, stub_judge):
    voted_battle(*contestants, PARIS, ROME, winner="A")
    voted_battle(*contestants, ROME, PARIS, winner="B")
    run = judging.create_run(remote_judge(stub_judge.base_url))
    assert len(judging.start(run.pk)) == 4
    assert judging.plan(run) == 4
    assert judging.start(run.pk) == []  # already started: nothing to queue twice


def test_a_judge_with_position_bias_is_flagged_inconsistent_and_counted_as_a_tie(contestants, stub_judge):
    stub_judge.always = "A"  # says A whichever answer is shown first
    voted_battle(*contestants, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url))
    judge_all(run)

    head = run.verdicts.get(order=0)
    assert (head.verdict, run.verdicts.get(order=1).verdict) == ("A", "A")
    assert (head.final, head.inconsistent) == ("tie", True)
    assert judging.run_summary(run)["inconsistency_rate"] == 1.0
    assert judge_counts() == {("model-a", "model-b", "tie"): 1}
    assert judging.agreement_summary()["inconsistency_rate"] == 1.0


def test_a_judge_answer_without_a_verdict_is_a_parse_error_never_a_tie(contestants, stub_judge):
    stub_judge.no_verdict = True
    voted_battle(*contestants, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url))
    judge_all(run)

    run.refresh_from_db()
    assert (run.status, run.done, run.failed) == ("done", 2, 0)
    verdict = run.verdicts.get(order=0)
    assert verdict.parse_status == "error" and "No valid pair verdict" in verdict.error
    assert verdict.raw_text.startswith("Both answers have merits")
    assert verdict.final == "" and not verdict.inconsistent
    assert judge_counts() == {}
    summary = judging.run_summary(run)
    assert (summary["parse_errors"], summary["parsed"], summary["inconsistency_rate"]) == (2, 0, None)
    assert judging.agreement_summary() is None


def test_a_permanent_backend_error_is_stored_as_a_failed_call(contestants, stub_judge, monkeypatch):
    monkeypatch.delenv("ARENA_TEST_MISSING_KEY", raising=False)
    voted_battle(*contestants, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url, api_key_env="ARENA_TEST_MISSING_KEY"))
    judge_all(run)

    run.refresh_from_db()
    assert (run.status, run.done, run.failed) == ("done", 0, 2)
    verdict = run.verdicts.get(order=0)
    assert verdict.parse_status == "failed" and "ARENA_TEST_MISSING_KEY" in verdict.error
    assert stub_judge.calls == 0


def test_a_rate_limited_call_is_raised_for_the_task_with_the_servers_retry_after(contestants, stub_judge):
    stub_judge.rate_limit_first, stub_judge.retry_after_s = 1, 7
    voted_battle(*contestants, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url))
    first, second = judging.start(run.pk)

    with pytest.raises(RateLimited) as raised:
        judging.judge_one(first)
    assert tasks.retry_delay(raised.value, retries=0) == 7
    assert Verdict.objects.get(pk=first).parse_status == "pending"

    judging.judge_one(first)  # the retry
    judging.judge_one(second)
    run.refresh_from_db()
    assert (run.status, run.done) == ("done", 2)


def test_retry_delay_backs_off_exponentially_without_retry_after():
    error = RateLimited("slow down")
    delays = [tasks.retry_delay(error, n) for n in range(12)]
    assert all(tasks.RETRY_BASE_S / 2 <= d <= tasks.RETRY_CAP_S for d in delays)
    assert delays[0] <= tasks.RETRY_BASE_S < delays[3]
    assert tasks.retry_delay(RateLimited("x", retry_after=10**6), 0) == tasks.MAX_RETRY_AFTER_S


def test_a_judgment_out_of_retries_is_stored_failed_so_the_run_finishes(contestants, stub_judge):
    voted_battle(*contestants, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url))
    first, second = judging.start(run.pk)
    judging.judge_one(first)
    judging.give_up(second, "Gave up after 10 retries: rate limited")

    run.refresh_from_db()
    assert (run.status, run.done, run.failed) == ("done", 1, 1)
    assert run.verdicts.get(order=0).final == ""  # one order missing: nothing counted
    assert judge_counts() == {}

    assert judging.resume(run.pk, retry_failed=True) == [second]
    judging.judge_one(second)
    run.refresh_from_db()
    assert (run.status, run.done, run.failed) == ("done", 2, 0)
    assert judge_counts() == {("model-a", "model-b", "model_a"): 1}


def test_a_cancelled_run_judges_nothing_until_resumed(contestants, stub_judge):
    voted_battle(*contestants, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url))
    ids = judging.start(run.pk)
    assert judging.cancel(run.pk)

    for verdict_id in ids:  # the queued tasks run anyway
        judging.judge_one(verdict_id)
    assert stub_judge.calls == 0
    run.refresh_from_db()
    assert run.status == "cancelled"

    assert judging.resume(run.pk) == ids
    for verdict_id in ids:
        judging.judge_one(verdict_id)
    run.refresh_from_db()
    assert (run.status, run.done) == ("done", 2)


def test_five_level_strong_verdicts_count_as_several_battles(contestants, stub_judge, settings):
    settings.ARENA_JUDGE_STRONG_WEIGHT = 3
    voted_battle(*contestants, ROME, PARIS, winner="B")
    run = judging.create_run(remote_judge(stub_judge.base_url), method="five")
    judge_all(run)
    assert run.verdicts.get(order=0).final == "B>>A"
    assert judge_counts() == {("model-a", "model-b", "model_b"): 3}
    assert judging.agreement_summary()["agreement"] == 1.0


def test_single_grades_average_per_model(contestants, stub_judge):
    voted_battle(*contestants, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url), method="single")
    judge_all(run)
    run.refresh_from_db()
    assert (run.status, run.total) == ("done", 2)
    scores = {row["model"]: row["mean"] for row in judging.run_summary(run)["scores"]}
    assert scores == {"model-a": 9.0, "model-b": 4.0}
    assert judge_counts() == {}


def test_baseline_pairing_judges_each_model_against_the_baseline_only(db, stub_judge):
    a, b, base = scripted("model-a"), scripted("model-b"), scripted("base")
    voted_battle(base, a, ROME, PARIS, winner="B")  # the baseline sits in position A here
    voted_battle(a, b, PARIS, ROME, winner="A")  # no baseline answer: nothing to judge
    run = judging.create_run(remote_judge(stub_judge.base_url), pairing="baseline", baseline=base)
    judge_all(run)

    run.refresh_from_db()
    assert run.total == 2
    head = run.verdicts.get(order=0)
    assert (head.answer_a.participant.llm, head.answer_b.participant.llm, head.final) == (a, base, "A")
    # The human said B (position 1, model-a) won; the judge agrees once its labels are mapped back.
    summary = judging.agreement_summary()
    assert (summary["n"], summary["agreement"]) == (1, 1.0)


def test_agreement_summary_compares_judge_and_humans_per_turn(contestants, stub_judge):
    voted_battle(*contestants, PARIS, ROME, winner="A")  # judge A: agrees
    voted_battle(*contestants, ROME, PARIS, winner="A")  # judge B: disagrees
    voted_battle(*contestants, PARIS, PARIS, winner="tie")  # judge tie: agrees
    voted_battle(*contestants, ROME, PARIS, winner="bothbad")  # judge B, human tie: disagrees
    voted_battle(*contestants, PARIS, ROME, winner=None)  # no vote: not judged
    run = judging.create_run(remote_judge(stub_judge.base_url))
    judge_all(run)

    summary = judging.agreement_summary()
    assert summary["n"] == 4
    assert summary["agreement"] == 0.5
    assert (summary["n_without_ties"], summary["agreement_without_ties"]) == (2, 0.5)
    assert summary["inconsistency_rate"] == 0.0
    assert summary["kappa"] == pytest.approx(1 / 3)
    assert sum(judge_counts().values()) == 4
    assert PairCount.objects.exclude(source=PairCount.Source.JUDGE).aggregate(n=Sum("count"))["n"] is None


def test_one_connection_per_worker_thread_is_reused_across_judgments(contestants, stub_judge):
    for _ in range(3):
        voted_battle(*contestants, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url))
    judge_all(run)
    assert stub_judge.calls == 6
    assert stub_judge.connections == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "five", "template": "pair-v1"}, "template 'pair-v1' is a pair template and the method is five"),
        ({"template": "nope"}, "no judge template named 'nope'; known templates:"),
        ({"pairing": "baseline"}, "pairing 'baseline' needs a baseline model"),
        ({"target": "batch"}, "a batch target needs its batch run"),
        ({"target": "collaboration", "method": "single"}, "use method pair or five"),
    ],
)
def test_a_run_that_cannot_work_is_refused_with_what_to_change(db, options, message):
    judge = scripted("judge")
    with pytest.raises(judging.JudgeRunError, match=message.replace("(", r"\(")):
        judging.create_run(judge, **options)
    assert not JudgeRun.objects.exists()


def test_without_a_judge_or_key_the_default_judge_says_what_to_do(db, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(judging.JudgeRunError, match="set OPENAI_API_KEY to use openai-judge"):
        judging.default_judge()


def test_the_default_judge_is_an_openai_row_reading_the_key_from_the_environment(db, monkeypatch, settings):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-stored")
    settings.ARENA_DEFAULT_JUDGE_MODEL = "gpt-4o"
    judge = judging.default_judge()
    assert (judge.slug, judge.backend, judge.remote_model, judge.api_key_env) == (
        "openai-judge", "openai", "gpt-4o", "OPENAI_API_KEY"
    )
    assert judge.temperature == 0.0 and not judge.in_anonymous_pool
    judge.full_clean()
    assert "sk-test" not in str(judge.__dict__)
    assert judging.default_judge().pk == judge.pk  # registering again updates the same row


def test_the_run_page_shows_progress_parse_errors_and_the_judges_text(client, contestants, stub_judge):
    stub_judge.no_verdict = True
    voted_battle(*contestants, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url))
    judge_all(run)

    html = client.get(f"/judge-runs/{run.pk}/").content.decode()
    assert '<progress data-testid="judge-progress" id="progress" max="2" value="2">' in html
    assert "Parse errors (kept with the judge's raw text, never counted as ties): 2" in html
    assert "Both answers have merits and I cannot decide." in html
    assert "No valid pair verdict marker" in html
    assert 'data-testid="batch-progress"' not in html
    assert client.get(f"/judge-runs/{run.pk}/progress.json").json() == {
        "id": run.pk, "status": "done", "done": 2, "failed": 0, "total": 2, "percent": 100.0,
    }


def test_resume_settles_a_pair_whose_orders_were_stored_but_never_counted(contestants, stub_judge):
    voted_battle(*contestants, PARIS, ROME, winner="A")
    run = judging.create_run(remote_judge(stub_judge.base_url))
    judging.start(run.pk)
    run.verdicts.filter(order=0).update(parse_status="ok", verdict="A")  # as if the settling step was lost
    run.verdicts.filter(order=1).update(parse_status="ok", verdict="B")

    assert judging.resume(run.pk) == []

    run.refresh_from_db()
    assert (run.status, run.done) == ("done", 2)
    assert judge_counts() == {("model-a", "model-b", "model_a"): 1}
    assert judging.resume(run.pk) == [] and judge_counts() == {("model-a", "model-b", "model_a"): 1}
