"""Batch runs in one process: planning, answering in turn order, failures, cancel/resume, then judging."""

import pytest

from arena.models import Answer, BatchRun, JudgeRun, PairCount, Question, QuestionSet
from arena.services import batches, judging
from evaluators.questions import Question as QuestionData
from tests.judge.conftest import remote_judge, scripted

pytestmark = pytest.mark.django_db

QUESTIONS = [
    QuestionData("q1", "geography", ["What is the capital of France?"]),
    QuestionData("q2", "writing", ["Name a city.", "Now say why you chose it."], reference=["Paris.", "Because."]),
]


@pytest.fixture
def question_set() -> QuestionSet:
    batches.import_questions("mini", QUESTIONS)
    return QuestionSet.objects.get(name="mini")


def run_batch(batch: BatchRun) -> list[int]:
    """Generate every participant's answers as the workers would; returns the judge verdict ids queued."""
    verdict_ids: list[int] = []
    for participant_id in batches.start(batch.pk):
        verdict_ids += batches.generate(participant_id)
    return verdict_ids


def test_importing_a_set_twice_updates_questions_in_place(question_set):
    changed = [QuestionData("q1", "geography", ["What is the capital of Italy?"]), QuestionData("q3", "math", ["1+1?"])]
    assert batches.import_questions("mini", changed) == (1, 1)
    assert list(question_set.questions.order_by("qid").values_list("qid", flat=True)) == ["q1", "q2", "q3"]
    assert Question.objects.get(qid="q1").turns == ["What is the capital of Italy?"]
    assert Question.objects.get(qid="q2").reference == ["Paris.", "Because."]


def test_a_batch_answers_every_turn_then_its_judge_run_starts(question_set, stub_judge):
    good, bad = scripted("good", "Paris is lovely."), scripted("bad", "Rome is lovely.")
    batch = batches.create_batch(question_set, [good, bad], judge=remote_judge(stub_judge.base_url))
    run = batches.judge_run_of(batch)
    assert (run.status, run.target, run.template) == ("pending", "batch", "pair-v1")

    verdict_ids = run_batch(batch)

    batch.refresh_from_db()
    assert (batch.status, batch.total, batch.done, batch.failed) == ("done", 6, 6, 0)
    assert set(Answer.objects.filter(turn__conversation__batch_run=batch).values_list("status", flat=True)) == {"done"}
    run.refresh_from_db()
    assert run.status == "running" and len(verdict_ids) == run.total == 6  # 3 turns x 1 pair x 2 orders
    for verdict_id in verdict_ids:
        judging.judge_one(verdict_id)
    run.refresh_from_db()
    assert (run.status, run.done) == ("done", 6)
    counts = PairCount.objects.filter(source="judge").values_list("model_a", "model_b", "outcome", "count")
    assert list(counts) == [("bad", "good", "model_b", 3)]


def test_a_later_turn_sees_the_models_own_earlier_answer(question_set):
    model = scripted("solo", "Paris, because it is lovely.")
    batch = batches.create_batch(question_set, [model])
    run_batch(batch)
    second = Answer.objects.get(turn__conversation__question__qid="q2", turn__index=1)
    assert "Name a city." in second.prompt_text
    assert "Paris, because it is lovely." in second.prompt_text
    assert second.prompt_text.rstrip().endswith("assistant")  # chatml: the model's turn comes next


def test_a_failed_answer_fails_the_later_turns_of_its_question(question_set):
    ok, broken = scripted("ok", "Fine."), scripted("broken", "never", fail_after_tokens=0, permanent=True)
    batch = batches.create_batch(question_set, [ok, broken])
    run_batch(batch)

    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.failed) == ("done", 3, 3)
    later = Answer.objects.get(participant__llm=broken, turn__index=1)
    assert later.status == "failed" and "earlier turn" in later.error
    first = Answer.objects.get(participant__llm=broken, turn__conversation__question__qid="q1")
    assert first.status == "failed" and "scripted failure" in first.error


def test_a_cancelled_batch_stops_answering_and_resume_continues(question_set, stub_judge):
    batch = batches.create_batch(question_set, [scripted("a"), scripted("b")], judge=remote_judge(stub_judge.base_url))
    participants = batches.start(batch.pk)
    assert batches.cancel(batch.pk)
    assert batches.judge_run_of(batch).status == "cancelled"
    assert [batches.generate(p) for p in participants] == [[]] * len(participants)
    assert not Answer.objects.filter(status="done").exists()

    resumed, verdicts = batches.resume(batch.pk)
    assert (resumed, verdicts) == (participants, [])
    assert batches.judge_run_of(batch).status == "pending"  # waits for the answers again
    verdict_ids = [v for p in resumed for v in batches.generate(p)]
    batch.refresh_from_db()
    run = batches.judge_run_of(batch)
    assert (batch.status, run.status, len(verdict_ids)) == ("done", "running", 6)


