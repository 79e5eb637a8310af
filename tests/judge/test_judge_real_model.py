"""The judge calls a real model through the real client path: the demo model (SmolLM2-135M) served by the
arena's own OpenAI-compatible API in a real daphne process. A 135M model judges badly, so whatever it
writes must land as a parsed verdict or an honest parse error, never as a made-up tie."""

import subprocess

import pytest
from django.db.models import Sum

from arena.demo import DEMO_DEFAULTS, DEMO_MODELS, demo_source
from arena.models import LLM, ApiToken, PairCount
from arena.services import judging
from tests.conftest import free_port, port_open
from tests.judge.conftest import (
    BIN,
    ROOT,
    WORKER_ALIAS,
    remote_judge,
    scripted,
    voted_battle,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db]
TOKEN = "arena-judge-test-token"


@pytest.fixture
def arena_api(workers_factory) -> str:
    """daphne serving the arena, with the demo models and a bearer token in its own database."""
    workers = workers_factory()
    for spec in DEMO_MODELS:
        LLM.objects.using(WORKER_ALIAS).create(**{**DEMO_DEFAULTS, **spec, "source": demo_source()})
    ApiToken.objects.using(WORKER_ALIAS).create(name="judge", prefix=TOKEN[:10], token_hash=ApiToken.hash(TOKEN))
    port = free_port()
    with open(workers.var_dir / "daphne.log", "ab") as log:
        daphne = subprocess.Popen(
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "arena.asgi:application"],
            cwd=ROOT, env=workers.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    workers.processes.append(daphne)
    wait_for(lambda: port_open("127.0.0.1", port), 60, "daphne to listen", workers)
    return f"http://127.0.0.1:{port}/v1"


def test_the_demo_model_judges_a_voted_turn_through_the_arena_api(arena_api, monkeypatch):
    monkeypatch.setenv("ARENA_TEST_ARENA_TOKEN", TOKEN)
    judge = remote_judge(
        arena_api, slug="smollm2-135m-instruct", api_key_env="ARENA_TEST_ARENA_TOKEN", max_new_tokens=48,
        timeout_s=300, max_retries=1,
    )
    model_a, model_b = scripted("model-a"), scripted("model-b")
    voted_battle(model_a, model_b, "The capital of France is Paris.", "It is Rome.", winner="A")
    run = judging.create_run(judge)

    for verdict_id in judging.start(run.pk):
        judging.judge_one(verdict_id)

    run.refresh_from_db()
    assert (run.status, run.done, run.failed) == ("done", 2, 0)
    verdicts = list(run.verdicts.order_by("order"))
    for verdict in verdicts:
        assert verdict.raw_text.strip(), "the model answered nothing"
        assert verdict.prompt[0]["role"] == "system" and "[[A]]" in verdict.prompt[0]["content"]
        if verdict.parse_status == "ok":
            assert verdict.verdict in ("A", "B", "tie")
        else:
            assert verdict.parse_status == "error" and verdict.verdict == ""
            assert "No valid pair verdict marker" in verdict.error
    both_parsed = all(v.parse_status == "ok" for v in verdicts)
    counted = PairCount.objects.filter(source="judge").aggregate(n=Sum("count"))["n"] or 0
    assert counted == (1 if both_parsed else 0)
    assert (judging.agreement_summary() is not None) == both_parsed
    summary = judging.run_summary(run)
    assert summary["parsed"] + summary["parse_errors"] == 2
