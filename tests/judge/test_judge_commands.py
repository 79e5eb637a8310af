"""The import_questions and judge commands, and the admin's judge-run and batch-run actions.

Tasks run eagerly here (in this process); tests/judge/test_judge_workers.py runs them in real workers.
"""

import json
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from arena.celery import app
from arena.models import LLM, BatchRun, JudgeRun, PairCount, Question, QuestionSet
from tests.judge.conftest import remote_judge, scripted, voted_battle

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager() -> Iterator[None]:
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- import_questions -------------------------------------------------------------------------
def test_import_reads_mt_bench_and_arena_hard_lines_and_updates_on_rerun(tmp_path):
    path = tmp_path / "question.jsonl"
    lines = [
        {"question_id": 81, "category": "writing", "turns": ["Write a haiku.", "Now a limerick."]},
        {"question_id": 111, "category": "math", "turns": ["1+1?"], "reference": ["2"]},
        {"question_id": "ah-1", "category": "arena-hard-v0.1", "cluster": "c", "turns": [{"content": "Sort a list."}]},
        {"uid": "v2-1", "category": "hard_prompt", "prompt": "Prove it."},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")

    assert "question set 'bench': 4 added, 0 updated" in run("import_questions", str(path), "--set", "bench")
    assert "0 added, 4 updated" in run("import_questions", str(path), "--set", "bench")
    questions = {q.qid: q for q in QuestionSet.objects.get(name="bench").questions.all()}
    assert questions["81"].turns == ["Write a haiku.", "Now a limerick."]
    assert questions["111"].reference == ["2"]
    assert questions["ah-1"].turns == ["Sort a list."]
    assert questions["v2-1"].turns == ["Prove it."]


def test_a_bad_question_file_loads_nothing_and_names_its_lines(tmp_path):
    path = tmp_path / "question.jsonl"
    path.write_text('{"question_id": 1, "category": "x", "turns": ["ok"]}\nnot json\n{"question_id": 2}\n')
    with pytest.raises(CommandError, match=r"2 bad line\(s\), nothing was loaded:\n  line 2: not valid JSON"):
        run("import_questions", str(path), "--set", "broken")
    assert not Question.objects.exists()


def test_the_starter_set_loads_and_arguments_are_checked():
    output = run("import_questions", "--starter")
    assert "question set 'starter': 24 added" in output
    with pytest.raises(CommandError, match=r"either a question\.jsonl FILE with --set NAME, or --starter"):
        run("import_questions")
    with pytest.raises(CommandError, match="Name the question set"):
        run("import_questions", "some.jsonl")


# --- judge ------------------------------------------------------------------------------------
def test_judge_start_judges_voted_turns_and_reports_the_page(eager, contestants, stub_judge):
    voted_battle(*contestants, "Paris.", "Rome.", winner="A")
    remote_judge(stub_judge.base_url)

    output = run("judge", "start", "--judge", "stub-judge", "--wait")

    judge_run = JudgeRun.objects.get()
    assert f"judge run {judge_run.pk} (stub-judge, pair, pair-v1): 2 judgments; progress at /judge-runs/" in output
    assert "done: 2 done, 0 failed of 2 (100.0%)" in output
    assert PairCount.objects.get(source="judge").outcome == "model_a"
    assert run("judge", "status", str(judge_run.pk)).strip() == "done: 2 done, 0 failed of 2 (100.0%)"


def test_judge_cancel_and_resume(contestants, stub_judge, celery_queue):
    voted_battle(*contestants, "Paris.", "Rome.", winner="A")
    remote_judge(stub_judge.base_url)

    run("judge", "start", "--judge", "stub-judge")
    judge_run = JudgeRun.objects.get()
    assert run("judge", "cancel", str(judge_run.pk)).strip() == f"judge run {judge_run.pk} cancelled"
    assert run("judge", "cancel", str(judge_run.pk)).strip() == f"judge run {judge_run.pk} was not running"
    assert run("judge", "resume", str(judge_run.pk)).strip() == f"judge run {judge_run.pk}: 2 judgment(s) queued"
    queued = [args for task, args, _ in celery_queue() if task == "arena.tasks.judge_verdict"]
    assert len(queued) == 4 and JudgeRun.objects.get().status == "running"


def test_judge_batch_answers_then_judges(eager, stub_judge):
    run("import_questions", "--starter")
    scripted("good", "Paris."), scripted("bad", "Rome.")
    remote_judge(stub_judge.base_url)

    output = run("judge", "batch", "--set", "starter", "--models", "good,bad", "--judge", "stub-judge", "--wait")

    batch = BatchRun.objects.get()
    assert (batch.status, batch.done, batch.failed) == ("done", batch.total, 0)
    judge_run = JudgeRun.objects.get(batch_run=batch)
    assert judge_run.status == "done" and judge_run.total == batch.total  # one pair per turn, both orders
    assert f"batch run {batch.pk}: done" in output and f"judged by run {judge_run.pk}" in output
    assert run("judge", "status", str(batch.pk), "--batch").startswith(f"batch run {batch.pk}: done")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["start", "--judge", "nobody"], "No model 'nobody'; registered models: "),
        (["start"], "name a registered model as the judge, or set OPENAI_API_KEY"),
        (["batch", "--set", "nope", "--models", "a", "--no-judge"], "No question set 'nope'"),
        (["resume", "999"], "No judge run 999."),
        (["cancel", "999", "--batch"], "No batch run 999."),
        (["start", "--judge", "stub-judge", "--method", "five", "--template", "pair-v1"], "is a pair template"),
    ],
)
def test_judge_errors_say_what_to_do(db, stub_judge, monkeypatch, args, message):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    remote_judge(stub_judge.base_url)
    with pytest.raises(CommandError, match=message):
        run("judge", *args)