def test_a_judge_run_cancelled_mid_way_resumes_with_its_batch(question_set, stub_judge):
    batch = batches.create_batch(question_set, [scripted("a"), scripted("b")], judge=remote_judge(stub_judge.base_url))
    verdict_ids = run_batch(batch)
    judging.judge_one(verdict_ids[0])
    assert batches.cancel(batch.pk)  # the batch is done already; its judge run is cancelled

    participants, resumed = batches.resume(batch.pk)
    assert (participants, resumed) == ([], verdict_ids[1:])
    run = batches.judge_run_of(batch)
    assert (run.status, run.done) == ("running", 1)


def test_retrying_failed_answers_is_refused_once_judging_started(question_set, stub_judge):
    broken = scripted("broken", "never", fail_after_tokens=0, permanent=True)
    batch = batches.create_batch(question_set, [scripted("ok"), broken], judge=remote_judge(stub_judge.base_url))
    run_batch(batch)
    with pytest.raises(batches.BatchRunError, match="judging has started"):
        batches.resume(batch.pk, retry_failed=True)


def test_retrying_failed_answers_before_judging_asks_again(question_set):
    broken = scripted("broken", "never", fail_after_tokens=0, permanent=True)
    batch = batches.create_batch(question_set, [broken])
    run_batch(batch)
    broken.script = '{"text": "Fixed now.", "tokens_per_second": 0}'
    broken.save()

    participants, _ = batches.resume(batch.pk, retry_failed=True)
    for participant_id in participants:
        batches.generate(participant_id)
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.failed) == ("done", 3, 0)


def test_the_judge_run_waits_for_the_batch(question_set, stub_judge):
    batch = batches.create_batch(question_set, [scripted("a"), scripted("b")], judge=remote_judge(stub_judge.base_url))
    with pytest.raises(judging.JudgeRunError, match="waits for batch run"):
        judging.start(batches.judge_run_of(batch).pk)


@pytest.mark.parametrize(
    ("models", "options", "message"),
    [
        ([], {}, "choose at least one model"),
        (["a"], {"judge": True}, "pairwise judging needs at least two models"),
        (["a", "b"], {"judge": True, "pairing": "baseline", "baseline": "c"}, "baseline model must be one of"),
        (["a", "b"], {"judge": True, "method": "single", "template": "pair-v1"}, "is a pair template"),
    ],
)
def test_a_batch_that_cannot_work_is_refused(question_set, models, options, message):
    llms = {slug: scripted(slug) for slug in ("a", "b", "c")}
    if options.pop("judge", False):
        options["judge"] = scripted("judge")
    if "baseline" in options:
        options["baseline"] = llms[options["baseline"]]
    with pytest.raises(batches.BatchRunError, match=message):
        batches.create_batch(question_set, [llms[m] for m in models], **options)
    assert not BatchRun.objects.exists() and not JudgeRun.objects.exists()


def test_an_empty_question_set_is_refused(db):
    empty = QuestionSet.objects.create(name="empty")
    with pytest.raises(batches.BatchRunError, match="has no questions; import some first"):
        batches.create_batch(empty, [scripted("a")])


def test_the_judge_run_page_shows_both_progress_bars(client, question_set, stub_judge):
    batch = batches.create_batch(question_set, [scripted("a"), scripted("b")], judge=remote_judge(stub_judge.base_url))
    batches.start(batch.pk)
    run = batches.judge_run_of(batch)

    page = client.get(f"/judge-runs/{run.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="batch-progress"' in html and 'max="6"' in html
    assert 'data-testid="judge-progress"' in html

    progress = client.get(f"/judge-runs/{run.pk}/progress.json").json()
    assert progress["status"] == "pending"
    assert progress["batch"] == {"id": batch.pk, "status": "running", "done": 0, "failed": 0, "total": 6,
                                 "percent": 0.0}


def test_batch_page_shows_progress_and_links_its_judge_run(client, question_set, stub_judge):
    good, bad = scripted("good", "Paris is lovely."), scripted("bad", "Rome is lovely.")
    batch = batches.create_batch(question_set, [good, bad], judge=remote_judge(stub_judge.base_url))
    page = client.get(f"/batch-runs/{batch.pk}/").content.decode()
    assert 'data-testid="batch-progress"' in page and "0 done, 0 failed of 0" in page
    run_batch(batch)
    progress = client.get(f"/batch-runs/{batch.pk}/progress.json").json()
    run = batches.judge_run_of(batch)
    assert (progress["status"], progress["done"], progress["total"], progress["percent"]) == ("done", 6, 6, 100.0)
    assert progress["judge_run"] == run.pk and progress["judge"]["total"] == 6
    assert client.get("/batch-runs/999999/").status_code == 404