def test_judge_register_openai(db, monkeypatch):
    output = run("judge", "register-openai", "--model", "gpt-4.1")
    assert output.strip() == "registered openai-judge (gpt-4.1); its key is read from $OPENAI_API_KEY"


# --- admin ------------------------------------------------------------------------------------
@pytest.fixture
def admin_client_(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


def test_admin_creates_and_starts_a_judge_run(eager, admin_client_, contestants, stub_judge):
    voted_battle(*contestants, "Paris.", "Rome.", winner="A")
    judge = remote_judge(stub_judge.base_url)
    form = {"judge": judge.pk, "method": "five", "template": "", "target": "voted", "pairing": "all"}

    response = admin_client_.post("/admin/arena/judgerun/add/", form, follow=True)

    assert response.status_code == 200
    judge_run = JudgeRun.objects.get()
    assert (judge_run.template, judge_run.status, judge_run.done) == ("five-v1", "done", 2)
    assert "2 judgment(s) queued" in response.content.decode()


def test_admin_refuses_a_run_that_cannot_work(admin_client_, stub_judge):
    judge = remote_judge(stub_judge.base_url)
    form = {"judge": judge.pk, "method": "pair", "template": "", "target": "voted", "pairing": "baseline"}
    response = admin_client_.post("/admin/arena/judgerun/add/", form)
    assert "pairing &#x27;baseline&#x27; needs a baseline model" in response.content.decode()
    assert not JudgeRun.objects.exists()


def test_admin_actions_cancel_resume_and_retry(admin_client_, contestants, stub_judge, celery_queue):
    voted_battle(*contestants, "Paris.", "Rome.", winner="A")
    judge_run = JudgeRun.objects.create(judge=remote_judge(stub_judge.base_url))

    def act(action: str) -> str:
        data = {"action": action, "_selected_action": [judge_run.pk]}
        return admin_client_.post("/admin/arena/judgerun/", data, follow=True).content.decode()

    assert "2 judgment(s) queued" in act("start_or_resume")
    assert "1 run(s) cancelled" in act("cancel_runs")
    assert JudgeRun.objects.get().status == "cancelled"
    assert "2 judgment(s) queued" in act("retry_failed")
    queued = [args for task, args, _ in celery_queue() if task == "arena.tasks.judge_verdict"]
    assert JudgeRun.objects.get().status == "running" and len(queued) == 4


def test_admin_changelist_shows_progress_and_links_the_page(admin_client_, contestants, stub_judge):
    judge_run = JudgeRun.objects.create(judge=remote_judge(stub_judge.base_url), total=4, done=1, failed=1)
    html = admin_client_.get("/admin/arena/judgerun/").content.decode()
    assert '<progress max="4" value="2"></progress> 1 done, 1 failed of 4' in html
    change = admin_client_.get(f"/admin/arena/judgerun/{judge_run.pk}/change/").content.decode()
    assert f"/judge-runs/{judge_run.pk}/" in change


def test_admin_creates_and_starts_a_batch_run(eager, admin_client_, stub_judge):
    run("import_questions", "--starter")
    good, bad = scripted("good", "Paris."), scripted("bad", "Rome.")
    judge = remote_judge(stub_judge.base_url)
    form = {
        "question_set": QuestionSet.objects.get().pk, "models_run": [good.pk, bad.pk], "judge": judge.pk,
        "judge_method": "pair", "judge_pairing": "all",
    }
    response = admin_client_.post("/admin/arena/batchrun/add/", form, follow=True)

    assert response.status_code == 200
    batch = BatchRun.objects.get()
    assert batch.status == "done" and batch.done == batch.total > 0
    assert JudgeRun.objects.get(batch_run=batch).status == "done"


def test_admin_question_sets_show_their_size(admin_client_):
    run("import_questions", "--starter")
    html = admin_client_.get("/admin/arena/questionset/").content.decode()
    assert "starter" in html and ">24<" in html


def test_with_an_openai_key_the_admin_proposes_the_openai_judge(admin_client_, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    html = admin_client_.get("/admin/arena/judgerun/add/").content.decode()
    judge = LLM.objects.get(slug="openai-judge")
    assert f'<option value="{judge.pk}" selected>' in html
